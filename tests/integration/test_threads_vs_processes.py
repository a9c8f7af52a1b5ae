"""threads-vs-processes for real, under every start method: the thread pool's workers are
thread lanes of the conductor (in the --json result: its pid and a tid each), the process
pool's are processes of their own; threads computing in pure Python never compute at once,
processes do; every timed region ran all its tasks, three rounds over. The speedups' floors
are the benchmark's (benchmarks/scenario_effects.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.cpu import usable_cores
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.threads_vs_processes.model import (
    AT_ONCE_SHARE,
    CPU,
    IO,
    MEASUREMENTS,
    METRICS,
    PROCESSES,
    SCENARIO,
    THREADS,
    measurement,
    most_at_once,
    running_at_once,
    running_series,
    sample_series,
)
from tests.process_tree import HANG_BOUND_S, run_shm, run_temp_dirs
from tests.runs import run_with_state, stop_when

SMALL = SCENARIO.small_params


def stretches(state: RunState, way: str, lanes: list) -> list[tuple[int, int]]:
    """Every stretch the `lanes` computed in `way`'s CPU phases (all rounds)."""
    out = []
    for lane in lanes:
        for end, ms in state.series.get(running_series(way, lane.pid), ()):
            out.append((end - int(ms * 1e6), end))
    return out


@pytest.mark.parametrize("method", available_start_methods())
def test_threads_are_lanes_of_the_conductor_and_never_compute_at_once_processes_do(method):
    result, state = run_with_state("threads-vs-processes", SMALL, method)
    assert result["ok"] is True, result["error"]
    n, tasks = SMALL["workers"], SMALL["tasks"]
    m = result["metrics"]
    assert set(m) == set(METRICS) and all(isinstance(m[k], float) and m[k] > 0 for k in METRICS)
    assert m["io_threads_speedup"] == pytest.approx(m["io_serial_s"] / m["io_threads_s"])
    assert m["cpu_processes_speedup"] == pytest.approx(m["cpu_serial_s"] / m["cpu_processes_s"])
    # A waiting task waits its whole io_ms (the server answers no sooner): serially, all
    # of them one after another.
    assert m["io_serial_s"] >= tasks * SMALL["io_ms"] / 1000

    # The json's workers: n threads, each with the conductor's pid and a tid of its own,
    # and n processes of their own, without one.
    (main,) = [lane for lane in state.lanes if lane.role == "main"]
    threads = [w for w in result["workers"] if "tid" in w]
    processes = [w for w in result["workers"] if "tid" not in w]
    assert len(threads) == len(processes) == n
    assert {w["pid"] for w in threads} == {main.pid}
    assert len({w["tid"] for w in threads}) == n and main.pid not in {w["tid"] for w in threads}
    assert len({w["pid"] for w in processes}) == n and main.pid not in {w["pid"] for w in processes}
    # Every timed region ran each round, with all its tasks: per pool, 2 workloads × tasks
    # × 3 rounds; serially, as many on the conductor's own lane.
    rounds = 3
    assert all(len(state.series[sample_series(name)]) == rounds for name in MEASUREMENTS)
    assert sum(w["tasks"] for w in threads) == sum(w["tasks"] for w in processes)
    assert sum(w["tasks"] for w in threads) == 2 * tasks * rounds == main.tasks_done
    phases = [name for _, name in state.phases]
    assert [phases.count(name) for name in MEASUREMENTS] == [rounds] * len(MEASUREMENTS)

    # The GIL: the threads' stretches of computing do not overlap (each is read off the
    # clock by the thread while it holds the GIL), but for slivers: a hand-over shorter than
    # GAP_NS goes unseen ...
    thread_lanes = [lane for lane in state.lanes if lane.tid]
    on_threads = stretches(state, THREADS, thread_lanes)
    assert len({lane.process for lane in thread_lanes}) == 1
    assert on_threads and most_at_once(on_threads) == 1
    at_once = running_at_once(on_threads)
    assert sum(v for k, v in at_once.items() if k >= 2) < AT_ONCE_SHARE * sum(at_once.values())
    # ... while the processes' do, as many at once as there are cores.
    process_lanes = [lane for lane in state.lanes if lane.role == "worker" and not lane.tid]
    on_processes = stretches(state, PROCESSES, process_lanes)
    if usable_cores() >= 2:
        at_once = running_at_once(on_processes)
        both = sum(v for k, v in at_once.items() if k >= 2)
        assert both >= AT_ONCE_SHARE * sum(at_once.values()), at_once
        assert most_at_once(on_processes) >= 2


