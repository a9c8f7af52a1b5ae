"""The web-fetch chart, fed synthetic run states: requests in flight at the server per way
(from the server's arrival and request series), each lane's fetches row by row, and the
wall times with the pools' speedups — live, then from the result."""

from __future__ import annotations

import numpy as np

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.web_fetch.chart import WebFetchChart, fetches, in_flight
from mpgui.scenarios.web_fetch.model import (
    ARRIVAL,
    MAX_IN_FLIGHT,
    POOL,
    POOL_SPEEDUP,
    REQUEST,
    SERIAL,
    STATUS_COUNTS,
    THREADS,
    THREADS_SPEEDUP,
    most_in_flight,
    wall_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.scenario_chart import phase_window
from tests.plots import points

T0 = 10**12
MS = 1_000_000
MAIN, SERVER, PROC = 500, 550, (601, 602)  # the conductor, the server, the pool's processes
TIDS = (701, 702)  # the thread pool's threads
#: When each way's phase begins (ms after T0), and how long a page takes.
AT = {SERIAL: 100, POOL: 1000, THREADS: 2000}
PAGE_MS = 100


def _state() -> RunState:
    """A run of 2 processes and 2 threads, every lane announced."""
    spec = RunSpec("web-fetch", {"urls": 4, "workers": 2, "latency_ms": PAGE_MS}, "fork")
    state = RunState(spec, t0_ns=T0)
    state.apply(
        [(ev.HELLO, T0, MAIN, 0, "main", "main"), (ev.HELLO, T0, SERVER, 0, "worker", "server")]
        + [(ev.HELLO, T0 + MS, pid, 0, "worker", "") for pid in PROC]
        + [(ev.THREAD, T0 + 2 * MS, tid, MAIN, 0, f"thread {k + 1}") for k, tid in enumerate(TIDS)]
    )
    return state


def _t(ms: float) -> int:
    return T0 + int(ms * MS)


def _fetch(lane: int, task: int, start_ms: float, status: int = 200) -> list[tuple]:
    """One fetch, seen by the client (a SPANS event) and by the server (an arrival when it
    came, a request record when it finished)."""
    start, end = _t(start_ms), _t(start_ms + PAGE_MS)
    return [
        (ev.SPANS, end, lane, ev.one_span(task, start, end, 0)),
        (ev.METRIC, start + MS, SERVER, ARRIVAL, lane),
        (ev.METRIC, end - MS, SERVER, REQUEST, (start + MS, status, lane, 1000 + task)),
    ]


def _way(state: RunState, way: str) -> None:
    """`way`'s phase and its 4 fetches: serially on main, else two lanes two at a time."""
    at = AT[way]
    events: list[tuple] = [(ev.PHASE, _t(at), way)]
    lanes = {SERIAL: (MAIN,), POOL: PROC, THREADS: TIDS}[way]
    for i in range(4):
        lane = lanes[i % len(lanes)]
        events += _fetch(lane, i, at + PAGE_MS * (i // len(lanes)))
    state.apply(events)


def test_in_flight_counts_each_way_arrivals_up_finishes_down():
    state = _state()
    for way in (SERIAL, POOL):
        _way(state, way)
    now = _t(3000)
    xs, ys = in_flight(state, phase_window(state, SERIAL, now), now)
    assert ys.max() == 1 and ys[-1] == 0
    xs, ys = in_flight(state, phase_window(state, POOL, now), now)
    assert ys.max() == 2 and ys[-1] == 0
    assert xs[0] == 0 and np.all(np.diff(xs) >= 0)
    # A request that arrived and has not finished is in flight up to now.
    state.apply([(ev.PHASE, _t(2000), THREADS), (ev.METRIC, _t(2010), SERVER, ARRIVAL, TIDS[0])])
    xs, ys = in_flight(state, phase_window(state, THREADS, _t(2050)), _t(2050))
    assert ys[-1] == 1 and xs[-1] == 0.05


def test_the_clients_rows_are_the_lanes_that_fetched_named_as_the_lanes_are():
    state = _state()
    for way in (SERIAL, POOL, THREADS):
        _way(state, way)
    now = _t(3000)
    assert fetches(state, phase_window(state, SERIAL, now), now).rows == ["main"]
    pool = fetches(state, phase_window(state, POOL, now), now)
    assert pool.rows == [str(pid) for pid in PROC]  # not the server: it fetched nothing
    assert sorted(row for row, _, _ in pool.bars) == [0, 0, 1, 1]
    threads = fetches(state, phase_window(state, THREADS, now), now)
    assert threads.rows == ["thread 1", "thread 2"]
    assert max(end for _, _, end in threads.bars) == PAGE_MS * 2 / 1000


def test_a_fetch_still_on_grows_to_now():
    state = _state()
    state.apply([(ev.PHASE, _t(100), SERIAL), (ev.START, _t(150), MAIN, 0)])
    got = fetches(state, phase_window(state, SERIAL, _t(400)), _t(400))
    assert got.rows == ["main"] and got.bars == [(0, 0.05, 0.3)]


def test_most_in_flight_a_finish_at_an_arrival_is_no_overlap():
    class R:
        def __init__(self, a: int, f: int) -> None:
            self.arrival_ns, self.finish_ns = a, f

    assert most_in_flight([]) == 0
    assert most_in_flight([R(0, 10), R(10, 20)]) == 1
    assert most_in_flight([R(0, 10), R(5, 20), R(6, 7)]) == 3


def test_the_chart_draws_live_then_the_result_with_speedups(qtbot):
    theme.configure_pyqtgraph()
    chart = WebFetchChart()
    qtbot.addWidget(chart)
    chart.resize(900, 600)
    chart.show()
    qtbot.waitExposed(chart)
    state = _state()
    _way(state, SERIAL)
    state.apply([(ev.METRIC, _t(600), MAIN, wall_series(SERIAL), 0.4)])
    _way(state, POOL)
    chart.redraw(state, _t(1150))
    # Live: the serial line and the pool's so far; the serial bar before any result.
    assert points(chart.server.curves[SERIAL]) > 0
    assert points(chart.server.curves[POOL]) > 0
    assert chart.server.labels[POOL].textItem.toPlainText() == "Pool: 2 at once"
    assert chart.clients.rows == ["main", *(str(pid) for pid in PROC)]
    labels = [label.textItem.toPlainText().strip() for label in chart.bars.labels]
    assert labels == ["400 ms", "", ""]
    state.apply([(ev.METRIC, _t(1300), MAIN, wall_series(POOL), 0.2)])
    _way(state, THREADS)
    metrics = {
        "serial_s": 0.4,
        "pool_s": 0.2,
        "threads_s": 0.25,
        POOL_SPEEDUP: 2.0,
        THREADS_SPEEDUP: 1.6,
        STATUS_COUNTS: {"200": 12},
        MAX_IN_FLIGHT: 2,
    }
    state.apply([(ev.RESULT, _t(2500), metrics), (ev.DONE, _t(2500), "ok")])
    chart.redraw(state, _t(2600))
    labels = [label.textItem.toPlainText().strip() for label in chart.bars.labels]
    assert labels == ["400 ms", "200 ms 2.00×", "250 ms 1.60×"]
    assert chart.clients.rows[-2:] == ["thread 1", "thread 2"]
    # Each group of rows says its way in words (main's row 0, the pool's 1-2, threads 3-4).
    assert chart.clients.groups == [(0, "serial"), (1.5, "Pool"), (3.5, "ThreadPool")]
    assert len(chart.clients.dividers) == 2 and all(d.isVisible() for d in chart.clients.dividers)
    readout = " ".join(chart.readout(metrics))
    assert "2.00×" in readout and "1.60×" in readout
    assert "at most <b>2</b> in flight" in readout and "200: 12" in readout
    # A new run clears it all.
    chart.reset()
    assert points(chart.server.curves[POOL]) == 0 and chart.clients.rows == []
