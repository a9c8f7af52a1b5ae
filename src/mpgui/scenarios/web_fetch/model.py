"""Web fetching: ``requests.get`` on pages from a real HTTP server on 127.0.0.1, serially,
on a process ``Pool`` and on a ``ThreadPool`` — the tutorial's example and its lesson: a
fetch mostly waits for the server, and waiting overlaps.

The server (:mod:`mpgui.core.child.page_server`) is a process of the run's own; it answers
each page after ``latency_ms`` (± a seeded jitter) and records every request, so the chart
shows its side (requests in flight) beside the clients' (each lane's fetches). Each worker
makes its own ``requests.Session`` in its pool's initializer: a Session must not cross a
fork (see the notice).

Every timed region is only the fetching, on a warm pool (every worker started and past its
initializer). Each way is measured once a run, not in alternating rounds
(``timed.alternate``): three rounds would fetch serially three times, a run of 15 s with the
defaults instead of 6 — and they would buy nothing here. A figure is already the sum of 24
fetches; the server draws each page's latency from the page's number, so every way waits
for the very same latencies; and the work is waiting, not computing, so another program's
burst on the cores barely moves it: five runs in a row differ by under 2 %. The benchmark
(``benchmarks/scenario_effects.py``) takes the median of 3 runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from mpgui.core.child import page_server as ps
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

# The names this scenario reports (its chart imports them from here).
#: The three ways of fetching, which are also the timed regions' phases.
SERIAL, POOL, THREADS = "serial", "pool", "threads"
WAYS = (SERIAL, POOL, THREADS)
#: The phases the pools start in (untimed).
START_POOL, START_THREADS = "start_pool", "start_threads"
PHASES = (SERIAL, START_POOL, POOL, START_THREADS, THREADS)
#: The metrics `run` returns, in this order.
SERIAL_S, POOL_S, THREADS_S = "serial_s", "pool_s", "threads_s"
POOL_SPEEDUP, THREADS_SPEEDUP = "pool_speedup", "threads_speedup"
STATUS_COUNTS = "status_counts"  # {"200": n, "429": n, "error": n, …} over every fetch
BYTES = "bytes"  # body bytes one way (serial) received
MAX_IN_FLIGHT = "max_in_flight"  # most requests the server had in flight at once
POOL_START_MS, THREADS_START_MS = "pool_start_ms", "threads_start_ms"
WAY_BYTES = "way_bytes"  # {way: body bytes it received}: every way fetched the same pages
METRICS = (
    SERIAL_S,
    POOL_S,
    THREADS_S,
    POOL_SPEEDUP,
    THREADS_SPEEDUP,
    STATUS_COUNTS,
    BYTES,
    MAX_IN_FLIGHT,
    POOL_START_MS,
    THREADS_START_MS,
    WAY_BYTES,
)
#: Each way's wall time (s), sent once it is measured (untimed), on ``wall.<way>``: the
#: chart's bars fill in while the run goes on.
WALL_PREFIX = "wall."


def wall_series(way: str) -> str:
    """The live series of `way`'s wall time (one sample, s)."""
    return f"{WALL_PREFIX}{way}"


#: A fetch that got no answer at all (connection refused, a timeout): its status count's key.
ERROR = "error"
#: The server's live series (its lane reports them; the chart reads them).
ARRIVAL, REQUEST = ps.ARRIVAL, ps.REQUEST


# -- each worker's Session ------------------------------------------------------------------
#: Each worker's own Session: per process (a Pool's worker runs its tasks in its main
#: thread, where its initializer ran) and per thread (a ThreadPool's initializer runs in each
#: thread). Never made before a fork and used after it: see :func:`make_session`.
_worker = threading.local()


def make_session() -> None:
    """A pool's initializer: this worker's own ``requests.Session`` (its pooled connections,
    kept alive between requests). Made here, in the worker — not in the parent before a fork,
    where parent and child would share its sockets and read each other's replies."""
    _worker.session = ps.new_session()


def drop_session() -> None:
    """Close this thread's Session (the conductor's, before it forks the pool)."""
    session = getattr(_worker, "session", None)
    if session is not None:
        session.close()
        del _worker.session


def fetch(job: tuple[int, str]) -> tuple[int | None, int]:
    """Fetch page `job` = (task number, url) with this worker's Session, as a task on its
    lane's timeline; return (HTTP status, body bytes) — status None if no answer came.

    A client error (connection refused, a timeout) is no crash: it is this request's record
    and a WARNING in the Log. Stop pressed: the remaining pages are skipped (status None,
    0 bytes, and no log line).
    """
    i, url = job
    p = probe.current()
    if p.should_stop():
        return None, 0
    with p.task(i):
        got = ps.outcome(lambda: _worker.session.get(url, timeout=ps.TIMEOUT_S))
    if got.error is not None:
        p.log(f"page {i} ({url}): {got.error}", "WARNING")
    return got.status, got.size


def status_key(status: int | None) -> str:
    """A fetch's key in :data:`STATUS_COUNTS`: its HTTP status as text, or "error"."""
    return ERROR if status is None else str(status)


def in_flight_steps(arrivals: Iterable[int], finishes: Iterable[int]) -> list[tuple[int, int]]:
    """Requests in flight over time: (t, count) after each arrival (+1) and each finish
    (-1), in time order. A finish at the very time of an arrival comes first: one request
    ending as another arrives does not overlap it. Never below 0 (a finish without its
    arrival — the chart's live view, batches arriving late — counts as nothing)."""
    edges = sorted([(t, 1) for t in arrivals] + [(t, -1) for t in finishes])
    steps, now = [], 0
    for t, step in edges:
        now = max(0, now + step)
        steps.append((t, now))
    return steps


