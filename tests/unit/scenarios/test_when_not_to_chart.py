"""The when-not-to chart, fed a run's state without processes: live bars and sweep from the
measurements so far, then every bar split into its measured parts, and the readout's words."""

from __future__ import annotations

import pytest

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.when_not_to.chart import (
    COMPUTING,
    PICKLING,
    SENDING,
    SO_FAR,
    STARTING,
    STOPPING,
    WhenNotToChart,
    split_parts,
    versus_serial,
)
from mpgui.scenarios.when_not_to.model import (
    TINY,
    TINY_SERIAL,
    TRANSFER_POOL,
    TRANSFER_SERIAL,
    measured_series,
    sweep_series,
)
from mpgui.ui import theme

T0 = 10**12
MS = 1_000_000
MAIN = 100

METRICS = {
    "transfer_mb": 50,
    "workers": 2,
    "tiny_serial_s": 0.006,
    "tiny_pool_chunk1_s": 2.0,
    "tiny_pool_chunked_s": 0.02,
    "best_chunksize": 1000,
    "tiny_chunk1_pickle_s": 0.4,
    "tiny_chunked_pickle_s": 0.008,
    "chunk1_slower_than_serial": True,
    "transfer_serial_s": 0.04,
    "transfer_pool_s": 0.1,
    "transfer_pickle_s": 0.01,
    "transfer_work_s": 0.04,
    "transfer_slower_than_serial": True,
    "pool_startup_ms": 12.0,
    "startup_task_began_ms": 9.0,
    "startup_task_ms": 0.01,
    "pool_shutdown_ms": 2.0,
    "direct_call_ms": 0.001,
}


@pytest.fixture(autouse=True)
def _pyqtgraph_look():
    theme.configure_pyqtgraph()
    yield
    theme.use("dark")


@pytest.fixture
def chart(qtbot) -> WhenNotToChart:
    chart = WhenNotToChart()
    qtbot.addWidget(chart)
    chart.resize(700, 480)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _state(sweep: dict[int, list[float]], finished: bool = False) -> RunState:
    state = RunState(RunSpec("when-not-to", {"n": 100_000, "mb": 50, "workers": 2}, "fork"), T0)
    events = [(ev.HELLO, T0, MAIN, 0, "main", "main"), (ev.PHASE, T0, TINY)]
    t = T0
    for name, value in ((TINY_SERIAL, 0.006), (TRANSFER_SERIAL, 0.04), (TRANSFER_POOL, 0.1)):
        t += MS
        events.append((ev.METRIC, t, MAIN, measured_series(name), value))
    for size, values in sweep.items():
        for value in values:
            t += MS
            events.append((ev.METRIC, t, MAIN, sweep_series(size), value))
    if finished:
        events.append((ev.RESULT, t + MS, METRICS))
        events.append((ev.DONE, t + 2 * MS, "ok"))
    state.apply(events)
    return state


def test_live_the_sweep_is_each_chunksizes_median_so_far_and_the_bars_are_unsplit(chart):
    state = _state({1: [2.0, 3.0, 1.0], 10: [0.2], 1000: [0.03, 0.01]})
    chart.redraw(state, T0 + 100 * MS)
    assert chart.points == [(1, 2.0), (10, 0.2), (1000, 0.02)]
    serial, chunk1, chunked = chart.tiny.shown
    assert serial == [(SO_FAR, 0.006)] and chunk1 == [(SO_FAR, 2.0)]
    assert chunked == [(SO_FAR, 0.02)]  # the fastest chunked point so far
    assert chart.transfer.shown == [[(SO_FAR, 0.04)], [(SO_FAR, 0.1)]]
    assert chart.startup.shown == [None, None]
    assert [label.toPlainText() for label in chart.tiny.labels] == [
        " 6.0 ms",
        " 2.00 s",
        " 20.0 ms",
    ]


def test_the_parts_add_up_to_each_measured_total():
    split = split_parts(METRICS, workers=2)
    serial, chunk1, chunked = split["tiny"]
    assert serial == [(COMPUTING, 0.006)]
    # The squares shared by 2 workers, the pickling measured, the rest sending & waiting.
    assert chunk1 == [(COMPUTING, 0.003), (PICKLING, 0.4), (SENDING, pytest.approx(1.597))]
    assert sum(v for _, v in chunked) == pytest.approx(0.02)
    parent, pool = split["transfer"]
    assert parent == [(COMPUTING, 0.04)]
    assert pool == [(COMPUTING, 0.02), (PICKLING, 0.01), (SENDING, pytest.approx(0.07))]
    direct, fresh = split["startup"]
    assert direct == [(COMPUTING, 0.001)]
    assert [p for p, _ in fresh] == [STARTING, COMPUTING, SENDING, STOPPING]
    assert sum(v for _, v in fresh[:3]) == pytest.approx(12.0)


def test_a_part_never_goes_negative_when_a_measurement_exceeds_its_total():
    # Pickling measured apart from the map can come out longer than the whole map.
    metrics = {**METRICS, "tiny_chunked_pickle_s": 0.05}
    chunked = split_parts(metrics, 2)["tiny"][2]
    assert all(v >= 0 for _, v in chunked)
    assert sum(v for _, v in chunked) == pytest.approx(0.02)


def test_done_the_bars_split_the_best_is_starred_and_the_readout_says_slower(chart):
    state = _state({1: [2.0], 10: [0.2], 1000: [0.02]}, finished=True)
    chart.redraw(state, T0 + 100 * MS)
    assert [p for p, _ in chart.tiny.shown[1]] == [COMPUTING, PICKLING, SENDING]
    assert chart.best_label.toPlainText() == "best 1,000"
    assert chart.serial_line.isVisible()
    text = " ".join(chart.readout(METRICS))
    assert "333× slower" in text and "3.3× slower" in text and "2.5× slower" in text
    assert "50 MB" in text and "12.0 ms" in text
    # The counting as measured (0.04 s summed over the pieces, 2 workers), not a fixed word.
    assert "(counting: 20.0 ms a worker vs 40.0 ms serially)" in text


def test_a_slowdown_is_written_n_times_slower_and_anything_else_as_a_speedup():
    # Chunksize 1's speedup (0.003×) would read "0.00×": slowdowns are "N× slower".
    assert versus_serial(2.0, 0.006) == ("333× slower", theme.BAD)
    assert versus_serial(0.1, 0.04) == ("2.5× slower", theme.BAD)
    assert versus_serial(0.041, 0.04) == ("0.98× — no faster", theme.FOREGROUND)
    assert versus_serial(0.004, 0.006) == ("1.50×", theme.GOOD)
