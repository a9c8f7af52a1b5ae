"""Workers that raise, die, hang or return the unpicklable: mpgui reports each, ends the run,
and leaves nothing behind (the suite's leftover guard checks every test).

Every run is real: a conductor, a real Pool or ProcessPoolExecutor, a worker that really calls
``os._exit`` or really segfaults.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.ui.tracebacks import WORKER_LABEL, fold_traceback

#: A run small enough to be quick: task 3 of 8 goes wrong on one of two workers.
QUICK = {"workers": 2, "tasks": 8, "fail_task": 3, "task_ms": 20.0, "timeout_s": 0.5}


def run(failure: str, api: str, method: str = "fork", **extra):
    """Run worker-failures; return the result and every event, as the host saw them."""
    seen: list[tuple] = []
    spec = scenarios.make_spec(
        "worker-failures", {**QUICK, "failure": failure, "api": api, **extra}, method
    )
    result = runner.run(spec, on_events=lambda _state, events: seen.extend(events), timeout=60)
    return result, seen


def last_words_ns(events: list[tuple]) -> int:
    """When the failing task said it was about to go wrong (just before it did)."""
    return next(e[1] for e in events if e[0] == ev.LOG and "about to" in e[4])


def done_ns(events: list[tuple]) -> int:
    return next(e[1] for e in events if e[0] == ev.DONE)


@pytest.mark.parametrize(
    ("failure", "api", "method", "exitcode", "signal", "error_type"),
    [
        ("exit", "Pool", "fork", 3, None, "WorkerFailed"),
        ("segfault", "Pool", "fork", -11, "SIGSEGV", "WorkerFailed"),
        ("segfault", "Pool", "spawn", -11, "SIGSEGV", "WorkerFailed"),
        ("exit", "Pool", "forkserver", 3, None, "WorkerFailed"),
        ("exit", "ProcessPoolExecutor", "fork", 3, None, "BrokenProcessPool"),
        ("segfault", "ProcessPoolExecutor", "spawn", -11, "SIGSEGV", "BrokenProcessPool"),
        ("segfault", "ProcessPoolExecutor", "forkserver", -11, "SIGSEGV", "BrokenProcessPool"),
    ],
)
def test_a_dead_worker_is_reported_with_its_exit_within_2_s(
    failure, api, method, exitcode, signal, error_type
):
    if method not in available_start_methods():
        pytest.skip(f"{method} is not offered here")
    result, events = run(failure, api, method)
    assert result["status"] == "error"
    error = result["error"]
    # Pool would wait forever: mpgui's own watch names the death. The executor raises
    # BrokenProcessPool itself, and mpgui adds whose death it was.
    assert error["type"] == error_type
    assert error["exitcode"] == exitcode
    assert error["signal"] == signal
    assert error["task"] == 3
    dead = error["pid"]
    assert any(e[0] == ev.EXIT and e[2:5] == (dead, exitcode, True) for e in events)
    assert (done_ns(events) - last_words_ns(events)) / 1e9 < 2.0
    # The run really ended early: tasks after the failure were never all run.
    assert result["metrics"] == {}


def test_pool_replaces_the_dead_worker_and_mpgui_still_ends_the_run():
    result, events = run("exit", "Pool", workers=1)
    # One worker: after its death Pool started a second process, which said hello.
    hellos = [e[2] for e in events if e[0] == ev.HELLO and e[4] == "worker"]
    assert len(hellos) == 2
    assert result["error"]["pid"] == hellos[0]
    assert result["error"]["type"] == "WorkerFailed"


@pytest.mark.parametrize("api", ["Pool", "ProcessPoolExecutor"])
def test_a_raising_task_brings_back_the_remote_traceback_and_the_next_run_works(api):
    result, _ = run("raise", api)
    error = result["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "task 3 failed on purpose"
    # The traceback is the worker's own: the line that raised, in the function that did.
    assert "in go_wrong" in error["traceback"]
    assert 'raise ValueError(f"task {task} failed on purpose")' in error["traceback"]
    again, _ = run("none", api)
    assert again["ok"] is True, again["error"]
    assert again["metrics"]["tasks_returned"] == QUICK["tasks"]


@pytest.mark.parametrize("api", ["Pool", "ProcessPoolExecutor"])
@pytest.mark.parametrize("method", available_start_methods())
def test_a_raising_tasks_traceback_folded_starts_with_the_scenarios_own_frame(api, method):
    # What the log and `mpgui run` show: the scenario's frames, mpgui's and the pool's folded.
    result, _ = run("raise", api, method)
    folded = fold_traceback(result["error"]["traceback"])
    frames = [line.strip() for line in folded.splitlines() if line.strip().startswith("File ")]
    model = str(Path(scenarios.get("worker-failures").run.__code__.co_filename))
    assert frames[0].startswith(f'File "{model}"') and frames[0].endswith(", in work"), folded
    assert all(frame.startswith(f'File "{model}"') for frame in frames), folded
    assert "mpgui/core" not in folded and "mpgui" + os.sep + "core" not in folded
    assert "frames of mpgui" not in folded.split(WORKER_LABEL)[0]  # nothing above the worker's
    assert "1 frame of mpgui hidden" in folded  # the conductor's call into the scenario
    assert 'raise ValueError(f"task {task} failed on purpose")' in folded
    assert folded.rstrip().endswith("ValueError: task 3 failed on purpose")


@pytest.mark.parametrize(
    ("api", "error_type"),
    [("Pool", "MaybeEncodingError"), ("ProcessPoolExecutor", "TypeError")],
)
def test_an_unpicklable_result_fails_the_task_and_the_worker_lives_on(api, error_type):
    result, events = run("unpicklable", api)
    assert result["error"]["type"] == error_type
    assert "cannot pickle '_thread.lock' object" in (
        result["error"]["message"] + result["error"]["traceback"]
    )
    # No worker died: the pool's workers were ended (SIGTERM) only when the error was raised.
    assert not [e for e in events if e[0] == ev.EXIT and e[4]]  # the watch's verdict: bad


@pytest.mark.parametrize("api", ["Pool", "ProcessPoolExecutor"])
def test_a_hung_task_that_ignores_sigterm_is_ended_by_its_timeout(api):
    result, events = run("hang", api)
    error = result["error"]
    assert error["type"] == "TaskTimeout"
    assert error["task"] == 3
    steps = [e[4] for e in events if e[0] == ev.LOG and e[3] == "ERROR"]
    assert any("passed its 0.5 s timeout: SIGTERM" in s for s in steps)
    assert any("ignored SIGTERM for 0.5 s: SIGKILL" in s for s in steps)
    # SIGTERM was ignored, so it took SIGKILL: the worker's exit says so.
    assert any(e[0] == ev.EXIT and e[2] == error["pid"] and e[3] == -9 for e in events)
    # Timeout 0.5 s + 0.5 s to SIGKILL + the watch's grace: well within 3 s of the hang.
    assert (done_ns(events) - last_words_ns(events)) / 1e9 < 3.0


def test_no_failure_is_a_clean_run():
    result, events = run("none", "Pool")
    assert result["ok"] is True
    assert result["metrics"]["tasks_returned"] == QUICK["tasks"]
    # Every worker the watch saw end, ended cleanly.
    assert all(e[3] == 0 for e in events if e[0] == ev.EXIT)


@pytest.mark.parametrize("method", available_start_methods())
def test_a_slow_task_that_obeys_sigterm_is_still_a_failure_under_pool(method):
    """The host's SIGTERM is not the pool's own: the lost task must not be waited for."""
    result, events = run("none", "Pool", method, task_ms=3000.0, workers=1, tasks=2)
    error = result["error"]
    assert error["type"] == "TaskTimeout"
    assert error["task"] == 0
    assert any(e[0] == ev.EXIT and e[2:5] == (error["pid"], -15, True) for e in events)
    assert result["wall_s"] < 10  # the timeout, a grace, not the 60 s run limit


def test_forked_workers_do_not_inherit_the_conductors_sigterm_handler():
    """A Python handler in a worker whose main thread is blocked may never run: a SIGTERM
    landing on its feeder thread would then be lost, and Pool.terminate() wait forever."""
    code = textwrap.dedent(
        """
        import os, signal
        from mpgui.core.child import conductor
        conductor._die_with_host(os.getppid())
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        pid = os.fork()
        if pid == 0:
            os._exit(0 if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        start_new_session=True,  # _die_with_host is about process groups: keep it apart
    )  # fmt: skip
    assert out.stdout.strip() == "0", out.stderr
