"""Shared memory: what workers write into a ``multiprocessing.Array`` the parent sees; what
they write into a plain list it never does; a ``Value`` added to under its lock is exact.

``ctx.mp.Array(typecode, length)`` allocates its cells in shared memory: the parent and every
child map the same bytes, so a child's ``cells[i] = mark`` is what the parent reads at
``cells[i]``. A plain list handed to a child is the child's own copy (pickled under spawn and
forkserver, copy-on-write under fork): the child fills it, the parent's stays all zeros.
Each worker owns one contiguous slice of the Array, so no two write the same cell and the
writes need no lock of their own; the ``Value`` total is read-modify-write
(``total.value += n``), so every worker holds ``total.get_lock()`` around it.
"""

from __future__ import annotations

import ctypes
import time
from multiprocessing.connection import wait

from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: Cells a worker writes between two pauses (each chunk is one task on the timeline).
CHUNK = 16
#: The pace each worker writes at (cells per second). Without the pauses the whole Array
#: fills in well under a millisecond, too fast to watch; at this pace the defaults' 1,024
#: cells a worker take 2 s, and the parent's samples show the strip filling.
CELLS_PER_S = 512
#: How often (s) the parent reads the Array while the workers write.
SAMPLE_S = 0.05

# The names this scenario reports (its chart imports them from here).
#: The one phase: the workers fill their slices.
FILL = "fill"
PHASES = (FILL,)
#: What begins the name of each worker's live series of cells the parent reads in its slice
#: holding its mark (:func:`array_series`): the conductor samples them from the Array.
ARRAY_PREFIX = "array.by_worker."
#: What begins the name of each worker's live series of cells written in ITS OWN copy of the
#: plain list (:func:`child_plain_series`): the worker itself reports them.
CHILD_PLAIN_PREFIX = "plain.in_child."
#: Live series the conductor samples: cells written in its own plain list, the Value total.
SERIES_PLAIN_IN_PARENT = "plain.in_parent"
SERIES_VALUE = "value.total"
#: The metrics `run` returns: the issue's five, then the children's copies and the fill time.
ARRAY_FILLED = "array_filled"
EXPECTED = "expected"
PLAIN_FILLED_IN_PARENT = "plain_filled_in_parent"
VALUE_FINAL = "value_final"
VALUE_EXPECTED = "value_expected"
PLAIN_FILLED_IN_CHILDREN = "plain_filled_in_children"
FILL_S = "fill_s"
METRICS = (
    ARRAY_FILLED,
    EXPECTED,
    PLAIN_FILLED_IN_PARENT,
    VALUE_FINAL,
    VALUE_EXPECTED,
    PLAIN_FILLED_IN_CHILDREN,
    FILL_S,
)


def array_series(worker: int) -> str:
    """The live series of cells in worker `worker`'s slice that the parent reads as its."""
    return f"{ARRAY_PREFIX}{worker}"


def child_plain_series(worker: int) -> str:
    """The live series of cells worker `worker` has written in its own copy of the plain list."""
    return f"{CHILD_PLAIN_PREFIX}{worker}"


