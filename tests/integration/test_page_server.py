"""The page server (web-fetch's and rate-limit's), driven from a RunContext in the test
process: a real HTTP server in a real process, real requests through real sockets."""

import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading

import psutil
import pytest

from mpgui.core.child import page_server as ps
from mpgui.core.child.failures import WorkerFailed
from mpgui.core.child.run_context import RunContext
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe as probe_mod
from mpgui.core.protocol.channel import EventChannel
from mpgui.core.protocol.frames import FrameReader
from mpgui.core.protocol.run_spec import RunSpec, available_start_methods

#: A short latency: the tests are about the server, not waiting.
LATENCY_MS = 20


@pytest.fixture
def context(request):
    """A RunContext like the conductor's, its main probe installed (clients in this process
    name their lane by it); its events collected."""
    method = getattr(request, "param", "fork")
    mp = multiprocessing.get_context(method)
    batches: list[list[tuple]] = []
    main = probe_mod.Probe(batches.append, None, role="main", label="main")
    probe_mod.install_probe(main)
    channel = EventChannel(mp)
    ctx = RunContext(mp, main, channel, mp.Event())
    yield ctx, batches, channel
    channel.close()
    probe_mod.uninstall()


def _events(batches, channel):
    out = [e for batch in batches for e in batch]
    out += [e for batch in FrameReader(channel.reader).read() for e in batch]
    return out


def _get(session, server, number):
    return ps.outcome(lambda: session.get(server.url(number), timeout=ps.TIMEOUT_S))


