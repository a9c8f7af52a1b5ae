"""Counter race: processes increment one shared counter, without and then with its lock.

``counter.value += 1`` on a ``multiprocessing.Value`` reads the value (taking the lock),
adds one, and writes it back (taking the lock again). Between the read and the write another
process can write its own increment, and one of the two is lost. Holding
``counter.get_lock()`` around the whole read-modify-write makes it exact — and slower.
"""

from __future__ import annotations

import ctypes

from mpgui.core.child.run_context import RunContext
from mpgui.core.child.workers import blocks
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: Each worker's increments are reported as this many blocks (its tasks on the timeline).
BLOCKS = 100


def increment(counter, progress, slot: int, increments: int, locked: bool, start) -> None:
    """One worker: add 1 to `counter` `increments` times, and report as it goes.

    `progress[slot]` is this worker's own count of increments done (only it writes there), so
    ``sum(progress)`` is what the counter would read if no update were lost. After every block
    the worker samples both, so the window draws the counter against that expected line.
    """
    p = probe.current()
    lock = counter.get_lock()
    name = "locked" if locked else "unlocked"
    start.wait()  # all workers start incrementing at the same moment
    for task, block in enumerate(blocks(increments, BLOCKS)):
        if p.should_stop():
            break
        with p.task(task):
            if locked:
                for _ in block:
                    with lock:  # the whole read-modify-write under the lock
                        counter.value += 1
            else:
                for _ in block:
                    counter.value += 1  # read (locked), add, write (locked): not atomic
        progress[slot] = block.stop
        p.metric(f"{name}.counter", counter.value)
        p.metric(f"{name}.expected", sum(progress))
    start.finished(slot)


def race(ctx: RunContext, workers: int, increments: int, locked: bool) -> tuple[int, float]:
    """Run one race; return the counter's final value and the seconds the increments took."""
    name = "locked" if locked else "unlocked"
    main = ctx.probe
    main.phase(name)
    main.plan(tasks=workers * len(blocks(increments, BLOCKS)), workers=workers)
    counter = ctx.mp.Value(ctypes.c_longlong, 0)  # a Value with its own lock
    progress = ctx.mp.Array(ctypes.c_longlong, workers, lock=False)
    start = ctx.start_line(workers)
    procs = [
        ctx.process(increment, counter, progress, i, increments, locked, start, label=name)
        for i in range(workers)
    ]
    with ctx.running(procs, start_line=start):
        pass  # the workers race; leaving the block waits for them (and reports a crash)
    seconds = start.seconds()  # from the release to the last worker's last increment
    final = counter.value
    main.metric(f"{name}.counter", final)
    main.metric(f"{name}.expected", sum(progress))
    lost = workers * increments - final
    main.log(
        f"{name}: counter {final:,} of {workers * increments:,} ({lost:,} lost) in {seconds:.3f} s"
    )
    return final, seconds


def run(ctx: RunContext, params: dict) -> dict:
    """Race without the lock, with it, or both (``mode``), and compare."""
    workers, increments, mode = params["workers"], params["increments"], params["mode"]
    expected = workers * increments
    metrics: dict = {
        "expected": expected,
        "unlocked_final": None,
        "locked_final": None,
        "lost_updates": None,
        "lost_pct": None,
        "unlocked_s": None,
        "locked_s": None,
        "lock_cost": None,
    }
    if mode in ("both", "unlocked"):
        final, metrics["unlocked_s"] = race(ctx, workers, increments, locked=False)
        metrics["unlocked_final"] = final
        metrics["lost_updates"] = expected - final
        metrics["lost_pct"] = 100.0 * (expected - final) / expected
        if ctx.should_stop():
            return metrics
    if mode in ("both", "locked"):
        metrics["locked_final"], metrics["locked_s"] = race(ctx, workers, increments, locked=True)
    if metrics["unlocked_s"] and metrics["locked_s"]:
        # How many times longer the exact count took: the price of the lock.
        metrics["lock_cost"] = metrics["locked_s"] / metrics["unlocked_s"]
    return metrics


SCENARIO = Scenario(
    id="counter-race",
    order=2,
    small_params={"workers": 2, "increments": 2000},
    short="Counter race & Lock",
    title="Shared counter: race vs Lock",
    summary="Processes add 1 to one shared counter: without the lock updates are lost; "
    "with it the count is exact, and slower.",
    params=(
        ParamSpec(
            "workers", "int", default=4, minimum=2, maximum=32, help="Processes incrementing."
        ),
        ParamSpec(
            "increments",
            "int",
            default=200_000,
            minimum=1,
            maximum=10_000_000,
            help="How many times each worker adds 1 to the counter.",
        ),
        ParamSpec(
            "mode",
            "choice",
            default="both",
            choices=("both", "unlocked", "locked"),
            help="Race without the lock, with it, or both one after the other.",
        ),
    ),
    run=run,
    metrics=(
        "expected",
        "unlocked_final",
        "locked_final",
        "lost_updates",
        "lost_pct",
        "unlocked_s",
        "locked_s",
        "lock_cost",
    ),
)
