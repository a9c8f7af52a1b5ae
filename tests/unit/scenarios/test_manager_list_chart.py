"""The manager-list chart: its key sits outside the plot, over no line or label, and
neighbouring workers' bands look different to every reader."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.manager_list.chart import ManagerListChart, band_color
from mpgui.scenarios.manager_list.model import (
    MANAGER,
    SERIES_MANAGER_LEN,
    SERIES_PLAIN_LEN,
    by_worker_series,
)
from mpgui.ui import theme
from tests.colour_vision import VISIONS, delta_e

T0 = 10**12
MS = 1_000_000
MAIN = 100
#: Below ~20 two colours are hard to tell apart at a glance (see tests/unit/ui's CVD test).
MIN_DELTA_E = 20.0


@pytest.fixture(autouse=True)
def _pyqtgraph_look():
    theme.configure_pyqtgraph()
    yield
    theme.use("dark")


def _state(workers: int = 4, items: int = 20_000) -> RunState:
    """A Manager phase half a second long: each worker appends `items`, the plain list none."""
    state = RunState(RunSpec("manager-list", {"workers": workers}, "fork"), t0_ns=T0)
    state.apply([(ev.HELLO, T0, MAIN, 0, "main", "main"), (ev.PHASE, T0, MANAGER)])
    events = []
    for step in range(1, 11):
        t = T0 + step * 50 * MS
        for w in range(workers):
            events.append((ev.METRIC, t, MAIN + 1 + w, by_worker_series(w), items * step / 10))
        events.append((ev.METRIC, t, MAIN, SERIES_MANAGER_LEN, workers * items * step / 10))
        events.append((ev.METRIC, t, MAIN, SERIES_PLAIN_LEN, 0))
    state.apply(events)
    return state


@pytest.fixture
def chart(qtbot) -> ManagerListChart:
    chart = ManagerListChart()
    qtbot.addWidget(chart)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


@pytest.mark.parametrize("size", [(280, 300), (340, 320), (480, 420), (900, 600)])
def test_the_key_covers_no_data_and_no_label(qtbot, chart, size):
    chart.resize(*size)
    chart.redraw(_state(), T0 + 600 * MS)
    qtbot.wait(1)  # the layout takes in the key's new text on the next turn
    chart.ci.layout.activate()
    key = chart.key.sceneBoundingRect()
    assert chart.key.text.count("plain list: 0 items") == 1
    view = chart.plot.getViewBox().sceneBoundingRect()  # where every line and label is drawn
    assert not key.intersects(view), (key, view)
    assert not key.intersects(chart.rates.getViewBox().sceneBoundingRect())
    for axis in ("left", "bottom"):
        assert not key.intersects(chart.plot.getAxis(axis).sceneBoundingRect()), axis
    # The whole chart fits its view: nothing pushed past the panel's edge.
    whole = QRectF(chart.viewport().rect()).adjusted(-0.5, -0.5, 0.5, 0.5)
    for item in (chart.plot, chart.key, chart.rates):
        assert whole.contains(item.sceneBoundingRect()), (item, item.sceneBoundingRect())
    # The plot keeps the most height it can: the key and the rates are a strip each.
    assert view.height() >= 0.2 * size[1]


def test_the_bands_carry_their_workers_numbers_where_they_have_room(qtbot, chart):
    chart.resize(480, 420)
    qtbot.wait(1)
    chart.redraw(_state(workers=4), T0 + 600 * MS)
    assert chart.band_labels.texts() == ["w0", "w1", "w2", "w3"]
    chart.redraw(_state(workers=32), T0 + 600 * MS)
    texts = chart.band_labels.texts()
    assert len(texts) == 32 and "" in texts  # 32 bands are too thin for every number


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_neighbouring_bands_differ_for_every_reader(name):
    theme.use(name)
    t = theme.current()
    for k in range(31):
        a, b = band_color(k).name(), band_color(k + 1).name()
        for vision in VISIONS:
            assert delta_e(a, b, vision) >= MIN_DELTA_E, (k, a, b, vision)
        # And every band stands apart from the background it is drawn on.
        assert delta_e(a, t.background) >= MIN_DELTA_E


def test_the_chart_declares_the_colours_of_its_meanings():
    assert set(ManagerListChart.MEANINGS) == {"good", "bad", "ideal"}
