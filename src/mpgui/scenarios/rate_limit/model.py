"""Rate limit: the same pages fetched by a process Pool from a local server that allows
`server_rps` requests a second — first with no limiter, then with one limiter shared by every
worker process, then (optionally) with no limiter but retrying each 429 after its
``Retry-After``.

The server (:mod:`mpgui.core.child.page_server`, a process of its own on 127.0.0.1) holds a
token bucket of `server_rps` tokens, refilled at `server_rps` a second: a burst of one second's
worth, then 429 Too Many Requests. Without a limiter `workers` processes fetch as fast as
they can: the first second's burst gets through, most of the rest is refused.

The shared limiter (:class:`SharedLimiter`) is one ``multiprocessing.Value`` holding the
time of the next free slot, under the Value's own lock. Each request is made ready first, then
takes a slot at the moment it is sent: under the lock, if ``next <= now`` it goes and
``next = now + 1 / client_rps``; otherwise it sleeps until ``next`` (watching Stop) and tries
again. So any two requests leave at least 1 / `client_rps` apart, whichever processes send
them and however late a sleeper wakes: together they send at most `client_rps` a second. (A
limiter in each process would let `workers` × `client_rps` through.)
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from mpgui.core.child import page_server as ps
from mpgui.core.child import workers as wk
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

# The names this scenario reports (its chart imports them from here).
#: Phases: the pool starting, then the ways of fetching, with the wait for the server's bucket
#: to fill again between them.
STARTING = "start"
UNLIMITED, LIMITED, RETRY = "unlimited", "limited", "retry"
REFILL = "refill"
WAYS = (UNLIMITED, LIMITED, RETRY)
PHASES = (STARTING, UNLIMITED, REFILL, LIMITED, RETRY)
#: The metrics `run` returns (the issue's six first; the rest only appended).
STATUS_429_UNLIMITED = "status_429_unlimited"
STATUS_429_LIMITED = "status_429_limited"
MAX_RPS_LIMITED = "max_rps_limited"
UNLIMITED_S = "unlimited_s"
LIMITED_S = "limited_s"
EXPECTED_LIMITED_S = "expected_limited_s"
MAX_RPS_UNLIMITED = "max_rps_unlimited"
CLIENT_RPS = "client_rps"
SERVER_RPS = "server_rps"
CLIENT_ERRORS = "client_errors"
STATUS_429_RETRY = "status_429_retry"
RETRY_FAILED = "retry_failed"
RETRY_S = "retry_s"
POOL_START_MS = "pool_start_ms"
METRICS = (
    STATUS_429_UNLIMITED,
    STATUS_429_LIMITED,
    MAX_RPS_LIMITED,
    UNLIMITED_S,
    LIMITED_S,
    EXPECTED_LIMITED_S,
    MAX_RPS_UNLIMITED,
    CLIENT_RPS,
    SERVER_RPS,
    CLIENT_ERRORS,
    STATUS_429_RETRY,
    RETRY_FAILED,
    RETRY_S,
    POOL_START_MS,
)
#: The server's series the chart reads (the server's lane sends them).
ARRIVAL, REQUEST = ps.ARRIVAL, ps.REQUEST

#: Each page takes the server this long (ms), always the same: short, so that the client's
#: rate — not the page — sets the pace.
LATENCY_MS = 50
#: The retry phase tries a page at most this many times in all (the first try and 4 retries)
#: ...
MAX_ATTEMPTS = 5
#: ... and never past this long (s) after the first try: a safety bound that this server
#: (a Retry-After of 1 s) never reaches — 4 retries take about 4 s.
RETRY_BOUND_S = 10.0
#: The longest a phase may be expected to take (s): a run of more is refused before it
#: starts (2000 pages at 1 a second would be half an hour of waiting).
MAX_PHASE_S = 180.0
#: The margin the limited phase's busiest second may exceed `server_rps` by (the issue's).
RPS_MARGIN = 1.1
#: One second in ns: the window the busiest second is counted in.
SECOND_NS = 1_000_000_000


# -- the shared limiter: one slot time for every process ----------------------------------
class SharedLimiter:
    """A rate limiter that every worker process shares: the time of the next free slot
    (``time.monotonic()`` seconds) in a ``multiprocessing.Value``, under its lock.

    A burst of one: each call to :meth:`wait_for_slot` takes the slot once its time has come
    and moves the next to `interval_s` after now, so sends are at least `interval_s` apart
    whichever process makes them. The monotonic clock is one for the whole machine on Linux
    (``CLOCK_MONOTONIC``), so one process's "now" is every process's. Made in the parent and
    handed to each worker (a Pool's initargs), the Value is the same shared memory in all of
    them, under fork, spawn and forkserver alike.
    """

    def __init__(self, next_free: Any, interval_s: float) -> None:
        self.next_free = next_free  # a ctx.Value("d"): 0.0 means "free now"
        self.interval_s = interval_s

    def wait_for_slot(self, should_stop: Any) -> float | None:
        """Wait until the next slot is free and take it — at the moment of sending: return
        when it was taken (monotonic s), or None if Stop came first.

        Taken only once its time has come, the slot's "now" is the send's, so two sends are
        never less than `interval_s` apart, however late a sleeping process woke. The wait
        is bounded: each lost race is a slot another process sent in, and a phase has only
        so many requests.
        """
        while True:
            with self.next_free.get_lock():  # one process at a time reads and moves it
                now = time.monotonic()
                if self.next_free.value <= now:  # its time has come: take it, and go
                    self.next_free.value = now + self.interval_s
                    return now
                due = self.next_free.value
            # Not yet: sleep till then, outside the lock, and try again (another process
            # may take it first).
            if not wk.sleep_until(due, should_stop):
                return None


# -- the workers (a process Pool) -----------------------------------------------------------
#: Each worker's own Session (made in it: a Session must not cross a fork) and the shared
#: limiter, set by :func:`start_worker`.
_session: Any = None
_limiter: SharedLimiter | None = None


def start_worker(limiter: SharedLimiter) -> None:
    """The Pool's initializer, in each worker: its own Session, and the shared limiter."""
    global _session, _limiter  # noqa: PLW0603 - a worker's state, made once per process
    _session = ps.new_session()
    _limiter = limiter


def prepare(url: str) -> Any:
    """A GET of `url` with this worker's Session, made ready to send: the headers, the
    connection's address — the client's work done before the slot, not between it and the wire."""
    import requests  # noqa: PLC0415 - only the workers need it, not the window

    return _session.prepare_request(requests.Request("GET", url))


def send(request: Any) -> ps.Fetched:
    """Send a prepared request on this worker's Session; a client error is a record."""
    return ps.outcome(lambda: _session.send(request, timeout=ps.TIMEOUT_S))


def fetch(job: tuple[int, str], way: str) -> tuple[int | None, int] | None:
    """Fetch page `job` = (i, url) the `way` of this phase; return (status, attempts), or
    None if Stop came first.

    `limited`: the request is made ready, then waits for a slot of the shared limiter, then
    goes. `retry`: a 429 is tried again after its Retry-After, at most :data:`MAX_ATTEMPTS`
    tries and :data:`RETRY_BOUND_S` in all. The request (with its retries) is the task on the
    worker's timeline: a task open is a request open.
    """
    i, url = job
    p = probe.current()
    if p.should_stop():
        return None
    request = prepare(url)
    if way == LIMITED and _limiter.wait_for_slot(p.should_stop) is None:
        return None
    deadline = time.monotonic() + RETRY_BOUND_S
    attempts = 0
    with p.task(i):
        while True:
            got = send(request)
            attempts += 1
            if got.error is not None:
                p.log(f"request {i} ({url}): {got.error}", "WARNING")
            if way != RETRY or got.status != 429 or attempts >= MAX_ATTEMPTS:
                break
            wait = 1.0 if got.retry_after_s is None else got.retry_after_s
            again = time.monotonic() + wait
            if again > deadline or not wk.sleep_until(again, p.should_stop):
                break
    return got.status, attempts


# -- the run ---------------------------------------------------------------------------------
def busiest_second(arrivals_ns: list[int]) -> int:
    """The most of `arrivals_ns` in any half-open window [t, t + 1 s) (0 if none).

    The busiest window can always be slid right until it starts at an arrival, so only
    those windows need counting.
    """
    times = sorted(arrivals_ns)
    most, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - SECOND_NS:  # arrivals ≥ 1 s before t: out of the window
            first += 1
        most = max(most, last - first + 1)
    return most


def expected_limited_s(requests: int, client_rps: float) -> float:
    """The limited phase's floor: `requests` sends at least 1/`client_rps` apart, the first
    at once (a burst of one), span at least (requests − 1) gaps. The phase takes a little
    more: each sleeper wakes a little after its slot, and the last page still takes its
    latency."""
    return max(0, requests - 1) / client_rps


def refusal(params: dict[str, Any]) -> str | None:
    """Why these parameters are refused, in a sentence, or None: a phase expected to take
    longer than :data:`MAX_PHASE_S`, or a client rate between 0 and 1 a second (the form
    and the CLI ask this before a run: :attr:`~mpgui.core.scenario.Scenario.refuse`)."""
    requests, server_rps = params["requests"], params["server_rps"]
    client_rps, retry = params["client_rps"], params["retry"]
    if 0 < client_rps < 1:
        return (
            f"client_rps must be 0 (the server's rate) or at least 1 a second, got {client_rps:g}"
        )
    rate = client_rps or server_rps
    # The limited phase's slots; retrying, the server's own rate lets the pages through.
    longest = max(expected_limited_s(requests, rate), requests / server_rps if retry else 0)
    if longest > MAX_PHASE_S:
        return (
            f"{requests} pages would take about {longest / 60:.0f} minutes a phase (at most "
            f"{MAX_PHASE_S / 60:.0f}): fewer pages, or a higher rate"
        )
    return None


def fetch_all(
    ctx: RunContext, pool: Any, urls: list[str], way: str, workers: int
) -> tuple[list, float] | None:
    """Phase `way`: every page of `urls` on `pool`, one task at a time to each worker;
    return what each fetch gave and the phase's wall time (s), or None on Stop."""
    ctx.probe.phase(way)
    ctx.probe.plan(tasks=len(urls), workers=workers)
    t0 = time.perf_counter()
    got = ctx.map_or_stop(pool, partial(fetch, way=way), list(enumerate(urls)))
    seconds = time.perf_counter() - t0
    if got is None or ctx.should_stop():
        return None
    return got, seconds


def count(records: list[ps.Request], status: int) -> int:
    """How many of the server's `records` it answered with `status`."""
    return sum(1 for r in records if r.status == status)


def run(ctx: RunContext, params: dict) -> dict:
    """Fetch the pages without a limiter, with the shared limiter, and (if `retry`) retrying
    429s; measure what the server saw."""
    requests, workers = params["requests"], params["workers"]
    server_rps = params["server_rps"]
    why = refusal(params)
    if why is not None:  # make_spec refuses them first; a RunSpec made by hand is not
        raise ValueError(why)
    client_rps = params["client_rps"] or server_rps  # 0: the server's own rate
    main = ctx.probe
    metrics: dict[str, Any] = dict.fromkeys(METRICS)
    metrics[CLIENT_RPS], metrics[SERVER_RPS] = client_rps, server_rps
    main.phase(STARTING)
    with ps.serving(ctx, latency_ms=LATENCY_MS, jitter=0.0, rate_rps=server_rps) as server:
        if ctx.should_stop():
            return metrics
        urls = [server.url(i) for i in range(requests)]
        # The slot time every worker shares: made here, handed to each worker as it starts.
        limiter = SharedLimiter(ctx.mp.Value("d", 0.0), 1.0 / client_rps)
        with ctx.warm_pool(workers, initializer=start_worker, initargs=(limiter,)) as warm:
            if ctx.should_stop():
                return metrics
            metrics[POOL_START_MS] = warm.start_ms
            errors = 0

            # 1. No limiter: every worker as fast as it can.
            done = fetch_all(ctx, warm.pool, urls, UNLIMITED, workers)
            if done is None:
                return metrics
            records = server.take()
            metrics[UNLIMITED_S] = done[1]
            metrics[STATUS_429_UNLIMITED] = count(records, 429)
            metrics[MAX_RPS_UNLIMITED] = busiest_second([r.arrival_ns for r in records])
            errors += sum(1 for status, _ in done[0] if status is None)

            # The server's bucket is empty now: a fair start needs it full again.
            main.phase(REFILL)
            if not server.refilled():  # Stop came while it filled
                return metrics
            server.take()  # nothing came meanwhile; the next records are the limited phase's

            # 2. The shared limiter: sends at least 1/client_rps apart across all the processes.
            done = fetch_all(ctx, warm.pool, urls, LIMITED, workers)
            if done is None:
                return metrics
            records = server.take()
            metrics[LIMITED_S] = done[1]
            metrics[EXPECTED_LIMITED_S] = expected_limited_s(requests, client_rps)
            metrics[STATUS_429_LIMITED] = count(records, 429)
            metrics[MAX_RPS_LIMITED] = busiest_second([r.arrival_ns for r in records])
            errors += sum(1 for status, _ in done[0] if status is None)

            # 3. No limiter, but each 429 tried again after its Retry-After.
            if params["retry"]:
                main.phase(REFILL)
                if not server.refilled():
                    return metrics
                server.take()
                done = fetch_all(ctx, warm.pool, urls, RETRY, workers)
                if done is None:
                    return metrics
                records = server.take()
                metrics[RETRY_S] = done[1]
                metrics[STATUS_429_RETRY] = count(records, 429)
                metrics[RETRY_FAILED] = sum(1 for status, _ in done[0] if status != 200)
                errors += sum(1 for status, _ in done[0] if status is None)
            metrics[CLIENT_ERRORS] = errors
    main.log(
        f"without a limiter the server refused {metrics[STATUS_429_UNLIMITED]} of {requests}; "
        f"with the shared limiter {metrics[STATUS_429_LIMITED]}, at most "
        f"{metrics[MAX_RPS_LIMITED]} in any second (limit {server_rps:g}/s)"
    )
    return metrics


SCENARIO = Scenario(
    id="rate-limit",
    order=140,
    small_params={"requests": 24, "workers": 6, "server_rps": 12.0},
    small_variants=({"retry": True},),
    short="Rate limit",
    title="A rate limit shared by every worker process",
    summary="A Pool fetching pages as fast as it can gets 429 Too Many Requests from a "
    "server that allows server_rps a second; one limiter shared by all the processes — the "
    "next free slot in a Value, under its lock — keeps them under the limit.",
    params=(
        ParamSpec(
            "requests", "int", default=60, minimum=1, maximum=2000, help="Pages each phase fetches."
        ),
        ParamSpec(
            "workers", "int", default=6, minimum=1, maximum=32, help="Processes in the Pool."
        ),
        ParamSpec(
            "server_rps",
            "float",
            default=10.0,
            minimum=1.0,
            maximum=100.0,
            unit="/s",
            label="Server limit",
            help="Requests a second the server allows (a burst of one second's worth); "
            "above it, it answers 429.",
        ),
        ParamSpec(
            "client_rps",
            "float",
            default=0.0,
            minimum=0.0,
            maximum=100.0,
            unit="/s",
            label="Client rate (0 = server limit)",
            help="Requests a second the shared limiter lets all the workers send together: "
            "0 (the same as the server limit) or at least 1.",
        ),
        ParamSpec(
            "retry",
            "bool",
            default=False,
            label="Retry phase",
            help="Also fetch without a limiter, retrying each 429 after its Retry-After.",
        ),
    ),
    run=run,
    refuse=refusal,
    metrics=METRICS,
    # The lesson: the shared slot under its lock, taken when its time has come, the wait
    # for it, and the request itself.
    focus=(
        "with self.next_free.get_lock():",
        "if self.next_free.value <= now:",
        "self.next_free.value = now + self.interval_s",
        "limiter = SharedLimiter(ctx.mp.Value(",
        "if way == LIMITED and _limiter.wait_for_slot(",
        "return ps.outcome(lambda: _session.send(",
    ),
)
