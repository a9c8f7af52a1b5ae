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
from mpgui.core.child import child_watch, workers
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
#: How long the server may take to start listening, or to answer a question (s) ...
ANSWER_S = 10.0
#: ... of which a take() waits at most this long for answers still being written: shorter,
#: so a stuck request is the server's to report, not a silence the scenario times out on.
TAKE_WAIT_S = 5.0
#: How long the server waits, told to end, for answers still being counted out (s): well
#: inside the time the scenario waits for it to end (``WORKER_STOP_WAIT_S`` after a Stop,
#: ``SERVER_END_S`` otherwise).
END_SETTLE_S = 0.2
#: The status the server records for an answer it could not write: the client had gone
#: (Stop, a timeout). 499 is nginx's "client closed request"; it never goes on the wire.
CLIENT_GONE = 499
#: The status it answers with once the run is stopping: at once, without a page's latency,
#: so no client waits for a page nobody will read.
STOPPING = 503
#: The longest page number a request may ask for, in digits (anything else is a 404).
PAGE_DIGITS = 9
#: The multiprocessing name of the server's process: its death is told as the page server's.
PROCESS_NAME = ev.PAGE_SERVER_NAME
#: Connections the listening socket queues before accepting (more wait in connect).
BACKLOG = 128
#: A page's body: this many bytes at least, and up to this many more, by its number.
PAGE_MIN_BYTES = 2_048
PAGE_SPREAD_BYTES = 30_720


class Request(NamedTuple):
    """One request as the server saw it: when it arrived and was answered (perf_counter_ns,
    the protocol's clock), its HTTP status (:data:`CLIENT_GONE` if the answer could not be
    written), the client's lane id, the body's bytes, and the client's process id (both from
    the headers the clients send)."""

    arrival_ns: int
    finish_ns: int
    status: int
    client: int
    size: int
    pid: int


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

    def __init__(
        self, latency_s: float, jitter: float, bucket: TokenBucket | None, stopping: Any
    ) -> None:
        self.latency_s = latency_s
        self.jitter = jitter
        self.bucket = bucket
        self.stopping = stopping  # the run's StopFlag: once set, a page's wait ends at once
        # Counted in and out under the condition; take() waits on it for none in flight.
        self._changed = threading.Condition()
        self.arrivals: list[tuple[int, int]] = []  # (t, client), not yet reported
        self.answered: list[Request] = []  # not yet reported
        self.taken: list[Request] = []  # not yet taken by the scenario
        self.in_flight = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        """Bind, without ``HTTPServer``'s reverse lookup of the host's name (no network)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def delay(self, number: int) -> float:
        """Page `number`'s latency: `latency_s`, give or take `jitter` of it — drawn from the
        page's number, so a page takes as long whichever way fetches it, in any order."""
        # A str seed is hashed (SHA-512): small consecutive ints would draw alike at first.
        spread = random.Random(f"page {number}").uniform(-self.jitter, self.jitter)
        return max(0.0, self.latency_s * (1.0 + spread))

    def arrived(self, t: int, client: int) -> None:
        """Count a request in, that arrived at `t` (perf_counter_ns)."""
        with self._changed:
            self.in_flight += 1
            self.arrivals.append((t, client))

    def answered_one(self, request: Request) -> None:
        """Count a request out, with its record."""
        with self._changed:
            self.answered.append(request)
            self.taken.append(request)
            self.in_flight -= 1
            self._changed.notify_all()

    def unreported(self) -> tuple[list[tuple[int, int]], list[Request]]:
        """What arrived and what was answered since the last call."""
        with self._changed:
            arrivals, self.arrivals = self.arrivals, []
            answered, self.answered = self.answered, []
        return arrivals, answered

    def settle(self, timeout: float) -> None:
        """Wait until no request is in flight, at most `timeout` s: a client can have its
        answer a moment before the handler's thread counts it out."""
        with self._changed:
            self._changed.wait_for(lambda: not self.in_flight, timeout)

    def take(self) -> list[Request]:
        """Every request answered since the last take, in order of arrival, once none is in
        flight (waiting at most :data:`TAKE_WAIT_S`: an answer still being written)."""
        self.settle(TAKE_WAIT_S)
        with self._changed:
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

    def parse_request(self) -> bool:
        """Note when the request arrived — its first line read, before its headers are
        parsed — then parse it: the time a rate limit is about."""
        self.arrival_ns = time.perf_counter_ns()
        return super().parse_request()

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        """Answer one GET; however it goes, it is counted out with its record."""
        client = _number(self.headers.get(LANE_HEADER))
        pid = _number(self.headers.get(PID_HEADER))
        arrival = self.arrival_ns
        self.server.arrived(arrival, client)
        status, body = 500, b""
        try:
            status, body, headers = self._answer()
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
            status = CLIENT_GONE
        finally:
            finish = time.perf_counter_ns()
            self.server.answered_one(Request(arrival, finish, status, client, len(body), pid))

    def _answer(self) -> tuple[int, bytes, list[tuple[str, str]]]:
        """The status, body and extra headers for this request."""
        parts = self.path.split("/")
        number = parts[2] if len(parts) == 3 and parts[1] == "page" else ""
        # ASCII digits only: str.isdigit() is also true of "²", which int() refuses.
        if not (number.isascii() and number.isdigit() and len(number) <= PAGE_DIGITS):
            return 404, b"no such page\n", []
        bucket = self.server.bucket
        if bucket is not None:
            wait = bucket.take()
            if wait > 0:  # refused at once: a limit costs the server nothing to say
                return 429, b"too many requests\n", [("Retry-After", str(math.ceil(wait)))]
        # The page's latency (a database, a far-away site) — cut short if the run stops:
        # a client blocked in its read cannot look at Stop, so the answer must come.
        due = time.monotonic() + self.server.delay(int(number))
        if not workers.sleep_until(due, self.server.stopping.is_set):
            return STOPPING, b"the run is stopping\n", []
        return 200, page_body(int(number)), []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        """Say nothing per request: the probe reports them (stderr would be a log line each)."""


