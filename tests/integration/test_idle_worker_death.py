"""A worker killed while it waits for work: the run ends within 2 s, naming the dead worker.

An idle Pool worker waits in ``inqueue.get()`` holding the task queue's read lock. Killed there,
it takes the lock with it, and ``Pool.terminate()`` (or ``close(); join()``) would wait for it
forever. These runs are real: a real Pool, a worker really SIGKILLed from outside, as the OOM
killer or a user's ``kill -9`` would.
"""

import os
import signal

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from tests.process_tree import HANG_BOUND_S

#: One 3-second task on two workers: one worker is busy, the other waits for work all along.
ONE_LONG_TASK = {"workers": 2, "tasks": 1, "task_ms": 3000.0, "baseline": False}
#: worker-failures with nothing failing: 2 long tasks on 3 workers leave one worker idle.
IDLE_THIRD = {"failure": "none", "api": "Pool", "workers": 3, "tasks": 2, "task_ms": 3000.0}


def kill_the_idle_worker(scenario: str, params: dict, method: str) -> tuple[dict, int, int]:
    """Run `scenario`; once a worker is busy, SIGKILL one that is not. Returns the result,
    the killed pid and how long (ns) the run took to end after the kill."""
    killed: dict[str, int] = {}

    def on_events(state, _events) -> None:
        workers = state.workers()
        if killed or len(workers) < params["workers"]:
            return
        if sum(w.open_task is not None for w in workers) < params["tasks"]:
            return  # every task must be under way: then the idle worker can get none
        idle = next(w for w in workers if w.open_task is None)
        killed["pid"], killed["at"] = idle.pid, ev.now_ns()
        os.kill(idle.pid, signal.SIGKILL)

    spec = scenarios.make_spec(scenario, params, method)
    result = runner.run(spec, on_events=on_events, timeout=30)
    assert killed, "no worker was ever idle while another was busy"
    return result, killed["pid"], ev.now_ns() - killed["at"]


@pytest.mark.parametrize("method", available_start_methods())
@pytest.mark.parametrize(
    ("scenario", "params"),
    [("pool-map", ONE_LONG_TASK), ("worker-failures", IDLE_THIRD)],
    ids=["pool-map", "worker-failures"],
)
def test_killing_an_idle_pool_worker_ends_the_run_naming_it(scenario, params, method):
    result, pid, took_ns = kill_the_idle_worker(scenario, params, method)
    # It used to wait forever. How soon it ends (~0.4 s) is benchmarks/failure_detection.py's
    # idle-killed figure; here, a bound that only a hang reaches, even on a loaded machine.
    assert took_ns / 1e9 < HANG_BOUND_S, f"the run went on {took_ns / 1e9:.1f} s after the kill"
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "WorkerFailed", error
    assert (error["pid"], error["exitcode"], error["signal"]) == (pid, -9, "SIGKILL")
    assert "task" not in error  # it died idle: it took no task with it
