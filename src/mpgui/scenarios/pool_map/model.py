"""Pool.map: the same CPU-bound tasks run serially, then spread over a pool of processes."""

from __future__ import annotations

import os
import statistics
import time
from functools import partial

from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

# The names this scenario reports (its chart imports them from here).
#: The phases: the tasks one after another (optional), then on the pool.
SERIAL, PARALLEL = "serial", "parallel"
PHASES = (SERIAL, PARALLEL)
#: The metrics `run` returns.
SERIAL_S = "serial_s"
PARALLEL_S = "parallel_s"
SPEEDUP = "speedup"
EFFICIENCY = "efficiency"
TASKS_PER_S = "tasks_per_s"
METRICS = (SERIAL_S, PARALLEL_S, SPEEDUP, EFFICIENCY, TASKS_PER_S)


def burn(iterations: int) -> int:
    """Deterministic CPU work: `iterations` steps of a linear congruential generator.

    Pure Python integer arithmetic holds the GIL the whole time, so only separate processes
    can run two of these at once.
    """
    x = 1
    for _ in range(iterations):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def work(task: int, iterations: int) -> int:
    """One task, as a worker runs it: burn CPU inside a reported span."""
    p = probe.current()
    if p.should_stop():  # Stop pressed: skip the remaining tasks quickly
        return 0
    with p.task(task):
        return burn(iterations)


def iterations_per_ms() -> float:
    """Measure how many :func:`burn` steps this machine does per millisecond.

    The median of five ~3 ms samples: the median rides out a scheduler hiccup, and is what
    this machine typically does (not its best), so `task_ms` means what it says. Short
    samples because the run's workers start only after this: the calibration is part of
    the wait between Run and the first worker on screen.
    """
    n = 25_000
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        burn(n)
        samples.append(time.perf_counter() - t0)
    return n / (statistics.median(samples) * 1000.0)


def run(ctx: RunContext, params: dict) -> dict:
    """Time the tasks serially (optional baseline) and then with ``Pool.map``."""
    workers, tasks, chunksize = params["workers"], params["tasks"], params["chunksize"]
    iterations = max(1, round(params["task_ms"] * iterations_per_ms()))
    job = partial(work, iterations=iterations)
    main = ctx.probe

    serial_s = None
    if params["baseline"]:
        main.phase(SERIAL)
        main.plan(tasks=tasks, workers=1)
        t0 = time.perf_counter()
        for i in range(tasks):  # exactly the work the pool will do, one task after another
            job(i)
            if ctx.should_stop():
                return {}
        serial_s = time.perf_counter() - t0
        main.log(f"serial: {tasks} tasks in {serial_s:.3f} s")

    main.phase(PARALLEL)
    main.plan(tasks=tasks, workers=workers)
    with ctx.pool(workers) as pool:
        t0 = time.perf_counter()
        pool.map(job, range(tasks), chunksize=chunksize)
        parallel_s = time.perf_counter() - t0
    main.log(f"parallel: {tasks} tasks on {workers} processes in {parallel_s:.3f} s")

    metrics = {
        SERIAL_S: serial_s,
        PARALLEL_S: parallel_s,
        SPEEDUP: None,
        EFFICIENCY: None,
        TASKS_PER_S: tasks / parallel_s,
    }
    if serial_s is not None:
        metrics[SPEEDUP] = serial_s / parallel_s
        # Efficiency is speedup per process that could actually run at once.
        metrics[EFFICIENCY] = metrics[SPEEDUP] / min(workers, tasks)
    return metrics


SCENARIO = Scenario(
    id="pool-map",
    order=1,
    small_params={"workers": 2, "tasks": 4, "task_ms": 2.0},
    title="Pool.map",
    summary="CPU-bound tasks, first one after another, then spread over a pool of processes.",
    params=(
        ParamSpec(
            "workers",
            "int",
            default=max(1, min(256, os.cpu_count() or 2)),
            minimum=1,
            maximum=256,
            help="Processes in the pool.",
        ),
        ParamSpec("tasks", "int", default=40, minimum=1, maximum=100_000, help="Tasks to map."),
        ParamSpec(
            "task_ms",
            "float",
            default=50.0,
            minimum=0.01,
            maximum=10_000.0,
            unit="ms",
            label="Task CPU time",
            help="Approximate CPU time of one task, in milliseconds.",
        ),
        ParamSpec(
            "chunksize",
            "int",
            default=1,
            minimum=1,
            maximum=100_000,
            help="Tasks handed to a worker at a time (Pool.map's chunksize).",
        ),
        ParamSpec(
            "baseline",
            "bool",
            default=True,
            label="Serial baseline",
            help="Run the same tasks serially first, to measure the speedup.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the same tasks one after another, then spread over a pool.
    focus=(
        "for i in range(tasks):  # exactly the work",
        "job(i)",
        "with ctx.pool(workers) as pool:",
        "pool.map(job, range(tasks), chunksize=chunksize)",
    ),
)
