"""The worker-failures chart: a grid of every task that fits its panel at every moment, tiles
that carry their number and a symbol, and a task that is going wrong not shown wrong yet."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.worker_failures.chart import (
    GOING_WRONG,
    LOOKS,
    NO_RESULT,
    RETURNED,
    RUNNING,
    WENT_WRONG,
    WorkerFailuresChart,
    task_states,
)
from mpgui.scenarios.worker_failures.model import SERIES_FAILING
from mpgui.ui import theme

T0 = 10**12
MS = 1_000_000
MAIN, W1, W2 = 100, 101, 102


@pytest.fixture(autouse=True)
def _pyqtgraph_look():
    theme.configure_pyqtgraph()


def _state(tasks: int) -> RunState:
    state = RunState(RunSpec("worker-failures", {"api": "Pool"}, "fork"), t0_ns=T0)
    state.apply([(ev.HELLO, T0, MAIN, 0, "main", "main")])
    state.apply([(ev.HELLO, T0, pid, 0, "worker", "") for pid in (W1, W2)])
    state.apply([(ev.PLAN, T0, {"tasks": tasks, "workers": 2})])
    return state


def _done(state: RunState, tasks: range, pid: int = W1) -> None:
    state.apply(
        [
            e
            for task in tasks
            for e in (
                (ev.START, T0 + task * MS, pid, task),
                (ev.END, T0 + task * MS + MS // 2, pid, task, 0),
            )
        ]
    )


def _going_wrong(state: RunState, task: int, pid: int = W2) -> None:
    """`task` starts on `pid` and says it is going wrong, as the model's `work` does."""
    t = T0 + 500 * MS
    state.apply([(ev.START, t, pid, task), (ev.METRIC, t, pid, SERIES_FAILING, task)])


@pytest.fixture
def chart(qtbot) -> WorkerFailuresChart:
    chart = WorkerFailuresChart()
    qtbot.addWidget(chart)
    chart.resize(340, 300)  # about the chart's panel at 1024×768
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _settle(qtbot, chart) -> None:
    """Let the layout take in what changed (a longer verdict, new text)."""
    qtbot.wait(1)  # the graphics layout lays out on the next event loop turn
    chart.ci.layout.activate()


def assert_fits(chart: WorkerFailuresChart) -> None:
    """Every tile lies inside the grid widget, the grid inside the chart's view, and the key
    covers no tile."""
    grid = chart.grid
    placed = grid.placement()
    assert len(placed.tiles) == len(grid.states())
    inside = grid.rect().adjusted(-0.5, -0.5, 0.5, 0.5)
    for tile in placed.tiles:
        assert inside.contains(tile), (tile, grid.rect())
        assert not tile.intersects(placed.key), (tile, placed.key)
    assert inside.contains(placed.key)
    view = QRectF(chart.viewport().rect()).adjusted(-0.5, -0.5, 0.5, 0.5)
    assert view.contains(grid.sceneBoundingRect()), (grid.sceneBoundingRect(), view)
    # Not merely inside: tiles as large as the room allows, not a speck in a corner.
    assert placed.cell * placed.cols >= 0.6 * placed.grid.width() or (
        placed.cell * -(-len(placed.tiles) // placed.cols) >= 0.6 * placed.grid.height()
    )


@pytest.mark.parametrize("tasks", [20, 100, 300, 1000])
def test_the_grid_fits_its_panel_at_every_moment_of_a_run(qtbot, chart, tasks):
    state = _state(tasks)
    chart.redraw(state, T0)
    _settle(qtbot, chart)
    assert_fits(chart)
    _done(state, range(tasks // 2))
    _going_wrong(state, tasks - 1)
    chart.redraw(state, T0 + 600 * MS)
    _settle(qtbot, chart)
    assert "going wrong" in chart.verdict.text  # a line above the grid: less room for it
    assert_fits(chart)
    state.apply([(ev.EXIT, T0 + 700 * MS, W2, 3, True, "")])
    state.finish()
    chart.redraw(state, T0 + 800 * MS)
    chart.run_finished(state.result())  # the longest verdict: four or five lines
    _settle(qtbot, chart)
    assert chart.verdict.text.count("<br>") >= 2
    assert_fits(chart)
    chart.resize(300, 260)  # a smaller panel still
    _settle(qtbot, chart)
    assert_fits(chart)


def test_tiles_carry_their_number_and_symbol_when_there_is_room(qtbot, chart):
    state = _state(20)
    _done(state, range(10))
    chart.redraw(state, T0)
    _settle(qtbot, chart)
    mode, font = chart.grid.tile_text()
    assert mode == "both" and font.pixelSize() >= chart.grid.MIN_TEXT_PX
    # It paints: render the chart (numbers, symbols, key) into an image.
    image = QImage(chart.size(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    chart.render(painter)
    painter.end()
    # Hovering names the task under the pointer.
    tile = chart.grid.placement().tiles[7]
    assert chart.grid.task_at(tile.center()) == 7


def test_small_tiles_keep_the_symbol_and_tiny_ones_the_colour(qtbot, chart):
    state = _state(300)
    chart.redraw(state, T0)
    _settle(qtbot, chart)
    assert chart.grid.tile_text()[0] in ("symbol", "")
    state = _state(1000)
    chart.redraw(state, T0)
    _settle(qtbot, chart)
    assert chart.grid.tile_text()[0] == ""


def test_every_state_has_a_symbol_or_is_the_blank_one():
    symbols = [look.symbol for look in LOOKS.values()]
    assert [s for s in symbols if not s] == [""]  # only "no result" is blank
    assert LOOKS[NO_RESULT].symbol == ""
    assert len(set(symbols)) == len(symbols)


def test_a_task_that_is_still_going_wrong_is_not_shown_wrong_yet():
    state = _state(8)
    _done(state, range(3))
    _going_wrong(state, 3)
    states = task_states(state)
    assert states[:4] == [RETURNED, RETURNED, RETURNED, GOING_WRONG]
    assert LOOKS[GOING_WRONG].role != "bad"
    assert LOOKS[GOING_WRONG].role == LOOKS[RUNNING].role
    # Its span may end (an exception, an unpicklable result) before the parent has said so.
    state.apply([(ev.END, T0 + 600 * MS, W2, 3, 0)])
    assert task_states(state)[3] == GOING_WRONG
    # The parent re-raised it: final.
    state.apply([(ev.ERROR, T0 + 700 * MS, "ValueError", "task 3 failed", None, {})])
    assert task_states(state)[3] == WENT_WRONG
    assert LOOKS[WENT_WRONG].role == "bad"


def test_a_task_whose_worker_died_under_it_went_wrong_before_the_run_ends():
    state = _state(8)
    _going_wrong(state, 5)
    assert task_states(state)[5] == GOING_WRONG
    state.apply([(ev.EXIT, T0 + 600 * MS, W2, -11, True, "")])
    assert not state.finished and state.error is None
    assert task_states(state)[5] == WENT_WRONG


def test_a_hung_task_went_wrong_once_the_run_ended():
    state = _state(8)
    _going_wrong(state, 2)
    state.fail("TaskTimeout", "task 2 ran past its timeout")
    assert task_states(state)[2] == WENT_WRONG


def test_the_chart_declares_the_colours_of_its_meanings():
    assert set(WorkerFailuresChart.MEANINGS) == {"good", "bad", "running", "muted"}
