"""When not to use processes, measured: tiny tasks, chunksize, moving data, starting a pool.

Three parts, each against doing the same work in the parent:

(a) tiny tasks: ``n`` squares, serially, with ``Pool.map(chunksize=1)`` and with larger
    chunksizes (a sweep, the best reported). Every task, however small, is pickled, sent
    down a pipe, unpickled, run, and its result sent back the same way.
(b) data transfer: ``mb`` megabytes cut into 1 MB pieces; counting each piece's newline
    bytes is trivial next to pickling the piece and pushing it through a pipe to a worker.
(c) start-up: a fresh pool started for one short task, against calling it directly.

(a) and (b) run on a warm pool (every worker started and initialised before any clock
runs), serial and pool measurements alternating :data:`~mpgui.core.child.timed.ROUNDS`
times, medians reported. (c) is the part that times start-up, on a pool of its own.

The squares in (a) are the plain :func:`square`: no probe call per item, so what is measured
is ``Pool.map``'s own overhead, not mpgui's (a report costs ~1 µs, a square ~0.05 µs). On the
timeline each measurement of (a) is one task of the main lane; the workers' lanes show the
pieces of (b) and the one task of (c).
"""

from __future__ import annotations

import math
import pickle
import time
from multiprocessing.pool import mapstar

from mpgui.core.child import timed
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: Bytes in one piece of the payload of (b): one task of the pool.
PIECE_BYTES = 1 << 20
#: The byte whose count is the trivial work of (b) (newline).
NEWLINE = 10

# The names this scenario reports (its chart imports them from here).
#: The phases, in order.
TINY, TRANSFER, STARTUP = "tiny", "transfer", "startup"
PHASES = (TINY, TRANSFER, STARTUP)
#: The variants measured in (a) and (b): their live series are ``MEASURED_PREFIX + name``
#: (one sample, in seconds, per measurement), the sweep's ``SWEEP_PREFIX + chunksize``.
TINY_SERIAL, TRANSFER_SERIAL, TRANSFER_POOL = "tiny.serial", "transfer.serial", "transfer.pool"
MEASURED_PREFIX = "measured."
SWEEP_PREFIX = "sweep.chunksize."
#: The metrics `run` returns: the issue's ten first.
TINY_SERIAL_S = "tiny_serial_s"
TINY_POOL_CHUNK1_S = "tiny_pool_chunk1_s"
TINY_POOL_CHUNKED_S = "tiny_pool_chunked_s"
BEST_CHUNKSIZE = "best_chunksize"
TRANSFER_MB = "transfer_mb"
TRANSFER_POOL_S = "transfer_pool_s"
TRANSFER_SERIAL_S = "transfer_serial_s"
POOL_STARTUP_MS = "pool_startup_ms"
CHUNK1_SLOWER_THAN_SERIAL = "chunk1_slower_than_serial"
TRANSFER_SLOWER_THAN_SERIAL = "transfer_slower_than_serial"
#: Where the time went (the chart's stacked bars), measured beside the timed regions:
#: pickling and unpickling what ``Pool.map`` sends and gets back, in the parent, for
#: chunksize 1, the best chunksize and the payload; the workers' own counting time in (b)
#: (summed over pieces); in (c), from creating the pool until its task began in a worker,
#: the task itself, until its result was back, closing and joining the pool, and the same
#: task called directly.
TINY_CHUNK1_PICKLE_S = "tiny_chunk1_pickle_s"
TINY_CHUNKED_PICKLE_S = "tiny_chunked_pickle_s"
TRANSFER_PICKLE_S = "transfer_pickle_s"
TRANSFER_WORK_S = "transfer_work_s"
STARTUP_BEGAN_MS = "startup_task_began_ms"
STARTUP_TASK_MS = "startup_task_ms"
POOL_SHUTDOWN_MS = "pool_shutdown_ms"
DIRECT_CALL_MS = "direct_call_ms"
WORKERS = "workers"
METRICS = (
    TINY_SERIAL_S,
    TINY_POOL_CHUNK1_S,
    TINY_POOL_CHUNKED_S,
    BEST_CHUNKSIZE,
    TRANSFER_MB,
    TRANSFER_POOL_S,
    TRANSFER_SERIAL_S,
    POOL_STARTUP_MS,
    CHUNK1_SLOWER_THAN_SERIAL,
    TRANSFER_SLOWER_THAN_SERIAL,
    TINY_CHUNK1_PICKLE_S,
    TINY_CHUNKED_PICKLE_S,
    TRANSFER_PICKLE_S,
    TRANSFER_WORK_S,
    STARTUP_BEGAN_MS,
    STARTUP_TASK_MS,
    POOL_SHUTDOWN_MS,
    DIRECT_CALL_MS,
    WORKERS,
)


