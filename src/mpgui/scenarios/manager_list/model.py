"""Manager list: what processes append to a ``Manager().list()`` reaches the parent; what they
append to a plain list does not.

A child process has its own memory. A plain list handed to it is copied (pickled under spawn
and forkserver, copy-on-write under fork), so its appends grow the child's copy and the parent's
list stays empty. A Manager runs a server process that owns the real list; the children get
*proxies*, and every ``append`` is a round trip to that server. The same gather through a
``Queue`` shows what that round trip costs.
"""

from __future__ import annotations

import queue as queue_mod
import time
from multiprocessing.connection import wait

from mpgui.core.child.run_context import RunContext
from mpgui.core.child.workers import blocks
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: Each worker's appends are reported as this many blocks (its tasks on the timeline).
BLOCKS = 50
#: How often (s) the conductor samples the lists' lengths while the workers append.
SAMPLE_S = 0.05

# The names this scenario reports (its chart imports them from here).
#: The two phases: gather through a Manager list (a plain list alongside), then a Queue.
MANAGER, QUEUE = "manager", "queue"
PHASES = (MANAGER, QUEUE)
#: Live series the conductor samples: the lists' lengths as the parent reads them, and the
#: items it has taken off the queue.
SERIES_MANAGER_LEN = "manager.len"
SERIES_PLAIN_LEN = "plain.len_in_parent"
SERIES_QUEUE_GATHERED = "queue.gathered"
#: What begins the name of each worker's live series (:func:`by_worker_series`).
BY_WORKER_PREFIX = "manager.by_worker."
#: The metrics `run` returns.
EXPECTED = "expected"
MANAGER_LEN = "manager_len"
PLAIN_LEN_IN_PARENT = "plain_len_in_parent"
APPENDS_PER_S = "appends_per_s"
QUEUE_ITEMS_PER_S = "queue_items_per_s"
QUEUE_SPEEDUP = "queue_speedup"
METRICS = (
    EXPECTED,
    MANAGER_LEN,
    PLAIN_LEN_IN_PARENT,
    APPENDS_PER_S,
    QUEUE_ITEMS_PER_S,
    QUEUE_SPEEDUP,
)


def by_worker_series(worker: int) -> str:
    """The live series of how many items worker `worker` has appended to the Manager list."""
    return f"{BY_WORKER_PREFIX}{worker}"


def append_items(shared, plain: list, worker: int, items: int, start) -> None:
    """One worker: append `items` entries to the Manager list and to its plain list.

    The plain list is this process's own copy: its appends never reach the parent.
    """
    p = probe.current()
    start.wait()
    for task, block in enumerate(blocks(items, BLOCKS)):
        if p.should_stop():
            break
        with p.task(task):
            for i in block:
                shared.append((worker, i))  # a round trip to the manager's server
                plain.append((worker, i))  # this process's copy only
        p.metric(by_worker_series(worker), block.stop)
    start.finished(worker)


def put_items(queue, worker: int, items: int, start) -> None:
    """One worker: put `items` entries on `queue`, the same entries as :func:`append_items`."""
    p = probe.current()
    start.wait()
    for task, block in enumerate(blocks(items, BLOCKS)):
        if p.should_stop():
            return
        with p.task(task):
            for i in block:
                queue.put((worker, i))


