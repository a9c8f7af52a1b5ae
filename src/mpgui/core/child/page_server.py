"""A real HTTP server on 127.0.0.1 for the scenarios that fetch pages (web-fetch, rate-limit),
and what their clients share: a ``requests.Session`` that says who is asking, and a fetch
that turns any outcome into a record.

No machine here reaches the internet, and a classroom must not hammer real sites, so mpgui
brings its own server: a stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 (keep-alive: one
handler thread per connection) in a process of its own, started by the scenario with
:func:`serving` and ended with it. It listens on 127.0.0.1 only, at a port the kernel picks
free. Each page comes after a latency (with jitter), and an optional token bucket answers
``429 Too Many Requests`` with a ``Retry-After`` header above its rate.

The server is a lane of the run, though not a worker (``ctx.process(label="server",
role="server")``), and the child watch fails the run, naming it, if it dies. It reports every
request through its probe, live — its arrival (:data:`ARRIVAL`) and once answered its record
(:data:`REQUEST`) — so the window shows the server's side: requests in flight, requests per
second, 200s and 429s. The scenario asks it for the records themselves
(:meth:`PageServer.take`), to measure from the server's view.
"""

from __future__ import annotations

import math
import os
import random
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple

from mpgui.core import timing
from mpgui.core.child import workers
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe

if TYPE_CHECKING:  # imported where used: the server process never needs requests
    import requests

    from mpgui.core.child.run_context import RunContext

#: The server lane's live series: one sample per request as it arrives (t = its arrival,
#: value = the client's lane id) ...
ARRIVAL = "server.arrival"
#: ... and one per request answered (t = when its answer was sent, value = ``(arrival_ns,
#: status, client, size)``).
REQUEST = "server.request"

#: The headers every client request carries: the client's process id, and its lane id (the
#: same pid, or a thread lane's tid), so the server can tell who asked.
PID_HEADER = "X-Client-Pid"
LANE_HEADER = "X-Client-Lane"

#: A client waits this long (s) to connect, and this long more for an answer: a bound, far
#: above any page's latency (≤ 5 s), reached only if the server is stuck or gone.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
#: What to pass as ``timeout=`` to ``session.get``.
TIMEOUT_S = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)

#: The server sends what it saw this often (s): live enough to watch, few batches.
REPORT_S = 0.05
#: How long the server may take to start listening, or to answer a question (s).
ANSWER_S = 10.0
#: Connections the listening socket queues before accepting (more wait in connect).
BACKLOG = 128
#: A page's body: this many bytes at least, and up to this many more, by its number.
PAGE_MIN_BYTES = 2_048
PAGE_SPREAD_BYTES = 30_720


class Request(NamedTuple):
    """One request as the server saw it: when it arrived and was answered (perf_counter_ns,
    the protocol's clock), its HTTP status, the client's lane id, and the body's bytes."""

    arrival_ns: int
    finish_ns: int
    status: int
    client: int
    size: int


class Fetched(NamedTuple):
    """One request as its client saw it: the status (None if there was no answer: then
    `error` says why, in words), the body's bytes, the ``Retry-After`` seconds of a 429, and
    when it started and ended (perf_counter_ns)."""

    status: int | None
    size: int
    error: str | None
    retry_after_s: float | None
    started_ns: int
    ended_ns: int


def page_body(number: int) -> bytes:
    """Page `number`'s HTML: the same bytes every time, a size between
    :data:`PAGE_MIN_BYTES` and that plus :data:`PAGE_SPREAD_BYTES`, by its number."""
    size = PAGE_MIN_BYTES + (number * 7_919) % PAGE_SPREAD_BYTES
    head = f"<!doctype html><title>Page {number}</title><h1>Page {number}</h1><p>".encode()
    tail = b"</p>\n"
    filler = b"mpgui serves this page from 127.0.0.1. " * (size // 40 + 1)
    return head + filler[: max(0, size - len(head) - len(tail))] + tail


class TokenBucket:
    """A token bucket: `rate` tokens a second, at most `capacity`, full at first. A request
    takes one token, or is refused with the seconds until one is there. Thread-safe."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there is."""
        with self._lock:
            self._refill(time.monotonic())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def until_full(self) -> float:
        """Seconds until the bucket is full again (0.0 if it is)."""
        with self._lock:
            self._refill(time.monotonic())
            return (self.capacity - self._tokens) / self.rate


class _Server(ThreadingHTTPServer):
    """The pages' server: its latency and bucket, and what it saw, for its handlers."""

    daemon_threads = True  # a handler waiting on an idle keep-alive connection never blocks exit
    request_queue_size = BACKLOG

    def __init__(self, latency_s: float, jitter: float, bucket: TokenBucket | None) -> None:
        self.latency_s = latency_s
        self.jitter = jitter
        self.bucket = bucket
        self._random = random.Random(0)  # the same jitter every run: runs compare
        self._lock = threading.Lock()
        self.arrivals: list[tuple[int, int]] = []  # (t, client), not yet reported
        self.answered: list[Request] = []  # not yet reported
        self.taken: list[Request] = []  # not yet taken by the scenario
        self.in_flight = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        """Bind, without ``HTTPServer``'s reverse lookup of the host's name (no network)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def delay(self) -> float:
        """A page's latency: `latency_s`, give or take `jitter` of it."""
        with self._lock:
            spread = self._random.uniform(-self.jitter, self.jitter)
        return max(0.0, self.latency_s * (1.0 + spread))

    def arrived(self, client: int) -> int:
        """Count a request in; its arrival time."""
        t = time.perf_counter_ns()
        with self._lock:
            self.in_flight += 1
            self.arrivals.append((t, client))
        return t

    def answered_one(self, request: Request) -> None:
        """Count a request out, with its record."""
        with self._lock:
            self.answered.append(request)
            self.taken.append(request)
            self.in_flight -= 1

    def unreported(self) -> tuple[list[tuple[int, int]], list[Request]]:
        """What arrived and what was answered since the last call."""
        with self._lock:
            arrivals, self.arrivals = self.arrivals, []
            answered, self.answered = self.answered, []
        return arrivals, answered

    def take(self) -> list[Request]:
        """Every request answered since the last take, in order of arrival, once none is in
        flight (waiting at most :data:`ANSWER_S`)."""
        deadline = time.monotonic() + ANSWER_S
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.005)  # an answer being written: it is counted out within moments
        with self._lock:
            taken, self.taken = self.taken, []
        return sorted(taken)