def measured_series(variant: str) -> str:
    """The live series of `variant`'s measurements (seconds, one sample each)."""
    return f"{MEASURED_PREFIX}{variant}"


def sweep_series(chunksize: int) -> str:
    """The live series of ``Pool.map(chunksize=chunksize)``'s measurements (seconds)."""
    return f"{SWEEP_PREFIX}{chunksize}"


def square(x: int) -> int:
    """The tiny task: far cheaper than sending it anywhere."""
    return x * x


def count_newlines(data: bytes) -> tuple[int, int]:
    """The trivial work of (b): count the newline bytes of `data`; with how long it took (ns),
    so the parent can tell the work from the cost of getting the data to a worker."""
    t0 = time.perf_counter_ns()
    count = data.count(NEWLINE)
    return count, time.perf_counter_ns() - t0


def count_piece(task: tuple[int, bytes]) -> tuple[int, int]:
    """:func:`count_newlines` of one piece ``(index, data)`` in a worker: one task of its lane
    (one report per megabyte: its cost is lost in the piece's)."""
    index, data = task
    with probe.current().task(index):
        return count_newlines(data)


def timed_square(x: int) -> tuple[int, int, int]:
    """The one short task of (c): a square, with when it began and ended (ns)."""
    with probe.current().task(0):
        t0 = time.perf_counter_ns()
        result = square(x)
        return result, t0, time.perf_counter_ns()


def chunksizes(n: int, workers: int) -> list[int]:
    """The sweep: powers of ten below one chunk per worker, then one chunk per worker."""
    whole = max(1, math.ceil(n / workers))
    sizes = [10**k for k in range(int(math.log10(whole)) + 1) if 10**k < whole]
    return [*sizes, whole]


