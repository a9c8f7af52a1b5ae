"""Process basics: ``Process(target=...)``, ``start()``, ``join()``, and several at once.

``p.start()`` asks the operating system for a new process and returns at once — the child
then runs beside the parent. ``p.join()`` is where the parent waits for the child to exit.
Started together and then joined, N processes take about as long as one; started and joined
one after another, N times as long. Each child prints a line with its pid as it begins and
ends: the lines of several children arrive interleaved, as they happen.

With ``work="cpu"`` a task computes instead of waiting, and no more tasks compute at once than
there are cores: the ratio stops at the number of cores.
"""

from __future__ import annotations

import os
import statistics
import time

from mpgui.core import timing
from mpgui.core.child import workers
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.protocol.cpu import usable_cores
from mpgui.core.scenario import Scenario

#: The parent waits in ``join()`` this long (s) at a time, then looks whether Stop was pressed
#: or another child crashed, and joins again: the same wait, never one without a bound.
JOIN_SLICE_S = timing.WORKER_POLL_S

# The names this scenario reports (its chart imports them from here).
#: The two ways of running N processes; each is its phase's name.
TOGETHER, ONE_BY_ONE = "together", "one_by_one"
PHASES = (TOGETHER, ONE_BY_ONE)
#: What a task does: wait (sleep) or compute (burn CPU).
WAIT, CPU = "wait", "cpu"
#: The moments of a process's life, in order. The parent reports CREATED (``Process()``
#: made), STARTED (``start()`` returned), JOINING (``join()`` called) and JOINED (``join()``
#: returned); the child reports RUNNING (its first line) and FINISHED (its work done, the
#: function about to return and the process to exit).
CREATED, STARTED, RUNNING, FINISHED, JOINING, JOINED = (
    "created",
    "started",
    "running",
    "finished",
    "joining",
    "joined",
)
MOMENTS = (CREATED, STARTED, RUNNING, FINISHED, JOINING, JOINED)
#: The metrics `run` returns.
TOGETHER_S = "together_s"
ONE_BY_ONE_S = "one_by_one_s"
RATIO = "ratio"
START_RETURN_MS = "start_return_ms"
PARENT_WAITED_MS = "parent_waited_ms"
METRICS = (TOGETHER_S, ONE_BY_ONE_S, RATIO, START_RETURN_MS, PARENT_WAITED_MS)


def moment_series(mode: str, moment: str) -> str:
    """The live series of `moment` in `mode`: one sample per process, its index the value."""
    return f"{mode}.{moment}"


def lane_label(mode: str, i: int) -> str:
    """The label of process `i`'s lane in `mode` (how the chart finds its pid)."""
    return f"{mode} {i}"


def compute(ms: float) -> int:
    """Burn this process's CPU until it has used `ms` milliseconds of it.

    CPU time, not wall time: a process waiting for a core does not count, so 4 processes on
    2 cores really need twice as long as one.
    """
    end = time.process_time() + ms / 1000
    x = 0
    while time.process_time() < end:
        for k in range(1000):
            x += k * k
    return x


def task(mode: str, i: int, task_ms: float, work: str) -> None:
    """What each child process runs: say hello with its pid, do its task, say goodbye."""
    p = probe.current()
    p.metric(moment_series(mode, RUNNING), i)
    print(f"pid {os.getpid()}: process {i} running", flush=True)
    with p.task(i):  # the task, on the timeline
        if work == CPU:
            compute(task_ms)
        else:
            time.sleep(task_ms / 1000)
    print(f"pid {os.getpid()}: process {i} done", flush=True)
    p.metric(moment_series(mode, FINISHED), i)


class Clock:
    """What the parent measured: each ``start()``'s duration and the time spent in ``join()``."""

    def __init__(self) -> None:
        self.start_ns: list[int] = []
        self.join_ns = 0


def join(ctx: RunContext, proc, everyone: list, clock: Clock) -> None:
    """``proc.join()``: the parent waits here until `proc` has exited.

    It joins a slice at a time (:data:`JOIN_SLICE_S`) so that it notices Stop, and a crash of
    any of `everyone`, while it waits; the time inside ``join()`` is added to `clock`.
    """
    ctx.probe.flush()  # the window hears now what the parent did before it blocks here
    while proc.exitcode is None:
        t0 = time.perf_counter_ns()
        proc.join(JOIN_SLICE_S)
        clock.join_ns += time.perf_counter_ns() - t0
        if ctx.should_stop():
            return
        ctx.check_workers(everyone)