class _Handler(BaseHTTPRequestHandler):
    """Answers ``GET /page/<n>``: page n after the latency, or 429 if the bucket is empty."""

    protocol_version = "HTTP/1.1"  # keep-alive: a Session's connection is used again
    # Headers and body go out as two writes: with Nagle's algorithm the body would wait for
    # the client's delayed acknowledgement of the headers (~40 ms a page on a kept-alive
    # connection), a latency the page was never given.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        """Answer one GET."""
        client = _number(self.headers.get(LANE_HEADER))
        arrival = self.server.arrived(client)
        status, body, headers = self._answer()
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client gave up (Stop, a timeout): nobody to answer
            self.close_connection = True
        finally:
            finish = time.perf_counter_ns()
            self.server.answered_one(Request(arrival, finish, status, client, len(body)))

    def _answer(self) -> tuple[int, bytes, list[tuple[str, str]]]:
        """The status, body and extra headers for this request."""
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "page" or not parts[2].isdigit():
            return 404, b"no such page\n", []
        bucket = self.server.bucket
        if bucket is not None:
            wait = bucket.take()
            if wait > 0:  # refused at once: a limit costs the server nothing to say
                return 429, b"too many requests\n", [("Retry-After", str(math.ceil(wait)))]
        time.sleep(self.server.delay())  # the page's latency: a database, a far-away site
        return 200, page_body(int(parts[2])), []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        """Say nothing per request: the probe reports them (stderr would be a log line each)."""


def _number(text: str | None) -> int:
    """A header's integer, or 0 if it is missing or not one."""
    try:
        return int(text or 0)
    except ValueError:
        return 0


def serve(conn: Any, latency_s: float, jitter: float, rate_rps: float | None) -> None:
    """The server process: listen on 127.0.0.1 at a free port and say which on `conn` (or
    why it cannot, a str), then serve until `conn` closes, reporting what it sees.

    `conn` also carries the scenario's questions: ``"take"`` (the requests answered since
    the last) and ``"until_full"`` (seconds until the bucket is full).
    """
    p = probe.current()
    bucket = None if rate_rps is None else TokenBucket(rate_rps, capacity=rate_rps)
    try:
        server = _Server(latency_s, jitter, bucket)
    except OSError as exc:  # no free port, no loopback: the run says so, in words
        conn.send(str(exc))
        return
    conn.send(server.server_port)
    threading.Thread(target=server.serve_forever, name="page-server", daemon=True).start()
    try:
        while True:
            if conn.poll(REPORT_S):
                question = conn.recv()
                if question == "take":
                    conn.send(server.take())
                elif question == "until_full":
                    conn.send(0.0 if bucket is None else bucket.until_full())
            _report(p, server)
    except (EOFError, OSError):  # the scenario is done with it (or gone): end
        pass
    finally:
        _report(p, server)


def _report(p: probe.Probe, server: _Server) -> None:
    """Send what the server saw since the last report, each at its own time."""
    arrivals, answered = server.unreported()
    for t, client in arrivals:
        p.emit((ev.METRIC, t, p.pid, ARRIVAL, client))
    for r in answered:
        p.emit((ev.METRIC, r.finish_ns, p.pid, REQUEST, (r.arrival_ns, r.status, r.client, r.size)))
    if arrivals or answered:
        p.flush()


