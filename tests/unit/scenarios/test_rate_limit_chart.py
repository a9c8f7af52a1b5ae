"""The rate-limit chart, fed a hand-made run state (the server lane's ``server.arrival`` and
``server.request`` samples, the phases) without processes: the step line of arrivals in the
second before, phase by phase; each 429 marked on it; the limit line; and the readout's
three inequalities as measured."""

from __future__ import annotations

import numpy as np
import pytest

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.rate_limit.chart import (
    RateLimitChart,
    in_last_second,
    rate_steps,
    way_windows,
)
from mpgui.scenarios.rate_limit.model import (
    ARRIVAL,
    LIMITED,
    METRICS,
    REFILL,
    REQUEST,
    STARTING,
    UNLIMITED,
    busiest_second,
)
from mpgui.ui import theme

T0 = 10**12
MS = 1_000_000
S = 1_000_000_000
MAIN, SERVER, CLIENT = 100, 200, 300
#: The phases' starts (ns after T0).
UNLIMITED_AT, REFILL_AT, LIMITED_AT = 500 * MS, 1500 * MS, 3000 * MS


@pytest.fixture(autouse=True)
def _pyqtgraph_look():
    theme.configure_pyqtgraph()
    yield
    theme.use("dark")


@pytest.fixture
def chart(qtbot) -> RateLimitChart:
    chart = RateLimitChart()
    qtbot.addWidget(chart)
    chart.resize(800, 500)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _state(unlimited: list[tuple[int, int]], limited: list[tuple[int, int]]) -> RunState:
    """A run whose server saw `unlimited` and `limited` requests: (ms into the phase, status)
    each, answered 50 ms after (a 200) or at once (a 429)."""
    spec = RunSpec("rate-limit", {"server_rps": 10.0}, "fork")
    state = RunState(spec, T0)
    events = [
        (ev.HELLO, T0, MAIN, 0, "main", "main"),
        (ev.HELLO, T0 + MS, SERVER, 0, "worker", "server"),
        (ev.PHASE, T0 + MS, STARTING),
        (ev.PHASE, T0 + UNLIMITED_AT, UNLIMITED),
        (ev.PHASE, T0 + REFILL_AT, REFILL),
        (ev.PHASE, T0 + LIMITED_AT, LIMITED),
    ]
    for at, requests in ((UNLIMITED_AT, unlimited), (LIMITED_AT, limited)):
        for ms, status in requests:
            arrival = T0 + at + ms * MS
            finish = arrival + (50 * MS if status == 200 else MS)
            events.append((ev.METRIC, arrival, SERVER, ARRIVAL, CLIENT))
            events.append((ev.METRIC, finish, SERVER, REQUEST, (arrival, status, CLIENT, 100)))
    state.apply(events)
    return state


#: 30 requests within 300 ms, the first 10 let through; then 10 a second for 2 s.
BURST = [(10 * k, 200 if k < 10 else 429) for k in range(30)]
PACED = [(100 * k, 200) for k in range(20)]


def test_the_busiest_second_is_a_half_open_window():
    # 0.1 s apart: ten in [t, t + 1 s), the eleventh exactly 1 s after the first is out.
    assert busiest_second([k * S // 10 for k in range(11)]) == 10
    assert busiest_second([k * S // 10 for k in range(10)] + [S - 1]) == 11
    assert busiest_second([]) == 0
    assert busiest_second([5, 5, 5]) == 3


def test_the_step_line_counts_the_second_before_from_the_phases_start():
    times = np.array([0, 100, 200, 1500], dtype=np.int64) * MS
    x, y = rate_steps(times, 0, 3000 * MS)
    # Each arrival adds one at once; one second later it leaves the count.
    at = {int(t): int(c) for t, c in zip(x, y, strict=True)}
    assert at[0] == 1 and at[200 * MS] == 3 and at[1000 * MS] == 2 and at[1200 * MS] == 0
    assert at[1500 * MS] == 1 and at[2500 * MS] == 0
    assert int(y.max()) == 3
    # Arrivals before the phase began are not its own.
    assert in_last_second(times, np.array([1200 * MS]), 1100 * MS).tolist() == [0]


def test_live_the_burst_shoots_over_the_limit_and_its_429s_are_marked(chart):
    state = _state(BURST, PACED[:5])
    now = T0 + LIMITED_AT + 450 * MS
    chart.redraw(state, now)
    assert [w[0] for w in way_windows(state, now)] == [UNLIMITED, LIMITED]
    # Each phase says how many came in how long (the spike's rate) and its 429s.
    assert chart.phase_texts == [
        "no limiter: 30 in 1.00 s, 20 × 429",
        "shared limiter: 5 in 450 ms, 0 × 429",
    ]
    # The spike's name is beside it, right of where the phase ended; the others at their start.
    spike_end = (REFILL_AT - UNLIMITED_AT) / 1e9
    assert chart.labels[0].pos().x() > spike_end
    assert chart.labels[1].pos().x() == pytest.approx((LIMITED_AT - UNLIMITED_AT) / 1e9)
    # Each 429 sits on the line where it arrived: the 11th request found 10 before it.
    assert len(chart.marked) == 20
    assert chart.marked[0] == (pytest.approx(0.1), 11)
    assert chart.marked[-1] == (pytest.approx(0.29), 30)
    x, y = chart.rate.getData()
    assert np.nanmax(y) == 30
    limited = y[x >= (LIMITED_AT - UNLIMITED_AT) / 1e9]
    assert np.nanmax(limited) == 5  # five so far, 0.1 s apart
    assert chart.limit.value() == 10
    assert "server limit 10/s" in chart.limit.label.toPlainText()
    assert chart.plot.getAxis("bottom").labelText == "time since the no-limiter phase began (s)"
    assert chart.y_max.value >= 30


def test_the_readout_says_the_three_inequalities_as_measured(chart):
    metrics = dict.fromkeys(METRICS)
    metrics.update(
        status_429_unlimited=45,
        status_429_limited=0,
        max_rps_limited=11,
        unlimited_s=0.6,
        limited_s=5.95,
        expected_limited_s=5.9,
        client_rps=10.0,
        server_rps=10.0,
    )
    readout = " ".join(chart.readout(metrics))
    assert "45 × 429" in readout and "(> 0 ✓)" in readout
    assert "0 × 429" in readout and "(= 0 ✓)" in readout
    assert "busiest second <b>11</b> ≤ 11 ✓" in readout
    assert "5.95 s at 10/s (expected 5.90 s, 1.01×)" in readout
    metrics.update(status_429_limited=3, max_rps_limited=14)
    readout = " ".join(chart.readout(metrics))
    assert "(= 0 ✗)" in readout and "≤ 11 ✗" in readout
    metrics.update(retry_s=7.2, status_429_retry=80, retry_failed=0)
    assert "retrying: 80 × 429, all fetched in 7.20 s" in " ".join(chart.readout(metrics))


def test_a_new_run_clears_the_chart(chart):
    chart.redraw(_state(BURST, PACED), T0 + LIMITED_AT + 3 * S)
    chart.reset()
    assert chart.marked == [] and chart.phase_texts == [] and chart.labels == []
    x, _ = chart.rate.getData()
    assert x is None or len(x) == 0