def together(ctx: RunContext, n: int, task_ms: float, work: str, clock: Clock) -> float | None:
    """Start all `n` processes, then join them all; the seconds from the first ``start()``
    to the last ``join()`` returning (None if stopped)."""
    main = ctx.probe
    main.phase(TOGETHER)
    main.plan(tasks=n, workers=n)
    procs = []
    try:
        for i in range(n):
            main.metric(moment_series(TOGETHER, CREATED), i)
            procs.append(
                ctx.process(task, TOGETHER, i, task_ms, work, label=lane_label(TOGETHER, i))
            )
        t0 = time.perf_counter_ns()
        for i, p in enumerate(procs):
            if ctx.should_stop():
                return None
            s0 = time.perf_counter_ns()
            p.start()  # returns at once: the child runs beside the parent from here
            clock.start_ns.append(time.perf_counter_ns() - s0)
            main.metric(moment_series(TOGETHER, STARTED), i)
        for i, p in enumerate(procs):
            main.metric(moment_series(TOGETHER, JOINING), i)
            join(ctx, p, procs, clock)  # p.join(): wait until it has exited
            if ctx.should_stop():
                return None
            main.metric(moment_series(TOGETHER, JOINED), i)
        return (time.perf_counter_ns() - t0) / 1e9
    finally:
        workers.end_all(procs)  # after Stop or a failure: nothing left running


def one_by_one(ctx: RunContext, n: int, task_ms: float, work: str, clock: Clock) -> float | None:
    """Start a process and join it before the next one starts; the seconds from the first
    ``start()`` to the last ``join()`` returning (None if stopped)."""
    main = ctx.probe
    main.phase(ONE_BY_ONE)
    main.plan(tasks=n, workers=n)
    procs = []
    try:
        t0 = time.perf_counter_ns()
        for i in range(n):
            if ctx.should_stop():
                return None
            main.metric(moment_series(ONE_BY_ONE, CREATED), i)
            p = ctx.process(task, ONE_BY_ONE, i, task_ms, work, label=lane_label(ONE_BY_ONE, i))
            procs.append(p)
            s0 = time.perf_counter_ns()
            p.start()
            clock.start_ns.append(time.perf_counter_ns() - s0)
            main.metric(moment_series(ONE_BY_ONE, STARTED), i)
            main.metric(moment_series(ONE_BY_ONE, JOINING), i)
            join(ctx, p, procs, clock)  # p.join() before the next one starts
            if ctx.should_stop():
                return None
            main.metric(moment_series(ONE_BY_ONE, JOINED), i)
        return (time.perf_counter_ns() - t0) / 1e9
    finally:
        workers.end_all(procs)


def run(ctx: RunContext, params: dict) -> dict:
    """Run the processes together, one by one, or both (``mode``), and compare the times."""
    n, task_ms, work, mode = params["processes"], params["task_ms"], params["work"], params["mode"]
    metrics: dict = dict.fromkeys(METRICS)  # every figure None until it is measured
    clock = Clock()
    if mode in ("both", TOGETHER):
        metrics[TOGETHER_S] = together(ctx, n, task_ms, work, clock)
    if mode in ("both", ONE_BY_ONE) and not ctx.should_stop():
        metrics[ONE_BY_ONE_S] = one_by_one(ctx, n, task_ms, work, clock)
    if metrics[TOGETHER_S] and metrics[ONE_BY_ONE_S]:
        metrics[RATIO] = metrics[ONE_BY_ONE_S] / metrics[TOGETHER_S]
    if clock.start_ns:
        metrics[START_RETURN_MS] = statistics.median(clock.start_ns) / 1e6
    metrics[PARENT_WAITED_MS] = clock.join_ns / 1e6
    if work == CPU:
        ctx.probe.log(
            f"work=cpu: at most {usable_cores()} tasks compute at once on this machine's "
            "cores, so the ratio stops near that number"
        )
    return metrics


SCENARIO = Scenario(
    id="process-basics",
    order=10,
    small_params={"processes": 2, "task_ms": 50},
    short="Process start & join",
    title="Process: start(), join(), several at once",
    summary="start() returns at once and the child runs beside the parent; join() waits. "
    "Started together, N processes take as long as one; one by one, N times as long.",
    params=(
        ParamSpec("processes", "int", default=4, minimum=1, maximum=32, help="Processes to start."),
        ParamSpec(
            "task_ms",
            "int",
            default=300,
            minimum=1,
            maximum=5000,
            unit="ms",
            label="Task time",
            help="How long each process's task takes, in milliseconds.",
        ),
        ParamSpec(
            "work",
            "choice",
            default=WAIT,
            choices=(WAIT, CPU),
            help="wait: the task sleeps (the ratio reaches the number of processes); cpu: it "
            "computes (the ratio stops at the number of cores).",
        ),
        ParamSpec(
            "mode",
            "choice",
            default="both",
            choices=("both", TOGETHER, ONE_BY_ONE),
            help="Start them all then join them all, start and join one at a time, or both.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: start() returns at once; join() is where the parent waits.
    focus=("p.start()", "proc.join(JOIN_SLICE_S)", "join(ctx, p, procs, clock)"),
)