class PageServer:
    """The scenario's handle on a running page server (from :func:`serving`)."""

    def __init__(self, ctx: RunContext, process: Any, conn: Any, port: int, rate_rps: Any) -> None:
        self._ctx = ctx
        self._process = process
        self._conn = conn
        self.port = port
        self.pid = process.pid
        self.rate_rps = rate_rps

    def url(self, number: int) -> str:
        """The address of page `number`."""
        return f"http://127.0.0.1:{self.port}/page/{number}"

    def _ask(self, question: str) -> Any:
        """The server's answer to `question`; raise if it dies or says nothing in time."""
        deadline = time.monotonic() + ANSWER_S
        try:
            self._conn.send(question)
            while not self._conn.poll(timing.WORKER_POLL_S):
                self._ctx.check_workers([self._process])
                if time.monotonic() > deadline or self._process.exitcode is not None:
                    break
            else:
                return self._conn.recv()
        except (EOFError, OSError):  # it died: its exit says how, once it is reaped
            self._process.join(timing.WORKER_STOP_WAIT_S)
            self._ctx.check_workers([self._process])
        raise RuntimeError(f"the page server (pid {self.pid}) stopped answering")

    def take(self) -> list[Request]:
        """Every request the server answered since the last take, in order of arrival."""
        return self._ask("take")

    def refilled(self) -> None:
        """Wait until the server's bucket is full again (at once without a limit), watching
        Stop: a phase after a burst then starts where the first did."""
        wait = self._ask("until_full")
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0 and not self._ctx.should_stop():
            time.sleep(min(left, timing.WORKER_POLL_S))


@contextmanager
def serving(
    ctx: RunContext, latency_ms: float, jitter: float = 0.2, rate_rps: float | None = None
) -> Iterator[PageServer]:
    """A page server in a process of its own for the block: pages after `latency_ms` (±
    `jitter` of it), and above `rate_rps` requests a second (a bucket of one second's worth)
    429s. The block begins once it listens (or once Stop comes: then its port is 0).

    However the block ends — or the server's start fails — the server is ended. One that
    cannot listen says why, and the run fails with that reason (``RuntimeError``).
    """
    here, there = ctx.mp.Pipe()
    server = ctx.process(
        serve, there, latency_ms / 1000.0, jitter, rate_rps, label="server", role="server"
    )
    try:
        server.start()
        there.close()
        port = _port(ctx, server, here)
        yield PageServer(ctx, server, here, port, rate_rps)
    finally:
        here.close()  # the server reports its last requests and ends on its own ...
        there.close()
        if server.pid is not None:
            server.join(timing.WORKER_STOP_WAIT_S)
        workers.end_all([server])  # ... or is ended
        if server.pid is not None:
            ctx.probe.log(f"the page server (pid {server.pid}) ended")


def _port(ctx: RunContext, server: Any, conn: Any) -> int:
    """The port `server` listens on, once it says (0 on Stop); raise if it cannot listen,
    dies, or says nothing within :data:`ANSWER_S`."""
    deadline = time.monotonic() + ANSWER_S
    while not conn.poll(timing.WORKER_POLL_S):
        ctx.check_workers([server])
        if ctx.should_stop():
            return 0
        if time.monotonic() > deadline or server.exitcode is not None:
            raise RuntimeError("the page server did not start")
    try:
        said = conn.recv()
    except EOFError:  # it died before a word: its exit says how, if it is a bad one
        server.join(ANSWER_S)
        ctx.check_workers([server])
        raise RuntimeError("the page server ended before it said its port") from None
    if isinstance(said, str):
        raise RuntimeError(f"the page server could not listen on 127.0.0.1: {said}")
    ctx.probe.log(f"the page server (pid {server.pid}) listens on 127.0.0.1:{said}")
    return said


# -- the clients' side ---------------------------------------------------------------------
def new_session() -> requests.Session:
    """A ``requests.Session`` for this worker (process or thread): every request says who
    asks (:data:`PID_HEADER`, :data:`LANE_HEADER`), and it never goes through a proxy from
    the environment — the server is on this machine."""
    import requests  # noqa: PLC0415 - only clients need it, not the server process

    session = requests.Session()
    session.trust_env = False  # no HTTP_PROXY, no .netrc: straight to 127.0.0.1
    session.headers[PID_HEADER] = str(os.getpid())
    session.headers[LANE_HEADER] = str(probe.current().pid)
    return session


def outcome(call: Callable[[], requests.Response]) -> Fetched:
    """Make one request (`call`, e.g. ``lambda: session.get(url, timeout=TIMEOUT_S)``) and
    say how it went. A client error (connection refused, a timeout) is a :class:`Fetched`
    with no status and the reason in words, never an exception."""
    import requests  # noqa: PLC0415

    started = ev.now_ns()
    try:
        with call() as response:
            body = response.content
            retry = _seconds(response.headers.get("Retry-After"))
            status = response.status_code
    except requests.RequestException as exc:
        return Fetched(None, 0, describe(exc), None, started, ev.now_ns())
    return Fetched(status, len(body), None, retry, started, ev.now_ns())


def describe(exc: Exception) -> str:
    """A client error in a few words: "connection refused", "timed out", or its first line."""
    import requests  # noqa: PLC0415

    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:160]


def _seconds(text: str | None) -> float | None:
    """A ``Retry-After`` header's seconds (None if absent or not a number of seconds)."""
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
