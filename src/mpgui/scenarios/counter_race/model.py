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

# The names this scenario reports (its chart imports them from here).
#: The two races, in the order they run; each is its phase's name and its workers' label.
UNLOCKED, LOCKED = "unlocked", "locked"
PHASES = (UNLOCKED, LOCKED)
#: The metrics `run` returns.
EXPECTED = "expected"
UNLOCKED_FINAL = "unlocked_final"
LOCKED_FINAL = "locked_final"
LOST_UPDATES = "lost_updates"
LOST_PCT = "lost_pct"
UNLOCKED_S = "unlocked_s"
LOCKED_S = "locked_s"
LOCK_COST = "lock_cost"
METRICS = (
    EXPECTED,
    UNLOCKED_FINAL,
    LOCKED_FINAL,
    LOST_UPDATES,
    LOST_PCT,
    UNLOCKED_S,
    LOCKED_S,
    LOCK_COST,
)


def counter_series(race: str) -> str:
    """The live series of the shared counter's value during `race`."""
    return f"{race}.counter"


def expected_series(race: str) -> str:
    """The live series of the increments really done during `race` (what it should read)."""
    return f"{race}.expected"


def increment(counter, progress, slot: int, increments: int, locked: bool, start) -> None:
    """One worker: add 1 to `counter` `increments` times, and report as it goes.

    `progress[slot]` is this worker's own count of increments done (only it writes there), so
    ``sum(progress)`` is what the counter would read if no update were lost. After every block
    the worker samples both, so the window draws the counter against that expected line.
    """
    p = probe.current()
    lock = counter.get_lock()
    name = LOCKED if locked else UNLOCKED
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
        p.metric(counter_series(name), counter.value)
        p.metric(expected_series(name), sum(progress))
    start.finished(slot)


def race(ctx: RunContext, workers: int, increments: int, locked: bool) -> tuple[int, int, float]:
    """Run one race; return the counter's final value, the increments really done and the
    seconds they took.

    The increments done are ``workers × increments`` unless the run was stopped: then only
    what the workers did is counted, and only the gap between that and the counter is lost
    (increments never made were never lost).
    """
    name = LOCKED if locked else UNLOCKED
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
    done = sum(progress)
    main.metric(counter_series(name), final)
    main.metric(expected_series(name), done)
    # A worker ended mid-block (a signal after Stop) did increments `progress` does not count
    # yet: the counter can then exceed `done`, and nothing is known to be lost.
    lost = max(0, done - final)
    planned = workers * increments
    of = f"{done:,}" if done == planned else f"{done:,} done (of {planned:,} planned)"
    main.log(f"{name}: counter {final:,} of {of} ({lost:,} lost) in {seconds:.3f} s")
    return final, done, seconds


def run(ctx: RunContext, params: dict) -> dict:
    """Race without the lock, with it, or both (``mode``), and compare."""
    workers, increments, mode = params["workers"], params["increments"], params["mode"]
    expected = workers * increments
    metrics: dict = dict.fromkeys(METRICS)  # every figure None until it is measured
    metrics[EXPECTED] = expected
    if mode in ("both", UNLOCKED):
        final, done, metrics[UNLOCKED_S] = race(ctx, workers, increments, locked=False)
        metrics[UNLOCKED_FINAL] = final
        # Lost: increments really done that the counter does not show (`done` is `expected`
        # unless the run was stopped, and a stopped run reports no metrics anyway).
        metrics[LOST_UPDATES] = lost = max(0, done - final)
        metrics[LOST_PCT] = 100.0 * lost / done if done else 0.0
        if ctx.should_stop():
            return metrics
    if mode in ("both", LOCKED):
        metrics[LOCKED_FINAL], _, metrics[LOCKED_S] = race(ctx, workers, increments, locked=True)
    if metrics[UNLOCKED_S] and metrics[LOCKED_S]:
        # How many times longer the exact count took: the price of the lock.
        metrics[LOCK_COST] = metrics[LOCKED_S] / metrics[UNLOCKED_S]
    return metrics


SCENARIO = Scenario(
    id="counter-race",
    order=40,
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
            choices=("both", UNLOCKED, LOCKED),
            help="Race without the lock, with it, or both one after the other.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the bare increment loses updates; under the lock it does not.
    focus=("with lock:", "counter.value += 1"),
)