def _number(text: str | None) -> int:
    """A header's integer, or 0 if it is missing or not one."""
    try:
        return int(text or 0)
    except ValueError:
        return 0


#: What the scenario can ask the server on its pipe (each answered at once).
TAKE, UNTIL_FULL, END = "take", "until_full", "end"


def serve(
    conn: Any, stopping: Any, latency_s: float, jitter: float, rate_rps: float | None
) -> None:
    """The server process: listen on 127.0.0.1 at a free port and say which on `conn` (or
    why it cannot, a str), then serve until told :data:`END` (or `conn` closes), reporting
    what it sees. Once `stopping` (the run's StopFlag) is set, it answers at once.

    `conn` carries the scenario's questions: :data:`TAKE` (the requests answered since the
    last) and :data:`UNTIL_FULL` (seconds until the bucket is full); anything else gets a
    str saying so.
    """
    p = probe.current()
    bucket = None if rate_rps is None else TokenBucket(rate_rps, capacity=rate_rps)
    try:
        server = _Server(latency_s, jitter, bucket, stopping)
    except OSError as exc:  # no free port, no loopback: the run says so, in words
        conn.send(str(exc))
        return
    conn.send(server.server_port)
    threading.Thread(target=server.serve_forever, name="page-server", daemon=True).start()
    try:
        while True:
            # Under fork this process holds a copy of the scenario's end of the pipe too, so
            # its closing is no EOF here: the scenario says END.
            if conn.poll(REPORT_S):
                question = conn.recv()
                if question == END:  # its last answers counted out, then reported
                    server.settle(END_SETTLE_S)
                    break
                if question == TAKE:
                    conn.send(server.take())
                elif question == UNTIL_FULL:
                    conn.send(0.0 if bucket is None else bucket.until_full())
                else:
                    conn.send(f"the page server was asked {question!r}")
            _report(p, server)
    except (EOFError, OSError):  # the scenario is gone: end
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
    """The scenario's handle on a running page server (from :func:`serving`): its `port`,
    `pid`, `process`, `rate_rps`, the pages' addresses, and what it saw."""

    def __init__(self, ctx: RunContext, process: Any, conn: Any, port: int, rate_rps: Any) -> None:
        self._ctx = ctx
        self.process = process  # its multiprocessing Process (ended by serving's block)
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
                self._ctx.check_workers([self.process])
                if time.monotonic() > deadline or self.process.exitcode is not None:
                    break
            else:
                answer = self._conn.recv()
                if isinstance(answer, str):  # it did not understand: a bug, said in words
                    raise RuntimeError(answer)
                return answer
        except (EOFError, OSError):  # it died: its exit says how, once it is reaped
            self.process.join(timing.WORKER_STOP_WAIT_S)
            self._ctx.check_workers([self.process])
        raise RuntimeError(f"the page server (pid {self.pid}) stopped answering")

    def take(self) -> list[Request]:
        """Every request the server answered since the last take, in order of arrival."""
        return self._ask(TAKE)

    def refilled(self) -> bool:
        """Wait until the server's bucket is full again (at once without a limit), watching
        Stop (then False): a phase after a burst then starts where the first did."""
        due = time.monotonic() + self._ask(UNTIL_FULL)
        return workers.sleep_until(due, self._ctx.should_stop)


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
        serve,
        there,
        ctx.stop_event,
        latency_ms / 1000.0,
        jitter,
        rate_rps,
        label="server",
        role="server",
    )
    server.name = PROCESS_NAME  # a death is told as the page server's, not a worker's
    try:
        server.start()
        there.close()
        port = workers.said_port(ctx, server, here, "the page server", ANSWER_S)
        yield PageServer(ctx, server, here, port, rate_rps)
    finally:
        try:  # the server reports its last requests and ends on its own ...
            here.send(END)
        except OSError:  # it is gone already
            pass
        here.close()
        there.close()
        if server.pid is not None and not child_watch.failing():
            stopping = ctx.should_stop()
            server.join(timing.WORKER_STOP_WAIT_S if stopping else timing.SERVER_END_S)
        workers.end_all([server])  # ... or is ended
        if server.pid is not None:
            ctx.probe.log(f"the page server (pid {server.pid}) ended")


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
