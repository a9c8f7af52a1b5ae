"""The counter-race chart, fed synthetic run states: readable counts, a headline that fits,
and after a Stop the loss the log states."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.counter_race.chart import CountAxis, CounterRaceChart, count_ticks
from mpgui.scenarios.counter_race.model import (
    LOCKED,
    UNLOCKED,
    counter_series,
    expected_series,
)
from mpgui.ui import theme

T0 = 10**12
MS = 1_000_000
#: The chart's share of a 1024×768 window, by zoom: about 330 × 300 at 100 % (measured in
#: the window). At 200 % the plot's own title and axes need ~360 px: the window must give the
#: chart that much (presentation mode folds the side panels away), so it is tried at 420.
CHART_SIZE = {1.0: (330, 300), 2.0: (420, 300)}


@pytest.fixture
def zoomed():
    """Set the zoom for the test (charts read it when built); back to 100 % after."""
    yield lambda factor: theme.use(zoom=factor)
    theme.use(zoom=1.0)


def _state(workers: int, increments: int, races: dict[str, tuple[int, int]]) -> RunState:
    """A run of `races` (name → (increments done, counter)), each with one sample."""
    spec = RunSpec("counter-race", {"workers": workers, "increments": increments}, "fork")
    state = RunState(spec, t0_ns=T0)
    for i, (race, (done, counter)) in enumerate(races.items()):
        t = T0 + (1 + 10 * i) * MS
        state.apply(
            [
                (ev.PHASE, t, race),
                (ev.METRIC, t + MS, 0, counter_series(race), counter),
                (ev.METRIC, t + MS, 0, expected_series(race), done),
            ]
        )
    return state


def test_counts_on_the_axis_are_plain_numbers_never_exponents(qapp):
    assert count_ticks([0, 2e6, 4e6, 6e6, 8e6], 2e6) == ["0", "2 M", "4 M", "6 M", "8 M"]
    assert count_ticks([7.5e6, 8e6], 5e5) == ["7.5 M", "8.0 M"]
    assert count_ticks([0, 250_000, 500_000], 250_000) == ["0", "250 k", "500 k"]
    assert count_ticks([0, 5000, 10_000], 5000) == ["0", "5,000", "10,000"]
    assert count_ticks([0, 1.5e9], 5e8) == ["0", "1.5 G"]
    axis = CountAxis("left")
    assert all("e+" not in s for s in axis.tickStrings([0, 4e6, 8e6], 1.0, 4e6))


@pytest.mark.parametrize("zoom", [1.0, 2.0])
@pytest.mark.parametrize("digits", [7, 8])
def test_the_headline_fits_its_column_at_7_and_8_digits(qtbot, zoomed, zoom, digits):
    zoomed(zoom)
    lost = int("9" * digits) // 2
    done = int("9" * digits)
    chart = CounterRaceChart()
    qtbot.addWidget(chart)
    chart.resize(*CHART_SIZE[zoom])
    chart.show()
    qtbot.waitExposed(chart)
    state = _state(10, done // 10, {UNLOCKED: (done, done - lost), LOCKED: (done, done)})
    chart.redraw(state, T0 + 50 * MS)
    QApplication.processEvents()  # the layout
    assert f"{lost:,}" in chart.big.text
    assert chart.text_width() <= chart.readout_room()
    # Nothing of it lies outside the chart (where the chart needs more room than the view
    # has, the view scales it down to fit: compare in the view's pixels), and the plot keeps
    # its share.
    shown = chart.mapFromScene(chart.big.mapRectToScene(chart.big.itemRect())).boundingRect()
    assert chart.viewport().rect().adjusted(-1, -1, 1, 1).contains(shown)
    assert chart.plot.width() >= chart.plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
    # Still a headline, not small print: at least half its size at 100 % zoom, as shown.
    view_scale = chart.transform().m11()
    assert chart.readout_scale * zoom * view_scale >= 0.5


def test_the_headline_is_full_size_when_it_has_the_room(qtbot):
    chart = CounterRaceChart()
    qtbot.addWidget(chart)
    chart.resize(1200, 500)
    chart.show()
    qtbot.waitExposed(chart)
    chart.redraw(_state(2, 1000, {UNLOCKED: (2000, 1500)}), T0 + 50 * MS)
    assert chart.readout_scale == 1.0
    assert not chart.readout_below  # beside the plot, where there is room


def test_after_a_stop_only_increments_done_count_as_lost(qtbot):
    # Stopped after 3,000 of 4 × 1,000,000 planned increments, the counter at 2,500: 500 were
    # lost (what the log says), not 3,997,500 (the planned count minus the counter).
    chart = CounterRaceChart()
    qtbot.addWidget(chart)
    state = _state(4, 1_000_000, {UNLOCKED: (3000, 2500)})
    state.fail("Stopped", "stopped by the user", ev.STATUS_STOPPED)
    state.finish(0)
    chart.redraw(state, T0 + 50 * MS)
    assert ">500<" in chart.big.text
    assert "3,997,500" not in chart.big.text
    assert "stopped early" in chart.big.text


def test_each_race_ends_in_its_marker_and_name(qtbot):
    chart = CounterRaceChart()
    qtbot.addWidget(chart)
    chart.redraw(_state(2, 1000, {UNLOCKED: (2000, 1500), LOCKED: (2000, 2000)}), T0 + 50 * MS)
    for race, name, symbol in ((UNLOCKED, "without lock", "x"), (LOCKED, "with lock", "o")):
        marker, label = chart.ends[race]
        assert marker.isVisible() and label.isVisible()
        assert label.textItem.toPlainText() == name
        assert marker.opts["symbol"] == symbol