@pytest.mark.parametrize("context", available_start_methods(), indirect=True)
def test_pages_come_whole_and_the_server_records_each_request_and_reports_it_live(context):
    ctx, batches, channel = context
    with ps.serving(ctx, LATENCY_MS) as server, ps.new_session() as session:
        got = [_get(session, server, n) for n in range(6)]
        seen = server.take()
        pid = server.pid
    assert [g.status for g in got] == [200] * 6
    assert [g.size for g in got] == [len(ps.page_body(n)) for n in range(6)]
    assert all(g.ended_ns - g.started_ns >= 0.8 * LATENCY_MS * 1e6 for g in got)  # the latency
    assert [r.status for r in seen] == [200] * 6
    assert {r.client for r in seen} == {ctx.probe.pid}  # the lane the header named
    assert [r.size for r in seen] == [g.size for g in got]
    assert [r.arrival_ns for r in seen] == sorted(r.arrival_ns for r in seen)
    for g, r in zip(got, seen, strict=True):  # (the server may note its finish after the
        assert g.started_ns < r.arrival_ns < min(r.finish_ns, g.ended_ns), (g, r)  # client's)
    events = _events(batches, channel)
    hello = [e for e in events if e[0] == ev.HELLO and e[2] == pid][0]
    assert hello[4:] == ("server", "server")  # its role and its lane's label
    state = RunState(RunSpec("web-fetch", {}, "fork"))
    state.apply(events)
    assert [lane.label for lane in state.lanes if lane.pid == pid] == ["server"]
    assert pid not in {w["pid"] for w in state.result()["workers"]}  # it serves; no worker
    live = [e for e in events if e[0] == ev.METRIC and e[2] == pid]
    arrivals = [(t, value) for _, t, _, name, value in live if name == ps.ARRIVAL]
    answers = [(t, value) for _, t, _, name, value in live if name == ps.REQUEST]
    assert arrivals == [(r.arrival_ns, r.client) for r in seen]
    assert answers == [(r.finish_ns, (r.arrival_ns, r.status, r.client, r.size)) for r in seen]
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_the_server_listens_on_127_0_0_1_only_at_the_port_it_says(context):
    ctx, _, _ = context
    with ps.serving(ctx, LATENCY_MS) as server:
        listening = [
            c
            for c in psutil.Process(server.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
        assert [(c.laddr.ip, c.laddr.port) for c in listening] == [("127.0.0.1", server.port)]
        assert server.port > 0


def test_above_its_rate_the_server_answers_429_with_retry_after_then_refills(context):
    ctx, _, _ = context
    rate = 5
    with ps.serving(ctx, 1, rate_rps=rate) as server, ps.new_session() as session:
        burst = [_get(session, server, n) for n in range(rate + 3)]
        server.refilled()
        after = [_get(session, server, n) for n in range(rate)]
        seen = server.take()
    statuses = [g.status for g in burst]
    # A bucket of one second's worth: the first `rate` pass, and with a 1 ms page nothing
    # refills a whole token in the few ms the next three take.
    assert statuses[:rate] == [200] * rate
    assert 429 in statuses[rate:]
    refused = [g for g in burst if g.status == 429]
    assert all(g.retry_after_s == math.ceil(g.retry_after_s) >= 1 for g in refused)
    assert [g.status for g in after] == [200] * rate  # full again: a whole burst passes
    assert [r.status for r in seen] == statuses + [200] * rate


def test_an_unknown_path_is_404_and_a_closed_port_is_a_record_not_an_exception(context):
    ctx, _, _ = context
    with ps.serving(ctx, LATENCY_MS) as server, ps.new_session() as session:
        missing = ps.outcome(lambda: session.get(server.url(1) + "/x", timeout=ps.TIMEOUT_S))
        url = server.url(1)
    assert missing.status == 404
    with ps.new_session() as session:  # the server is gone: nothing listens on its port
        refused = ps.outcome(lambda: session.get(url, timeout=ps.TIMEOUT_S))
    assert (refused.status, refused.size, refused.error) == (None, 0, "connection refused")


@pytest.mark.parametrize("context", available_start_methods(), indirect=True)
def test_after_its_block_the_server_ends_by_itself_and_promptly(context):
    # Under fork the server holds a copy of the scenario's end of the pipe: only the END
    # message, not the pipe's closing, can tell it to go.
    ctx, batches, channel = context
    with ps.serving(ctx, LATENCY_MS) as server, ps.new_session() as session:
        _get(session, server, 1)
        t0 = ev.now_ns()
    took_s = (ev.now_ns() - t0) / 1e9
    assert server.process.exitcode == 0  # it returned; it was not terminated
    # Promptly: well before the SERVER_END_S (2 s) the block would have waited for a server
    # that did not hear END, and then terminated it (-15). ~10-80 ms here.
    assert took_s < 1.0, took_s
    answered = [e for e in _events(batches, channel) if e[0] == ev.METRIC and e[3] == ps.REQUEST]
    assert len(answered) == 1  # its last report went out before it ended


def test_the_server_is_ended_however_the_block_ends(context):
    ctx, _, _ = context
    with pytest.raises(ZeroDivisionError), ps.serving(ctx, LATENCY_MS) as server:
        1 / 0  # noqa: B018 - the block fails
    assert server.process.exitcode is not None
    assert not psutil.pid_exists(server.pid) or psutil.Process(server.pid).status() == "zombie"


def test_on_stop_a_page_still_waiting_for_its_latency_is_answered_at_once(context):
    # A client blocked in its read cannot look at Stop: the server must answer it.
    ctx, _, _ = context
    with ps.serving(ctx, 5_000) as server, ps.new_session() as session:
        stop = threading.Timer(0.2, ctx.stop_event.set)
        stop.start()
        got = _get(session, server, 1)
        stop.join()
    assert got.status == ps.STOPPING
    assert (got.ended_ns - got.started_ns) / 1e9 < 1.0


def test_a_page_takes_the_same_latency_whichever_way_fetches_it(context):
    ctx, _, _ = context
    # Pages 1 and 2 draw ~74 and ~145 ms (100 ms ± 50 %): far enough apart that a late
    # wake-up (the only noise: it can add time, never take it away) cannot blur them.
    with ps.serving(ctx, 100, jitter=0.5) as server, ps.new_session() as session:
        for n in (1, 2, 1, 2):
            _get(session, server, n)
        seen = server.take()
    took_ms = [(r.finish_ns - r.arrival_ns) / 1e6 for r in seen]
    assert abs(took_ms[0] - took_ms[2]) < 25 and abs(took_ms[1] - took_ms[3]) < 25, took_ms
    assert took_ms[1] - took_ms[0] > 40, took_ms  # drawn per page: pages differ


def test_a_malformed_request_is_a_404_and_leaves_no_request_in_flight(context):
    ctx, _, _ = context
    with ps.serving(ctx, LATENCY_MS) as server, ps.new_session() as session:
        odd = ps.outcome(
            lambda: session.get(f"http://127.0.0.1:{server.port}/page/%C2%B2", timeout=5)
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(  # "²": a digit to str.isdigit()
                b"GET /page/\xc2\xb2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            # Read the whole answer, to the server's close: a client that hung up after the
            # headers would have its unwritten body recorded, rightly, as a 499.
            reply = b"".join(iter(lambda: raw.recv(4096), b""))
        t0 = ev.now_ns()
        seen = server.take()
        took_s = (ev.now_ns() - t0) / 1e9
        with pytest.raises(RuntimeError, match="the page server was asked 'what'"):
            server._ask("what")
    assert odd.status == 404, odd
    assert reply.startswith(b"HTTP/1.1 404"), reply
    assert [r.status for r in seen] == [404, 404], seen
    assert took_s < 2.0, took_s  # nothing counted in and never out (take() would wait 5 s)


def test_a_killed_server_fails_the_run_naming_it(context):
    ctx, _, _ = context
    with pytest.raises(WorkerFailed) as failed, ps.serving(ctx, LATENCY_MS) as server:
        os.kill(server.pid, signal.SIGKILL)
        server.take()
    assert failed.value.pid == server.pid
    assert str(failed.value) == f"the page server (pid {server.pid}) was killed by SIGKILL"


#: Run under ``unshare -rn``: a network namespace of its own, whose ephemeral ports are one
#: port, held by a listener — so the server's bind to port 0 really fails.
NO_FREE_PORT = """
import json, multiprocessing, socket
from mpgui.core.child import page_server
from mpgui.core.child.run_context import RunContext
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import probe
from mpgui.core.protocol.channel import EventChannel
with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
    f.write("40000 40000")
holder = socket.create_server(("127.0.0.1", 40000))
mp = multiprocessing.get_context("fork")
channel = EventChannel(mp)
ctx = RunContext(mp, probe.install_probe(probe.Probe(lambda b: None, None)), channel, mp.Event())
try:
    with page_server.serving(ctx, 10):
        print(json.dumps("it listened"))
except RuntimeError as exc:
    print(json.dumps(str(exc)))
"""


def test_a_server_that_cannot_listen_says_why():
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode
    ):
        pytest.skip("no unprivileged network namespace here (unshare -rn)")
    out = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", NO_FREE_PORT],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    said = json.loads(out.stdout.splitlines()[-1])
    assert said.startswith("the page server could not listen on 127.0.0.1: ")
    assert "Address already in use" in said


def test_a_page_takes_its_latency_and_not_a_delayed_ack_more(context):
    # Headers and body are two writes: with Nagle's algorithm on, each page on a kept-alive
    # connection waited ~40 ms for the client's delayed ACK.
    ctx, _, _ = context
    with ps.serving(ctx, 1, jitter=0.0) as server, ps.new_session() as session:
        got = [_get(session, server, n) for n in range(10)]
    took_ms = sorted((g.ended_ns - g.started_ns) / 1e6 for g in got[1:])  # kept alive
    # Nagle would add >= 40 ms (Linux's least delayed ACK) to each: 30 ms is room for a
    # loaded machine's wake-ups, and still tells the two apart.
    assert took_ms[len(took_ms) // 2] < 1 + 30, took_ms
