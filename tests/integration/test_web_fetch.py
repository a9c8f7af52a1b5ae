"""web-fetch for real, under every start method: with the defaults every fetch gets a 200,
every way receives the same bytes (the pages' own), the server has `workers` requests in
flight at once, and it saw each request from the lane that made it. Stop in any way winds
down at once; a worker killed mid-request fails the run naming it; a client error is a
record and a log line, not a crash. The speedups' floors are the benchmark's
(benchmarks/scenario_effects.py)."""

from __future__ import annotations

import os
import signal
import socket
import threading

import pytest

from mpgui import scenarios
from mpgui.core.child import page_server as ps
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.web_fetch import model
from mpgui.scenarios.web_fetch.model import METRICS, POOL, SCENARIO, WAYS
from tests.process_tree import HANG_BOUND_S, run_shm, run_temp_dirs
from tests.runs import run_with_state, stop_when

DEFAULTS = {spec.name: spec.default for spec in SCENARIO.params}


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_all_200_same_bytes_and_workers_requests_in_flight(method):
    result, state = run_with_state("web-fetch", DEFAULTS, method)
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    assert list(m)[: len(METRICS)] == list(METRICS)
    urls, n = DEFAULTS["urls"], DEFAULTS["workers"]
    assert m["status_counts"] == {"200": len(WAYS) * urls}
    pages = sum(len(ps.page_body(i)) for i in range(urls))
    assert m["bytes"] == pages and m["way_bytes"] == dict.fromkeys(WAYS, pages)
    assert m["max_in_flight"] == n
    assert m["pool_speedup"] == pytest.approx(m["serial_s"] / m["pool_s"])
    assert m["threads_speedup"] == pytest.approx(m["serial_s"] / m["threads_s"])
    assert m["pool_start_ms"] > 0 and m["threads_start_ms"] > 0
    # Serially the pages come one after another, each after its latency (at least 80 % of
    # it: the jitter is ± 20 %).
    assert m["serial_s"] >= urls * 0.8 * DEFAULTS["latency_ms"] / 1000
    # The server's records, live: every request, each from a lane of the run that fetched
    # it — main serially, each pool worker, each thread (it sent its lane id).
    records = [value for _, value in state.series[ps.REQUEST]]
    assert len(records) == len(state.series[ps.ARRIVAL]) == len(WAYS) * urls
    assert {status for _, status, _, _ in records} == {200}
    (main,) = [lane for lane in state.lanes if lane.role == "main"]
    fetched = {lane.pid for lane in state.lanes if lane.tasks_done}
    threads = {lane.pid for lane in state.lanes if lane.tid}
    pool = {w["pid"] for w in result["workers"] if "tid" not in w and w["tasks"]}
    assert {client for _, _, client, _ in records} == fetched == {main.pid} | pool | threads
    assert len(pool) == len(threads) == n
    assert main.tasks_done == urls
    assert server_exit(state) == 0  # the run's end ended its server, under every start method


def server_exit(state: RunState) -> int | None:
    """The page server's exit code as the conductor saw its process end (None if it never
    saw that); first, that no process has the server's pid any more."""
    (server,) = [lane for lane in state.lanes if lane.role == "server"]
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    return server.exitcode


#: Each page takes 2 s (± a fifth): a Stop that waited for the page in flight would take
#: longer than the second of grace the run has before SIGTERM. One page, so that the threads'
#: phase comes after 2 pages, not more.
STOPPING = {"urls": 1, "workers": 2, "latency_ms": 2000}


@pytest.mark.parametrize("way", WAYS)
def test_stop_mid_fetch_in_each_way_winds_down_at_once_and_leaves_nothing(way):
    """Stop while a fetch waits for its 2-s page: the server answers the requests in flight
    at once (503), so the run is over well within its grace, by itself, server and all."""

    def fetching(state: RunState) -> bool:
        busy = [lane for lane in state.lanes if lane.open_task is not None]
        return state.current_phase() == way and bool(busy)

    run = stop_when(scenarios.make_spec("web-fetch", STOPPING, "fork"), fetching)
    assert run.stop_took_s < 0.8
    assert run.exitcode == 0  # wound down by itself: no SIGTERM
    assert run.state.status == "stopped"
    assert server_exit(run.state) == 0  # it ended on its own, told by the run
    assert not run_shm(os.getpid()) and not run_temp_dirs(os.getpid())


def test_a_pool_worker_killed_mid_request_ends_the_run_naming_it():
    """SIGKILL from outside on a Pool worker waiting for its page: the run fails within
    seconds, names the dead worker, and ends its server too."""
    params = {"urls": 2, "workers": 2, "latency_ms": 500}
    killed: dict[str, int] = {}
    seen: list[RunState] = []

    def kill_a_fetching_worker(state: RunState, _events: list) -> None:
        seen[:] = [state]
        if killed or state.current_phase() != POOL:
            return
        busy = [w for w in state.workers() if not w.tid and w.open_task is not None]
        if busy:
            killed["pid"], killed["at"] = busy[0].pid, ev.now_ns()
            os.kill(busy[0].pid, signal.SIGKILL)

    spec = scenarios.make_spec("web-fetch", params, "fork")
    result = runner.run(spec, on_events=kill_a_fetching_worker, timeout=60)
    assert killed, "no worker was ever seen fetching"
    assert (ev.now_ns() - killed["at"]) / 1e9 < HANG_BOUND_S
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "WorkerFailed", error
    assert (error["pid"], error["signal"]) == (killed["pid"], "SIGKILL")
    assert server_exit(seen[0]) is not None  # the failing run ended it (a signal, maybe)


def test_a_fetch_that_gets_no_answer_is_a_record_and_a_warning_not_a_crash(monkeypatch):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    batches: list[list[tuple]] = []
    monkeypatch.setattr(probe, "_current", probe.Probe(batches.append, threading.Event()))
    model.make_session()
    try:
        got = model.fetch((3, f"http://127.0.0.1:{port}/page/3"))
    finally:
        model.drop_session()
    assert got == (None, 0) and model.status_key(got[0]) == model.ERROR
    probe.current().flush()
    logs = [e for batch in batches for e in batch if e[0] == ev.LOG]
    assert [(level, message) for _, _, _, level, message in logs] == [
        ("WARNING", f"page 3 (http://127.0.0.1:{port}/page/3): connection refused")
    ]