def payload(mb: int) -> list[tuple[int, bytes]]:
    """`mb` megabytes as numbered 1 MB pieces: every byte value in turn, so each piece of
    ``PIECE_BYTES`` holds exactly ``PIECE_BYTES // 256`` newlines (an exact check)."""
    # Slices of one big block: each piece its own megabyte of memory, as real data would be
    # (one piece repeated would be counted from a warm cache).
    data = bytes(range(256)) * (mb * PIECE_BYTES // 256)
    return [(i, data[i * PIECE_BYTES : (i + 1) * PIECE_BYTES]) for i in range(mb)]


def pickle_round_trip_s(sent: list, got: list) -> float:
    """Seconds to pickle and unpickle each of `sent` and `got` as a pool does (one message
    per item): the pickling share of a ``Pool.map``, measured in the parent."""
    t0 = time.perf_counter()
    for item in sent:
        pickle.loads(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
    for item in got:
        pickle.loads(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
    return time.perf_counter() - t0


def tiny_messages(n: int, chunksize: int) -> tuple[list, list]:
    """What ``Pool.map(square, range(n), chunksize)`` sends (one task per chunk: ``mapstar``
    with the function and the chunk) and gets back (the chunk's squares)."""
    xs = range(n)
    chunks = [tuple(xs[i : i + chunksize]) for i in range(0, n, chunksize)]
    sent = [(mapstar, ((square, chunk),)) for chunk in chunks]
    got = [(True, [square(x) for x in chunk]) for chunk in chunks]
    return sent, got


def run(ctx: RunContext, params: dict) -> dict:
    """Measure the three parts; return the figures and where the time went, in the order of
    :data:`METRICS` (None for what a Stop left unmeasured)."""
    got = measure(ctx, params)
    return {name: got.get(name) for name in METRICS}


def measure(ctx: RunContext, params: dict) -> dict:
    """The three parts, one after another: what was measured before any Stop."""
    n, mb, workers = params["n"], params["mb"], params["workers"]
    main = ctx.probe
    sizes = chunksizes(n, workers)
    metrics: dict = {TRANSFER_MB: mb, WORKERS: workers}

    with ctx.warm_pool(workers) as warm:
        pool = warm.pool
        # (a) tiny tasks: serial, then each chunksize of the sweep, alternating.
        main.phase(TINY)
        variants = {TINY_SERIAL: lambda: list(map(square, range(n)))}
        for size in sizes:
            variants[sweep_series(size)] = lambda size=size: ctx.map_or_stop(
                pool, square, range(n), size
            )
        names = list(variants)
        main.plan(tasks=len(names) * timed.ROUNDS, workers=1)
        tiny = _alternate(ctx, main, variants, names, offset=0)
        if tiny is None:
            return metrics
        best = min(sizes[1:] or sizes, key=lambda s: tiny[sweep_series(s)])
        metrics.update(
            {
                TINY_SERIAL_S: tiny[TINY_SERIAL],
                TINY_POOL_CHUNK1_S: tiny[sweep_series(1)],
                TINY_POOL_CHUNKED_S: tiny[sweep_series(best)],
                BEST_CHUNKSIZE: best,
                TINY_CHUNK1_PICKLE_S: pickle_round_trip_s(*tiny_messages(n, 1)),
                TINY_CHUNKED_PICKLE_S: pickle_round_trip_s(*tiny_messages(n, best)),
            }
        )
        metrics[CHUNK1_SLOWER_THAN_SERIAL] = metrics[TINY_POOL_CHUNK1_S] > metrics[TINY_SERIAL_S]
        main.log(
            f"tiny: {n:,} squares serially {tiny[TINY_SERIAL]:.4f} s, Pool.map chunksize=1 "
            f"{metrics[TINY_POOL_CHUNK1_S]:.3f} s, best chunksize {best:,} "
            f"{metrics[TINY_POOL_CHUNKED_S]:.4f} s"
        )

        # (b) data transfer: count newlines in the parent, or send the pieces to the pool.
        main.phase(TRANSFER)
        # Made after the pool's workers started: under fork they do not inherit it, so the
        # pool gets the data the only way it can, pickled down a pipe.
        pieces = payload(mb)
        expected = mb * (PIECE_BYTES // 256)
        counts: dict[str, list] = {}
        variants = {
            TRANSFER_SERIAL: lambda: counts.update(serial=[count_newlines(d) for _, d in pieces]),
            TRANSFER_POOL: lambda: counts.update(pool=ctx.map_or_stop(pool, count_piece, pieces)),
        }
        names = list(variants)
        main.plan(tasks=len(names) * timed.ROUNDS, workers=1)
        transfer = _alternate(ctx, main, variants, names, offset=len(sizes) + 1)
        if transfer is None:
            return metrics
        for name, got in counts.items():  # the work was done, and done right
            if sum(c for c, _ in got) != expected:
                raise RuntimeError(f"{name}: counted {sum(c for c, _ in got)}, not {expected}")
        metrics.update(
            {
                TRANSFER_SERIAL_S: transfer[TRANSFER_SERIAL],
                TRANSFER_POOL_S: transfer[TRANSFER_POOL],
                TRANSFER_PICKLE_S: pickle_round_trip_s(pieces, counts["pool"]),
                TRANSFER_WORK_S: sum(ns for _, ns in counts["pool"]) / 1e9,
            }
        )
        metrics[TRANSFER_SLOWER_THAN_SERIAL] = metrics[TRANSFER_POOL_S] > metrics[TRANSFER_SERIAL_S]
        main.log(
            f"transfer: {mb} MB counted in the parent {metrics[TRANSFER_SERIAL_S]:.3f} s, "
            f"sent to {workers} workers {metrics[TRANSFER_POOL_S]:.3f} s"
        )
    pieces.clear()  # the megabytes are not needed any more
    if ctx.should_stop():
        return metrics

    # (c) start-up: a pool of its own for one short task (the warm pool is gone: nothing
    # else competes with its start), against calling the task directly.
    main.phase(STARTUP)
    t0 = time.perf_counter_ns()
    square(7)
    direct_ns = time.perf_counter_ns() - t0
    t0 = time.perf_counter_ns()
    with ctx.pool(workers) as fresh:
        # One task, as ``fresh.apply`` would run it, but a Stop while the workers start
        # ends the pool at once (spawning many interpreters on 2 cores takes a while).
        got = ctx.map_or_stop(fresh, timed_square, [7])
        t_result = time.perf_counter_ns()
    t_joined = time.perf_counter_ns()
    if got is None:
        return metrics
    [(_, began, ended)] = got
    metrics.update(
        {
            POOL_STARTUP_MS: (t_result - t0) / 1e6,
            STARTUP_BEGAN_MS: (began - t0) / 1e6,
            STARTUP_TASK_MS: (ended - began) / 1e6,
            POOL_SHUTDOWN_MS: (t_joined - t_result) / 1e6,
            DIRECT_CALL_MS: direct_ns / 1e6,
        }
    )
    main.log(
        f"start-up: a pool of {workers} for one square took {metrics[POOL_STARTUP_MS]:.0f} ms "
        f"to answer; calling it directly {direct_ns / 1e3:.1f} µs"
    )
    return metrics


def _alternate(
    ctx: RunContext, main: probe.Probe, variants: dict, names: list[str], offset: int
) -> dict[str, float] | None:
    """Measure `variants` alternately (``timed.alternate``); their medians, or None if Stop
    cut the rounds short.

    The clock runs around the variant's call and nothing else, and that same number is both
    the live sample and what the median is taken of. Everything of mpgui's happens outside
    it, in ``before`` and ``after``: opening the main lane's task of the measurement
    (numbered from `offset`), closing it, sending the sample to the variant's live series.
    Those are up to a few pipe writes — for small `n`, as long as the serial loop itself.
    """
    numbers = iter(range(offset * timed.ROUNDS, (offset + len(names)) * timed.ROUNDS))
    running: list[int] = []  # the main lane's open task

    def before(_name: str, _round: int) -> None:
        running.append(next(numbers))
        main.started(running[-1])

    def after(name: str, _round: int, seconds: float | None) -> None:
        main.finished(running.pop())
        if seconds is not None:  # a map Stop cut short is not a measurement
            main.metric(name_series(name), seconds)

    took = timed.alternate(
        {name: variants[name] for name in names},
        rounds=timed.ROUNDS,
        should_stop=ctx.should_stop,
        before=before,
        after=after,
    )
    if ctx.should_stop() or any(len(took[name]) < timed.ROUNDS for name in names):
        return None
    return timed.medians(took)


def name_series(name: str) -> str:
    """The live series a variant's measurements go to (the sweep's have their own prefix)."""
    return name if name.startswith(SWEEP_PREFIX) else measured_series(name)


SCENARIO = Scenario(
    id="when-not-to",
    order=150,
    short="When not to",
    title="When not to use processes",
    summary="Tiny tasks, chunksize, moving data and starting a pool: when processes cost more "
    "than they give.",
    small_params={"n": 2000, "mb": 2, "workers": 2},
    params=(
        ParamSpec(
            "n",
            "int",
            default=100_000,
            minimum=10,
            maximum=1_000_000,
            label="Tiny tasks",
            help="How many squares to compute (part a).",
        ),
        ParamSpec(
            "mb",
            "int",
            default=50,
            minimum=1,
            maximum=1000,
            unit="MB",
            label="Data to send",
            help="Megabytes sent to the workers, in 1 MB pieces (part b).",
        ),
        ParamSpec(
            "workers",
            "int",
            default=2,
            minimum=1,
            maximum=64,
            help="Processes in each pool.",
        ),
    ),
    run=run,
    metrics=METRICS,
    focus=(
        "variants = {TINY_SERIAL: lambda: list(map(square, range(n)))}",
        "variants[sweep_series(size)] = lambda size=size: ctx.map_or_stop(",
        "TRANSFER_POOL: lambda: counts.update(pool=ctx.map_or_stop(pool, count_piece, pieces)),",
        "with ctx.pool(workers) as fresh:",
        "got = ctx.map_or_stop(fresh, timed_square, [7])",
    ),
)