def slice_of(worker: int, workers: int, length: int) -> range:
    """The cells worker `worker` of `workers` owns: a contiguous, nearly equal share."""
    return range(worker * length // workers, (worker + 1) * length // workers)


def mark_of(worker: int) -> int:
    """What worker `worker` writes into each of its cells: its number + 1 (0 = unwritten), so
    the parent's reading of a cell says who wrote it."""
    return worker + 1


def fill(cells, plain: list, total, done, in_copy, worker: int, workers: int, start) -> None:
    """One worker: write its mark into its slice of `cells` (the shared Array) and of `plain`
    (its own copy of the parent's list), `CHUNK` cells at a time at `CELLS_PER_S`, adding
    each chunk to the shared `total` under its lock.

    `done[worker]` is this worker's own count of cells written (only it writes there), so
    the parent knows what the Value should read without reading the Value;
    `in_copy[worker]` is how many cells of its slice this worker reads back from its copy of
    the plain list — the child does see its writes there.
    """
    p = probe.current()
    mark = mark_of(worker)
    mine = slice_of(worker, workers, len(plain))
    start.wait()  # all workers start writing at the same moment
    began = time.perf_counter()
    for task, first in enumerate(range(mine.start, mine.stop, CHUNK)):
        if p.should_stop():
            break
        chunk = range(first, min(first + CHUNK, mine.stop))
        with p.task(task):
            for i in chunk:
                cells[i] = mark  # shared memory: the parent reads this very cell
                plain[i] = mark  # this process's copy only
            with total.get_lock():  # += reads, adds and writes: hold the lock across all three
                total.value += len(chunk)
            done[worker] = chunk.stop - mine.start
            # What this child sees in its own copy of the plain list: its slice filling.
            in_copy[worker] = sum(v == mark for v in plain[mine.start : mine.stop])
            p.metric(child_plain_series(worker), in_copy[worker])
            # The pause that makes the fill watchable (by a deadline, so delays don't add up).
            time.sleep(max(0.0, began + done[worker] / CELLS_PER_S - time.perf_counter()))
    start.finished(worker)


def sample(ctx: RunContext, cells, plain: list, total, workers: int) -> int:
    """Read the Array, the parent's plain list and the Value once, and report them.

    Returns the cells the parent reads holding their owner's mark. It reads the shared
    memory itself (``get_obj()``), not through the Array's lock: a worker ended mid-write (a
    Stop ends the ones that do not wind down in time) would leave that lock held for good,
    and this reading would wait for ever. The slices are disjoint and a cell is written
    whole, so a lock-free reading only ever sees a cell written or not yet.
    """
    main = ctx.probe
    now = cells.get_obj()[:]
    filled = 0
    for w in range(workers):
        mark = mark_of(w)
        mine = slice_of(w, workers, len(now))
        count = sum(v == mark for v in now[mine.start : mine.stop])
        main.metric(array_series(w), count)
        filled += count
    main.metric(SERIES_PLAIN_IN_PARENT, sum(v != 0 for v in plain))
    main.metric(SERIES_VALUE, total.get_obj().value)  # lock-free too, for the same reason
    return filled


def run(ctx: RunContext, params: dict) -> dict:
    """Workers fill a shared Array and their copies of a plain list; the parent watches both."""
    workers, length, typecode = params["workers"], params["length"], params["typecode"]
    main = ctx.probe
    main.phase(FILL)
    chunks = sum(-(-len(slice_of(w, workers, length)) // CHUNK) for w in range(workers))
    main.plan(tasks=chunks, workers=workers)
    cells = ctx.mp.Array(typecode, length)  # in shared memory, zeroed; lock=True by default
    plain = [0] * length  # an ordinary list in this process's memory
    total = ctx.mp.Value(ctypes.c_longlong, 0)  # a shared count with its own lock
    # Each worker its own slot (no lock needed): cells written, and seen in its plain copy.
    done = ctx.mp.Array(ctypes.c_longlong, workers, lock=False)
    in_copy = ctx.mp.Array(ctypes.c_longlong, workers, lock=False)
    start = ctx.start_line(workers)
    procs = [
        ctx.process(fill, cells, plain, total, done, in_copy, w, workers, start, label=f"w{w}")
        for w in range(workers)
    ]
    with ctx.running(procs, start_line=start):
        # The parent reads the Array while the workers write it: the strip fills live.
        while not ctx.should_stop():
            sample(ctx, cells, plain, total, workers)
            ctx.check_workers(procs)
            alive = [proc.sentinel for proc in procs if proc.is_alive()]
            if not alive:
                break
            wait(alive, SAMPLE_S)
    filled = sample(ctx, cells, plain, total, workers)  # the workers are gone: final figures
    final = total.get_obj().value  # (a worker Stop ended may have died holding its lock)
    plain_in_parent = sum(v != 0 for v in plain)
    seconds = start.seconds()
    main.log(
        f"Array: {filled:,} of {length:,} cells written as the parent reads it; plain list in "
        f"the parent: {plain_in_parent:,}; Value {final:,} of {sum(done):,} added "
        f"({seconds:.2f} s)"
    )
    return {
        ARRAY_FILLED: filled,
        EXPECTED: length,
        PLAIN_FILLED_IN_PARENT: plain_in_parent,
        VALUE_FINAL: final,
        VALUE_EXPECTED: sum(done),  # what the workers really added (all of it unless stopped)
        # The children's copies did fill: what each worker read back from its own list.
        PLAIN_FILLED_IN_CHILDREN: sum(in_copy),
        FILL_S: seconds,
    }


SCENARIO = Scenario(
    id="shared-memory",
    order=30,
    small_params={"workers": 2, "length": 256},
    short="Value & Array",
    title="Shared memory: Value and Array",
    summary="Workers fill their slices of a shared Array and of a plain list: the parent sees "
    "the Array filled, its plain list untouched; a Value added to under its lock is exact.",
    params=(
        ParamSpec("workers", "int", default=4, minimum=1, maximum=16, help="Processes writing."),
        ParamSpec(
            "length",
            "int",
            default=4096,
            minimum=16,
            maximum=65_536,
            help=f"Cells in the Array (and the plain list); each worker writes its share at "
            f"{CELLS_PER_S} cells/s.",
        ),
        ParamSpec(
            "typecode",
            "choice",
            default="d",
            choices=("d", "i"),
            help="The Array's element type: 'd' a C double, 'i' a C int.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the shared cell reaches the parent, the plain list's does not, and the
    # Value's += is exact only under its lock.
    focus=(
        "cells[i] = mark",
        "plain[i] = mark",
        "with total.get_lock():",
        "cells = ctx.mp.Array(typecode, length)",
        "plain = [0] * length",
    ),
)