def gather_with_manager(ctx: RunContext, workers: int, items: int) -> tuple[int, int, float]:
    """Phase 1: append through a Manager list and a plain list.

    Returns the Manager list's length, the plain list's length in this (the parent) process,
    and the seconds the appends took. While the workers append, the parent samples both
    lengths itself: the Manager list grows, the plain list stays empty.
    """
    main = ctx.probe
    main.phase(MANAGER)
    main.plan(tasks=workers * len(blocks(items, BLOCKS)), workers=workers)
    with ctx.manager() as manager:
        shared = manager.list()
        plain: list = []
        start = ctx.start_line(workers)
        procs = [
            ctx.process(append_items, shared, plain, w, items, start, label=MANAGER)
            for w in range(workers)
        ]
        with ctx.running(procs, start_line=start):
            while True:
                main.metric(SERIES_MANAGER_LEN, len(shared))
                main.metric(SERIES_PLAIN_LEN, len(plain))
                ctx.check_workers(procs)
                alive = [proc.sentinel for proc in procs if proc.is_alive()]
                if not alive:
                    break
                wait(alive, SAMPLE_S)
        length = len(shared)
    main.log(f"manager list: {length:,} items; plain list in the parent: {len(plain)} items")
    return length, len(plain), start.seconds()


def gather_with_queue(ctx: RunContext, workers: int, items: int) -> tuple[int, float]:
    """Phase 2: the same items sent through a ``Queue`` and gathered by the parent."""
    main = ctx.probe
    main.phase(QUEUE)
    main.plan(tasks=workers * len(blocks(items, BLOCKS)), workers=workers)
    queue = ctx.mp.Queue()
    start = ctx.start_line(workers)
    procs = [ctx.process(put_items, queue, w, items, start, label=QUEUE) for w in range(workers)]
    got = 0
    total = workers * items
    seconds = 0.0
    # Gather inside the block: a child exits only once the items it queued have been taken.
    # (After Stop nobody takes them; leaving the block ends the workers.)
    with ctx.running(procs, start_line=start):
        while got < total and not ctx.should_stop():
            try:
                queue.get(timeout=SAMPLE_S)
            except queue_mod.Empty:
                ctx.check_workers(procs)
                if not any(proc.is_alive() for proc in procs):
                    break
                continue
            got += 1
            if got % 1000 == 0:
                main.metric(SERIES_QUEUE_GATHERED, got)
        seconds = (time.perf_counter_ns() - start.released_ns) / 1e9
    main.metric(SERIES_QUEUE_GATHERED, got)
    main.log(f"queue: gathered {got:,} items in {seconds:.3f} s")
    return got, seconds


def run(ctx: RunContext, params: dict) -> dict:
    """Gather through a Manager list (with a plain list alongside), then through a Queue."""
    workers, items = params["workers"], params["items"]
    expected = workers * items
    manager_len, plain_len, manager_s = gather_with_manager(ctx, workers, items)
    if ctx.should_stop():
        return {}  # a stopped run reports no figures
    metrics = {
        EXPECTED: expected,
        MANAGER_LEN: manager_len,
        PLAIN_LEN_IN_PARENT: plain_len,
        APPENDS_PER_S: manager_len / manager_s,
        QUEUE_ITEMS_PER_S: None,
        QUEUE_SPEEDUP: None,
    }
    queue_len, queue_s = gather_with_queue(ctx, workers, items)
    if ctx.should_stop():
        return {}
    metrics[QUEUE_ITEMS_PER_S] = queue_len / queue_s
    metrics[QUEUE_SPEEDUP] = metrics[QUEUE_ITEMS_PER_S] / metrics[APPENDS_PER_S]
    return metrics


SCENARIO = Scenario(
    id="manager-list",
    order=50,
    small_params={"workers": 2, "items": 50},
    short="Manager list",
    title="Manager list vs plain list",
    summary="Processes append to a Manager().list() and to a plain list: only the Manager's "
    "reaches the parent. Then the same items through a Queue.",
    params=(
        ParamSpec("workers", "int", default=4, minimum=1, maximum=32, help="Processes appending."),
        ParamSpec(
            "items",
            "int",
            default=20_000,
            minimum=1,
            maximum=1_000_000,
            help="Items each worker appends.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the proxy's append reaches the parent, the plain list's does not.
    focus=(
        "shared.append((worker, i))",
        "plain.append((worker, i))",
        "shared = manager.list()",
        "plain: list = []",
        "queue.put((worker, i))",
    ),
)