def server_ended(state: RunState) -> bool:
    """Whether the run itself ended its I/O server (and said so), before any clean-up of
    the host's: the server is no worker lane, the Log has its end."""
    ended = [msg for _, _, _, msg in state.logs if msg.startswith("the I/O server (pid")]
    return any(msg.endswith(") ended") for msg in ended)


#: Stop while the threads wait in recv (their poll for Stop), or while they compute (their
#: look at Stop every ~1 ms): one task of 2 s each way, so a run that waited for the task
#: to end would take 2 s from Stop, and one that winds down at once well under 1.5 s.
STOP_WHILE = {
    IO: {**SMALL, "tasks": 1, "io_ms": 2000},
    CPU: {**SMALL, "tasks": 1, "cpu_ms": 2000},
}


@pytest.mark.parametrize("work", [IO, CPU])
def test_stop_while_threads_wait_or_compute_winds_down_and_leaves_nothing(work):
    spec = scenarios.make_spec("threads-vs-processes", STOP_WHILE[work], "fork")

    def threads_busy(state: RunState) -> bool:
        busy = [lane for lane in state.lanes if lane.tid and lane.open_task is not None]
        return state.current_phase() == measurement(work, THREADS) and bool(busy)

    run = stop_when(spec, threads_busy)
    assert run.stop_took_s < 1.5
    assert run.exitcode == 0  # wound down by itself: no SIGTERM
    assert run.state.status == "stopped"
    assert server_ended(run.state)  # by the run, not by the host's end of its group
    assert not run_shm(os.getpid()) and not run_temp_dirs(os.getpid())


def test_a_pool_worker_killed_mid_task_ends_the_run_naming_it():
    """SIGKILL from outside (the OOM killer, a user's kill -9) on a process computing a
    task: the run fails within seconds, names the dead worker, and ends its server too."""
    params = {**SMALL, "tasks": 2, "cpu_ms": 500}
    killed: dict[str, int] = {}
    seen: list[RunState] = []

    def kill_a_busy_worker(state: RunState, _events: list) -> None:
        seen[:] = [state]
        if killed or state.current_phase() != measurement(CPU, PROCESSES):
            return
        busy = [w for w in state.workers() if not w.tid and w.open_task is not None]
        if busy:
            killed["pid"], killed["at"] = busy[0].pid, ev.now_ns()
            os.kill(busy[0].pid, signal.SIGKILL)

    spec = scenarios.make_spec("threads-vs-processes", params, "fork")
    result = runner.run(spec, on_events=kill_a_busy_worker, timeout=60)
    assert killed, "no process was ever seen computing"
    assert (ev.now_ns() - killed["at"]) / 1e9 < HANG_BOUND_S
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "WorkerFailed", error
    assert (error["pid"], error["signal"]) == (killed["pid"], "SIGKILL")
    assert server_ended(seen[0])


#: Run under ``unshare -rn``: a network namespace of its own, whose ephemeral ports are
#: one port, held by a listener — so the I/O server's bind to port 0 really fails.
NO_FREE_PORT = """
import json, socket, sys
from mpgui import scenarios
from mpgui.core.host import runner
with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
    f.write("40000 40000")
holder = socket.create_server(("127.0.0.1", 40000))
spec = scenarios.make_spec("threads-vs-processes", json.loads(sys.argv[1]), "fork")
print(json.dumps(runner.run(spec, timeout=60)))
"""


def test_a_server_that_cannot_listen_fails_the_run_saying_why():
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode
    ):
        pytest.skip("no unprivileged network namespace here (unshare -rn)")
    out = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", NO_FREE_PORT, json.dumps(SMALL)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "RuntimeError", error
    assert error["message"].startswith("the I/O server could not listen on 127.0.0.1: ")
    assert "Address already in use" in error["message"]
    assert result["wall_s"] < HANG_BOUND_S
