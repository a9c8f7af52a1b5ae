"""threads-vs-processes for real, under every start method: the thread pool's workers are
thread lanes of the conductor (in the --json result: its pid and a tid each), the process
pool's are processes of their own; threads computing in pure Python never compute at once,
processes do; every timed region ran all its tasks, three rounds over. The speedups' floors
are the benchmark's (benchmarks/scenario_effects.py)."""

from __future__ import annotations

import os

import pytest

from mpgui import scenarios
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.cpu import usable_cores
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.threads_vs_processes.model import (
    AT_ONCE_SHARE,
    CPU,
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
from tests.process_tree import run_shm, run_temp_dirs
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


def test_stop_while_threads_compute_winds_down_and_leaves_nothing():
    """Stop mid-task: a computing thread looks at Stop every ~1 ms, so the run winds down by
    itself well before the two threads' tasks of 1.5 s each (3 s, taking turns) could end."""
    params = {**SMALL, "tasks": 2, "cpu_ms": 1500}
    spec = scenarios.make_spec("threads-vs-processes", params, "fork")

    def threads_computing(state: RunState) -> bool:
        busy = [lane for lane in state.lanes if lane.tid and lane.open_task is not None]
        return state.current_phase() == measurement(CPU, THREADS) and bool(busy)

    run = stop_when(spec, threads_computing)
    assert run.stop_took_s < 1.5
    assert run.exitcode == 0  # wound down by itself: no SIGTERM
    assert run.state.status == "stopped"
    assert not run_shm(os.getpid()) and not run_temp_dirs(os.getpid())
