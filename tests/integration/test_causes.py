"""When processes die, the run names the one that died first — and says what it was.

Real runs, with processes really killed from outside, as a user's ``kill`` would.
"""

import os
import signal
import sys

import psutil
import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.events import OUTPUT_LEVEL

#: manager-list long enough to kill something in its Manager phase.
LONG_MANAGER = {"workers": 2, "items": 1_000_000}
#: pool-map long enough to kill its conductor mid-run.
LONG_POOL = {"workers": 2, "tasks": 10_000, "task_ms": 50.0, "baseline": False}


def run_and(scenario: str, params: dict, method: str, act) -> tuple[dict, list[tuple], list[str]]:
    """Run `scenario`; `act(state)` is called on every batch until it returns True.

    Returns the result, every event and the run's log lines."""
    seen: list[tuple] = []
    done = {"acted": False, "state": None}

    def on_events(state, events) -> None:
        seen.extend(events)
        done["state"] = state
        if not done["acted"]:
            done["acted"] = bool(act(state))

    result = runner.run(scenarios.make_spec(scenario, params, method), on_events, timeout=30)
    assert done["acted"], "the moment to act never came"
    return result, seen, [line[3] for line in done["state"].logs]


def conductor_pid(state) -> int:
    return next(lane.pid for lane in state.lanes if lane.role == "main")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_killed_manager_server_is_the_cause_not_the_workers_it_took_along(method, capfd):
    killed = {}

    def kill_the_server(state) -> bool:
        workers = {w.pid for w in state.workers()}
        if state.current_phase() != "manager" or len(workers) < 2 or not state.tasks_done:
            return False
        conductor = psutil.Process(conductor_pid(state))
        helpers = [p for p in conductor.children() if p.pid not in workers]
        assert len(helpers) == 1, helpers  # the Manager's server, and nothing else
        killed["pid"] = helpers[0].pid
        os.kill(killed["pid"], signal.SIGKILL)
        return True

    result, events, logs = run_and("manager-list", LONG_MANAGER, method, kill_the_server)
    error = result["error"]
    assert result["status"] == "error"
    assert (error["pid"], error["exitcode"], error["signal"]) == (killed["pid"], -9, "SIGKILL")
    assert error["process"].startswith("SyncManager")
    assert any(
        line.startswith(f"the Manager's server (pid {killed['pid']}) was killed") for line in logs
    )
    # A worker that died of it is named as what followed, not as the cause.
    after = [
        line
        for line in logs
        if line.endswith(f"after the Manager's server (pid {killed['pid']}) had died")
    ]
    bad_workers = [e for e in events if e[0] == ev.EXIT and e[4] and e[2] != killed["pid"]]
    assert len(after) == len(bad_workers)
    # Their tracebacks went to the run's log, not to this process's terminal.
    output = [e[4] for e in events if e[0] == ev.LOG and e[3] == OUTPUT_LEVEL]
    if bad_workers:
        assert any("Traceback" in line for line in output), output
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "Traceback" not in out


def test_a_conductor_killed_with_sigterm_is_reported_as_that(leftovers):
    def terminate_the_conductor(state) -> bool:
        if len(state.workers()) < 2 or not state.tasks_done:
            return False
        os.kill(conductor_pid(state), signal.SIGTERM)
        return True

    result, _, _ = run_and("pool-map", LONG_POOL, "fork", terminate_the_conductor)
    assert result["status"] == "error"
    assert result["error"]["type"] == "ConductorDied"
    assert result["error"]["message"] == "the conductor was killed by SIGTERM"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="CPython warns only from 3.12")
def test_fork_runs_give_no_warning_about_forking_a_threaded_process():
    seen: list[tuple] = []
    env = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = "always::DeprecationWarning"
    try:
        for scenario, params in (
            ("pool-map", {"workers": 2, "tasks": 4, "task_ms": 5.0, "baseline": True}),
            ("counter-race", {"workers": 2, "increments": 1000}),
            ("manager-list", {"workers": 2, "items": 200}),
        ):
            result = runner.run(
                scenarios.make_spec(scenario, params, "fork"),
                on_events=lambda _s, events: seen.extend(events),
                timeout=30,
            )
            assert result["ok"], result["error"]
    finally:
        if env is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = env
    output = [e[4] for e in seen if e[0] == ev.LOG and e[3] == OUTPUT_LEVEL]
    assert not [line for line in output if "multi-threaded" in line], output


def _end_from_another_thread(host_pid: int) -> None:
    """A conductor-to-be whose SIGTERM ending runs in a thread that is not the main one, as
    it does when the child watch hears SIGTERM while the main thread is blocked."""
    import threading

    from mpgui.core.child import conductor

    os.setpgrp()
    end_run_group = conductor._die_with_host(host_pid)  # noqa: SLF001
    threading.Thread(target=end_run_group).start()
    threading.Event().wait(20)  # the main thread is blocked, as in pool.map


def test_a_sigterm_ending_run_from_the_watch_thread_still_ends_the_conductor_by_sigterm():
    import multiprocessing

    proc = multiprocessing.get_context("spawn").Process(
        target=_end_from_another_thread, args=(os.getpid(),)
    )
    proc.start()
    proc.join(15)
    assert proc.exitcode == -signal.SIGTERM, proc.exitcode
