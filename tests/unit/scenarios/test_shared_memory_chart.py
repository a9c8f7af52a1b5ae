"""The shared-memory chart, fed a run's state without processes: each cell in its writer's
colour, the plain list empty, the slices named, the key short when the chart is."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.shared_memory.chart import (
    MAX_COLUMNS,
    SharedMemoryChart,
    cell_marks,
    worker_color,
)
from mpgui.scenarios.shared_memory.model import (
    FILL,
    SERIES_PLAIN_IN_PARENT,
    SERIES_VALUE,
    array_series,
    child_plain_series,
)
from mpgui.ui import theme

T0 = 10**12
MS = 1_000_000
MAIN = 100


@pytest.fixture(autouse=True)
def _pyqtgraph_look():
    theme.configure_pyqtgraph()
    yield
    theme.use("dark")


def _state(counts: list[int], length: int = 4096) -> RunState:
    """A fill phase whose parent last read `counts[k]` cells of worker k's slice."""
    workers = len(counts)
    spec = RunSpec("shared-memory", {"workers": workers, "length": length, "typecode": "d"}, "fork")
    state = RunState(spec, t0_ns=T0)
    events = [(ev.HELLO, T0, MAIN, 0, "main", "main"), (ev.PHASE, T0, FILL)]
    for k in range(workers):
        events.append((ev.HELLO, T0, MAIN + 1 + k, 0, "worker", f"w{k}"))
    t = T0 + 50 * MS
    for k, count in enumerate(counts):
        events.append((ev.METRIC, t, MAIN + 1 + k, child_plain_series(k), count))
        events.append((ev.METRIC, t, MAIN, array_series(k), count))
    events.append((ev.METRIC, t, MAIN, SERIES_PLAIN_IN_PARENT, 0))
    events.append((ev.METRIC, t, MAIN, SERIES_VALUE, sum(counts)))
    state.apply(events)
    return state


@pytest.fixture
def chart(qtbot) -> SharedMemoryChart:
    chart = SharedMemoryChart()
    qtbot.addWidget(chart)
    chart.resize(600, 420)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _rgba(color: str) -> np.ndarray:
    return np.array(QColor(color).getRgb(), dtype=np.uint8)


def test_marks_fill_each_slice_from_its_start():
    marks = cell_marks([2, 0, 3], workers=3, length=9)
    assert marks.tolist() == [1, 1, 0, 0, 0, 0, 3, 3, 3]


def test_each_cell_is_drawn_in_its_writers_colour_and_the_rest_unwritten(qtbot, chart):
    # Slices of 256 cells: w0 wrote 128 of its, w1 none, w2 all, w3 64.
    chart.redraw(_state([128, 0, 256, 64], length=1024), T0 + 60 * MS)
    image = chart.array_img.image
    assert image.shape[:2] == (1024, 1)  # one column a cell: 1,024 cells fit
    unwritten = _rgba(theme.current().button)
    expected = [(0, 128, 0), (512, 256, 2), (768, 64, 3)]  # (slice start, written, worker)
    for start, written, k in expected:
        assert (image[start : start + written, 0] == _rgba(worker_color(k))).all(), k
    assert (image[128:256, 0] == unwritten).all()  # the rest of w0's slice
    assert (image[256:512, 0] == unwritten).all()  # w1 wrote nothing yet
    assert (image[512:768, 0] != unwritten).any(axis=1).all()
    assert (image[832:1024, 0] == unwritten).all()
    assert (chart.plain_img.image[:, 0] == unwritten).all()
    assert chart.plain_label.texts() == ["parent's list: 0 of 1,024 written"]
    assert chart.slice_pids == {k: MAIN + 1 + k for k in range(4)}
    assert "Array in the parent: <b>448</b> / 1,024 cells" in chart.key.text


def test_a_long_array_is_sampled_to_the_strips_columns(qtbot, chart):
    chart.redraw(_state([16_384, 0], length=32_768), T0 + 60 * MS)
    image = chart.array_img.image
    assert image.shape[0] == MAX_COLUMNS
    half = MAX_COLUMNS // 2
    assert (image[:half, 0] == _rgba(worker_color(0))).all()
    assert (image[half:, 0] == _rgba(theme.current().button)).all()


def test_neighbouring_slices_never_share_a_colour():
    for name in theme.THEMES:
        theme.use(name)
        for k in range(15):
            assert worker_color(k) != worker_color(k + 1)


def test_slices_are_named_on_the_axis_thinned_where_they_are_narrow(qtbot, chart):
    chart.redraw(_state([0] * 4), T0 + 60 * MS)
    assert chart.slice_names == ["w0", "w1", "w2", "w3"]
    chart.resize(320, 300)
    qtbot.waitUntil(lambda: chart.plot.getViewBox().width() < 300)
    chart.redraw(_state([0] * 16), T0 + 60 * MS)
    names = chart.slice_names
    assert len(names) == 16 and names[0] == "w0" and "" in names
    assert sum(bool(n) for n in names) >= 3  # thinned, not dropped


def test_the_key_is_short_when_the_chart_is(qtbot, chart):
    chart.redraw(_state([1024] * 4), T0 + 60 * MS)
    assert not chart.key_compact and "written by" in chart.key.text
    chart.resize(600, 200)
    qtbot.waitUntil(lambda: chart.key_compact)
    assert "written by" not in chart.key.text and "Value" in chart.key.text


def test_the_readout_says_the_three_effects(chart):
    metrics = {
        "array_filled": 4096,
        "expected": 4096,
        "plain_filled_in_parent": 0,
        "value_final": 4096,
        "value_expected": 4096,
        "plain_filled_in_children": 4096,
        "fill_s": 2.0,
    }
    text = " · ".join(chart.readout(metrics))
    plain = text.replace("<b>", "").replace("</b>", "")
    assert plain == "Array: 4,096 / 4,096 cells in the parent · plain list: 0 · Value exact 4,096"
    metrics["value_final"] = 4000
    assert "NOT exact" in " ".join(chart.readout(metrics))


def test_the_chart_declares_the_colours_of_its_meanings():
    assert SharedMemoryChart.MEANINGS == ("categories",)