def most_in_flight(requests: list[Any]) -> int:
    """The most of `requests` (with ``arrival_ns``, ``finish_ns``) in flight at once."""
    steps = in_flight_steps([r.arrival_ns for r in requests], [r.finish_ns for r in requests])
    return max((count for _, count in steps), default=0)


# -- the run ---------------------------------------------------------------------------------
def run(ctx: RunContext, params: dict) -> dict:
    """Fetch the pages serially, on a process Pool, then on a ThreadPool."""
    n, main = params["workers"], ctx.probe
    metrics: dict[str, Any] = dict.fromkeys(METRICS)  # every figure None until measured
    fetched: dict[str, list[tuple[int | None, int]]] = {}
    seen: list[Any] = []  # every request the server finished

    def timed(way: str, fetching: Any) -> None:
        """Time `fetching()` (the way's whole map, nothing else) as `way`'s figure."""
        main.phase(way)
        main.plan(tasks=len(jobs), workers=1 if way == SERIAL else n)
        t0 = time.perf_counter()
        results = fetching()
        seconds = time.perf_counter() - t0
        seen.extend(server.take())  # untimed: what the server saw of this way
        if not ctx.should_stop():  # a way Stop cut short is no figure
            metrics[f"{way}_s"] = seconds
            fetched[way] = results
            main.metric(wall_series(way), seconds)

    with ps.serving(ctx, latency_ms=params["latency_ms"]) as server:
        if ctx.should_stop():
            return metrics
        jobs = [(i, server.url(i)) for i in range(params["urls"])]
        # Serially: one Session in the conductor, closed before the pool forks it.
        make_session()
        try:
            timed(SERIAL, lambda: [fetch(job) for job in jobs])
        finally:
            drop_session()
        # The process pool, and its block left, before any thread of the ThreadPool exists:
        # a fork start method must not fork a process that runs other threads.
        if not ctx.should_stop():
            main.phase(START_POOL)
            with ctx.warm_pool(n, initializer=make_session) as pool:
                if not ctx.should_stop():  # Stop cut the warm-up short: no start-up figure
                    metrics[POOL_START_MS] = pool.start_ms
                    timed(POOL, lambda: pool.pool.map(fetch, jobs, chunksize=1))
        if not ctx.should_stop():
            main.phase(START_THREADS)
            with ctx.warm_thread_pool(n, initializer=make_session) as threads:
                if not ctx.should_stop():
                    metrics[THREADS_START_MS] = threads.start_ms
                    timed(THREADS, lambda: threads.pool.map(fetch, jobs, chunksize=1))
    if ctx.should_stop():
        return metrics
    counts: dict[str, int] = {}
    for results in fetched.values():
        for status, _ in results:
            counts[status_key(status)] = counts.get(status_key(status), 0) + 1
    metrics[STATUS_COUNTS] = counts
    metrics[WAY_BYTES] = {way: sum(size for _, size in got) for way, got in fetched.items()}
    metrics[BYTES] = metrics[WAY_BYTES][SERIAL]
    metrics[MAX_IN_FLIGHT] = most_in_flight(seen)
    for speedup, way_s in ((POOL_SPEEDUP, POOL_S), (THREADS_SPEEDUP, THREADS_S)):
        metrics[speedup] = metrics[SERIAL_S] / metrics[way_s]
    main.log(
        f"{len(jobs)} pages: serial {metrics[SERIAL_S]:.2f} s, pool of {n} "
        f"{metrics[POOL_SPEEDUP]:.1f}× faster, {n} threads {metrics[THREADS_SPEEDUP]:.1f}×; "
        f"at most {metrics[MAX_IN_FLIGHT]} requests in flight at the server"
    )
    return metrics


SCENARIO = Scenario(
    id="web-fetch",
    order=130,
    small_params={"urls": 8, "workers": 4, "latency_ms": 40},
    short="Web fetching",
    title="requests.get on a Pool and a ThreadPool, against a local server",
    summary="Fetching pages mostly waits for the server: a Pool of processes and a "
    "ThreadPool both wait for many pages at once and finish nearly `workers` times sooner.",
    params=(
        ParamSpec(
            "urls",
            "int",
            default=24,
            minimum=1,
            maximum=200,
            help="Pages to fetch. Serially they take urls × latency: 200 pages at 2 s "
            "would be almost 7 minutes.",
        ),
        ParamSpec(
            "workers",
            "int",
            default=8,
            minimum=1,
            maximum=32,
            help="Processes in the Pool, and threads in the ThreadPool.",
        ),
        ParamSpec(
            "latency_ms",
            "int",
            default=150,
            minimum=1,
            maximum=2000,
            unit="ms",
            label="latency",
            help="How long the local server takes to answer a page, in milliseconds "
            "(give or take a fifth).",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: one Session per worker, made in the worker; the same fetch three ways.
    focus=(
        "_worker.session = ps.new_session()",
        "got = ps.outcome(lambda: _worker.session.get(url, timeout=ps.TIMEOUT_S))",
        "timed(SERIAL, lambda: [fetch(job) for job in jobs])",
        "with ctx.warm_pool(n, initializer=make_session) as pool:",
        "timed(POOL, lambda: pool.pool.map(fetch, jobs, chunksize=1))",
        "with ctx.warm_thread_pool(n, initializer=make_session) as threads:",
        "timed(THREADS, lambda: threads.pool.map(fetch, jobs, chunksize=1))",
    ),
)
