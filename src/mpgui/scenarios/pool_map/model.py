"""Pool.map: the same CPU-bound tasks run serially, then spread over a pool of processes."""

from __future__ import annotations

import os
import time
from functools import partial

from mpgui.core.child.cpu_work import burn, steps_per_ms
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.protocol.cpu import usable_cores
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
#: The CPUs this run may use (its affinity, else the machine's count): the ideal speedup is
#: ``min(workers, cores)``.
CORES = "cores"
#: The parts of the parallel wall time when no task was computing: from the call to
#: ``pool.map`` to the first task's start (workers starting, the first tasks sent), and from
#: the last task's end to ``map`` returning (the last results gathered).
STARTUP_S = "startup_s"
GATHER_S = "gather_s"
#: The measured serial fraction ``f`` (see :func:`serial_fraction`): Amdahl's ceiling.
SERIAL_FRACTION = "serial_fraction"
METRICS = (
    SERIAL_S,
    PARALLEL_S,
    SPEEDUP,
    EFFICIENCY,
    TASKS_PER_S,
    CORES,
    STARTUP_S,
    GATHER_S,
    SERIAL_FRACTION,
)


def work(task: int, iterations: int) -> tuple[int, int, int]:
    """One task, as a worker runs it: burn CPU inside a reported span.

    Returns when it began and ended computing (``perf_counter_ns``: one clock for every
    process) and the CPU time it took, so the main process can tell the time the workers
    computed from the time the pool spent starting and passing tasks and results.
    """
    p = probe.current()
    if p.should_stop():  # Stop pressed: skip the remaining tasks quickly
        return 0, 0, 0
    with p.task(task):
        t0, cpu0 = time.perf_counter_ns(), time.process_time_ns()
        burn(iterations)
        return t0, time.perf_counter_ns(), time.process_time_ns() - cpu0


def serial_fraction(serial_part_s: float, compute_s: float) -> float:
    """Amdahl's serial fraction ``f`` of a pool run, from what was measured.

    `serial_part_s`: the parallel wall time in which no task was computing (start-up before
    the first task, gathering after the last); `compute_s`: the CPU time the tasks took,
    summed over workers. One worker would take ``serial_part_s + compute_s``, of which
    ``serial_part_s`` no number of workers shortens: ``f = serial / (serial + compute)``, and
    ``1 / (f + (1 - f) / n)`` is the most `n` workers can give. It leaves out costs spread
    between the tasks (sending each task and result, a worker waiting for the last ones), so
    the ceiling is an upper bound the measured speedup stays under.
    """
    total = serial_part_s + compute_s
    return serial_part_s / total if total > 0 else 0.0


def run(ctx: RunContext, params: dict) -> dict:
    """Time the tasks serially (optional baseline) and then with ``Pool.map``."""
    workers, tasks, chunksize = params["workers"], params["tasks"], params["chunksize"]
    iterations = max(1, round(params["task_ms"] * steps_per_ms()))
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
        t0 = time.perf_counter_ns()
        times = pool.map(job, range(tasks), chunksize=chunksize)
        t1 = time.perf_counter_ns()
    parallel_s = (t1 - t0) / 1e9
    main.log(f"parallel: {tasks} tasks on {workers} processes in {parallel_s:.3f} s")

    # What the pool did besides computing: before the first task began, after the last ended.
    ran = [(start, end, cpu) for start, end, cpu in times if end]  # a stopped task did not
    startup_s = gather_s = 0.0
    compute_s = sum(cpu for _, _, cpu in ran) / 1e9
    if ran:
        startup_s = max(0, min(start for start, _, _ in ran) - t0) / 1e9
        gather_s = max(0, t1 - max(end for _, end, _ in ran)) / 1e9
    metrics = {
        SERIAL_S: serial_s,
        PARALLEL_S: parallel_s,
        SPEEDUP: None,
        EFFICIENCY: None,
        TASKS_PER_S: tasks / parallel_s,
        CORES: usable_cores(),
        STARTUP_S: startup_s,
        GATHER_S: gather_s,
        SERIAL_FRACTION: serial_fraction(startup_s + gather_s, compute_s),
    }
    if serial_s is not None:
        metrics[SPEEDUP] = serial_s / parallel_s
        # Efficiency is speedup per process that could actually run at once.
        metrics[EFFICIENCY] = metrics[SPEEDUP] / min(workers, tasks, metrics[CORES])
    return metrics


SCENARIO = Scenario(
    id="pool-map",
    order=20,
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
        "times = pool.map(job, range(tasks), chunksize=chunksize)",
    ),
)
