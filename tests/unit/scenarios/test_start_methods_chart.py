"""The start-methods chart: each method in a categorical colour of the theme and a marker
shape of its own; its lane is named after it."""

from __future__ import annotations

import pytest

from mpgui.core.model.run_state import Lane, RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.start_methods.chart import (
    GLYPHS,
    SYMBOLS,
    StartMethodsChart,
    method_color,
)
from mpgui.scenarios.start_methods.model import (
    CHILDREN,
    METHOD_ORDER,
    OFFERED,
    method_lane,
    start_ms_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import lane_name

T0 = 10**12
MS = 1_000_000


@pytest.fixture(autouse=True)
def _dark_again():
    yield
    theme.use("dark")


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_each_method_has_a_categorical_colour_and_a_shape_of_its_own(name):
    theme.use(name)
    colors = [method_color(m) for m in METHOD_ORDER]
    assert colors == list(theme.current().categories[: len(METHOD_ORDER)])
    assert len(set(SYMBOLS[m] for m in METHOD_ORDER)) == len(METHOD_ORDER)
    assert len(set(GLYPHS[m] for m in METHOD_ORDER)) == len(METHOD_ORDER)
    assert StartMethodsChart.MEANINGS == ("categories",)


def test_the_dots_take_their_methods_shape_and_colour(qtbot):
    theme.configure_pyqtgraph()
    chart = StartMethodsChart()
    qtbot.addWidget(chart)
    state = RunState(RunSpec("start-methods", {}, "spawn"), t0_ns=T0)
    samples = [(m, i) for m in OFFERED for i in range(3)]
    state.apply([(ev.METRIC, T0 + i * MS, 1, start_ms_series(m), 1.0 + i) for m, i in samples])
    chart.redraw(state, T0 + 10 * MS)
    points = chart.dots.points()
    assert len(points) == 3 * len(OFFERED)
    by_x = {round(p.pos().x()): (p.symbol(), p.brush().color().name()) for p in points}
    for i, m in enumerate(OFFERED):
        assert by_x[i] == (SYMBOLS[m], method_color(m))


def test_a_lane_of_children_is_named_after_its_method():
    lane = Lane(method_lane("spawn"), CHILDREN, "spawn", 1)
    assert lane.pid < 0 and lane_name(lane) == "spawn"
    assert lane_name(Lane(4242, "worker", "", 2)) == "4242"
    assert lane_name(Lane(4000, "main", "main", 0)) == "main"
