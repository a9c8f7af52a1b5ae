"""The worker-failures chart: what became of every task, and how the run ended."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QGraphicsSceneHoverEvent,
    QSizePolicy,
    QStyleOptionGraphicsItem,
    QWidget,
)

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.scenarios.worker_failures.model import SERIES_FAILING, TASKS_RETURNED
from mpgui.ui import theme
from mpgui.ui.panels.base import TITLE_PT
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold, lines

#: The verdict is wrapped this much (px at 100 %) inside the chart's margins: a LabelItem
#: does not wrap, and its widest line would widen the chart past its panel.
VERDICT_MARGIN_PX = 6
#: Text size (pt at 100 %) of the verdict and of the key under the grid.
VERDICT_PT, KEY_PT = 11, 9.5

#: The states a task can be in, as :func:`task_states` names them.
NO_RESULT, RUNNING, GOING_WRONG, RETURNED, WENT_WRONG = (
    "no result",
    "running",
    "going wrong",
    "returned",
    "went wrong",
)


@dataclass(frozen=True)
class Look:
    """How tiles of one state are drawn: a theme role for the colour, and a symbol as the
    second channel (a reader who cannot tell the colours apart reads the symbol)."""

    role: str
    symbol: str


#: Each state's look, in the key's order. A task that is going wrong is still running: it is
#: drawn as running (with "!") until its failure is final, never in the colour of the verdict.
LOOKS: dict[str, Look] = {
    RETURNED: Look("good", "✓"),
    WENT_WRONG: Look("bad", "✗"),
    RUNNING: Look("running", "▶"),
    GOING_WRONG: Look("running", "!"),
    NO_RESULT: Look("muted", ""),
}
#: States the key lists even when no task is in them (the rest only when one is).
ALWAYS_KEYED = (RETURNED, WENT_WRONG, RUNNING, NO_RESULT)


def failure_is_final(state: RunState, task: int) -> bool:
    """True once task `task`'s failure can no longer turn out otherwise.

    The task reports SERIES_FAILING as it *starts* going wrong; it has gone wrong once the
    run has ended, an error has arrived (the parent re-raised it, or the host timed it out),
    or the process running it has died under it.
    """
    if state.finished or state.error is not None:
        return True
    return any(lane.lost_task == task for lane in state.lanes)


def task_states(state: RunState) -> list[str]:
    """Each planned task's state: running, going wrong (it said so, and its worker is still
    at it), returned, went wrong, or no result (not run yet, lost with its worker, or
    cancelled)."""
    total = int(state.plan.get("tasks", 0))
    out = [NO_RESULT] * total
    for task in state.span_task:  # every task whose end was reported
        if 0 <= task < total:
            out[task] = RETURNED
    for _, value in state.series.get(SERIES_FAILING, ()):
        task = int(value)
        if 0 <= task < total:
            out[task] = WENT_WRONG if failure_is_final(state, task) else GOING_WRONG
    for lane in state.lanes:
        if lane.open_task is not None and 0 <= lane.open_task < total:
            if out[lane.open_task] == NO_RESULT:
                out[lane.open_task] = RUNNING
    return out


def lesson(error: dict[str, Any], api: str, failing: int | None) -> str:
    """What the run's failure teaches, in a sentence or two (HTML-escaped)."""
    task = error.get("task", failing)
    code = error.get("exitcode")
    how = ev.how_it_ended(code) if code is not None else ""
    kind = error.get("type")
    if kind == "WorkerFailed":
        text = (
            f"Pool lost task {task}: its worker {how}. Pool started a replacement and would "
            f"wait for task {task} forever — mpgui saw the death and ended the run."
        )
    elif kind == "BrokenProcessPool":
        text = (
            f"{api} raised BrokenProcessPool: worker {error.get('pid')} {how} during "
            f"task {task}, and every task still pending failed with it."
        )
    elif kind == "TaskTimeout":
        text = (
            f"Task {task} hung past its timeout: mpgui sent SIGTERM, which it ignored, then "
            f"SIGKILL. {api} then lost the worker like any other."
        )
    elif kind in ("MaybeEncodingError", "PicklingError", "TypeError"):
        text = (
            f"Task {task}'s result could not be pickled, so it never left the worker: "
            f"{kind} in the parent. The worker itself lived on."
        )
    elif kind == "Stopped":
        text = "Stopped by the user."
    else:
        text = (
            f"{kind} raised in task {task} crossed back to the parent with the worker's "
            "traceback (see the log). The worker lived on."
        )
    return html.escape(text)


def wrap(text: str, metrics: QFontMetricsF, room: float) -> list[str]:
    """`text` broken at spaces into lines at most `room` px wide in `metrics`' font (a word
    wider than that has a line of its own)."""
    out: list[str] = []
    line = ""
    for word in text.split():
        longer = f"{line} {word}" if line else word
        if line and metrics.horizontalAdvance(longer) > room:
            out.append(line)
            line = word
        else:
            line = longer
    return [*out, line] if line else out


def grid_shape(n: int, width: float, height: float) -> tuple[int, int, float]:
    """(columns, rows, cell size in px) of the largest square cells that fit `n` of them in
    `width` × `height` px."""
    if n <= 0 or width <= 0 or height <= 0:
        return 0, 0, 0.0
    best = (1, n, 0.0)
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        cell = min(width / cols, height / rows)
        if cell > best[2]:
            best = (cols, rows, cell)
    return best


def _luminance(color: QColor) -> float:
    """WCAG relative luminance of `color` (0 black .. 1 white)."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(color.redF()) + 0.7152 * lin(color.greenF()) + 0.0722 * lin(color.blueF())


def ink_on(fill: QColor) -> QColor:
    """The theme's background or foreground colour, whichever reads better on `fill`."""
    t = theme.current()
    inks = [QColor(t.background), QColor(t.foreground)]
    lum = _luminance(fill)
    return max(
        inks,
        key=lambda ink: (max(lum, _luminance(ink)) + 0.05) / (min(lum, _luminance(ink)) + 0.05),
    )


@dataclass(frozen=True)
class Placement:
    """Where a :class:`TaskGrid`'s parts go, in its own coordinates (px): the grid of `cols`
    columns of `cell` px pitch, each task's tile, and the key beneath."""

    cols: int
    cell: float
    origin: QPointF  # the top left of the first cell
    tiles: tuple[QRectF, ...]
    grid: QRectF  # the area the tiles may use
    key: QRectF  # the key's area, under the grid
    key_entries: tuple[tuple[str, QRectF, QRectF, str], ...]  # state, swatch, text box, text


class TaskGrid(pg.GraphicsWidget):
    """One tile per task, as large as fit this widget, and a key to the tiles beneath them.

    The layout is worked out from the widget's own size each time it or the tasks change, so
    the grid fits its panel at every moment of a run: while the verdict above it grows, in a
    small window, at 1000 tasks. Inside a tile: its task number and its state's symbol when
    there is room, the symbol alone when only that fits, and "task N: state" on hover. One
    item paints every tile, so a few hundred tiles cost one paint, not a few hundred items.
    """

    #: The gap between tiles, as a fraction of a cell.
    GAP = 0.12
    #: The smallest text (px) drawn inside a tile, whatever the zoom: smaller would not read.
    MIN_TEXT_PX = 8
    #: The largest text inside a tile (px at 100 %): big tiles need no bigger numbers.
    MAX_TEXT_PX = 14

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Small preferred and minimum sizes: the grid takes the room it is given, it never
        # asks the panel for more.
        self.setMinimumSize(QSizeF(theme.px(60), theme.px(40)))
        self.setPreferredSize(QSizeF(theme.px(120), theme.px(80)))
        self.setAcceptHoverEvents(True)
        self.key_font = QFont()
        self.key_font.setPointSizeF(theme.pt(KEY_PT))
        self._states: list[str] = []
        self._placement: Placement | None = None
        self._placed_size: QSizeF | None = None  # the size `_placement` was worked out for

    def set_states(self, states: list[str]) -> None:
        """Show `states`, one tile per task (repainted only if they changed)."""
        if states != self._states:
            self._states = list(states)
            self._placement = None  # the key's counts moved, maybe the number of tasks
            self.update()

    def states(self) -> list[str]:
        """The state of each tile, in task order."""
        return list(self._states)

    # -- layout --------------------------------------------------------------------------
    def placement(self) -> Placement:
        """Where everything goes at the widget's current size (worked out once per change)."""
        # Keyed on the size, not told of resizes: Qt repaints a widget the layout moved, and
        # a slot on geometryChanged could be called while the scene is tearing it down.
        size = self.size()
        if self._placement is None or size != self._placed_size:
            self._placement = self._place()
            self._placed_size = size
        return self._placement

    def _key_texts(self) -> list[tuple[str, str]]:
        counts = {s: 0 for s in LOOKS}
        for s in self._states:
            counts[s] += 1
        return [(s, f"{counts[s]} {s}") for s in LOOKS if s in ALWAYS_KEYED or counts[s]]

    def _place(self) -> Placement:
        rect = self.rect()
        width, height = rect.width(), rect.height()
        fm = QFontMetricsF(self.key_font)
        line = fm.height() * 1.25
        swatch = fm.height()
        space = fm.horizontalAdvance("  ")
        # The key flows left to right and wraps: a narrow panel gets two lines, not a clip.
        entries, x, row = [], 0.0, 0
        for s, text in self._key_texts() if self._states else []:
            w = swatch + fm.horizontalAdvance(" " + text)
            if x > 0 and x + w > width:
                x, row = 0.0, row + 1
            y = row * line
            entries.append(
                (
                    s,
                    QRectF(x, y + (line - swatch) / 2, swatch, swatch),
                    QRectF(x + swatch, y, w - swatch, line),
                    " " + text,
                )
            )
            x += w + space
        key_height = (row + 1) * line if entries else 0.0
        margin = theme.px(4)
        grid = QRectF(0, 0, width, max(0.0, height - key_height - margin))
        key_top = grid.height() + margin
        entries = [
            (s, sw.translated(0, key_top), box.translated(0, key_top), text)
            for s, sw, box, text in entries
        ]
        cols, rows, cell = grid_shape(len(self._states), grid.width(), grid.height())
        origin = QPointF((grid.width() - cols * cell) / 2, 0.0)  # centred, from the top
        gap = max(1.0, self.GAP * cell) if cell >= 3 else 0.0
        tiles = tuple(
            QRectF(
                origin.x() + (i % cols) * cell + gap / 2,
                origin.y() + (i // cols) * cell + gap / 2,
                cell - gap,
                cell - gap,
            )
            for i in range(len(self._states) if cols else 0)  # no room: no tiles
        )
        return Placement(
            cols,
            cell,
            origin,
            tiles,
            grid,
            QRectF(0, key_top, width, key_height),
            tuple(entries),
        )

    # -- painting ------------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Draw the tiles, the text inside them that fits, and the key."""
        placed = self.placement()
        t = theme.current()
        fills = {s: QColor(getattr(t, look.role)) for s, look in LOOKS.items()}
        inks = {s: ink_on(color) for s, color in fills.items()}
        painter.setPen(Qt.PenStyle.NoPen)
        # Not strict: a widget squeezed to no room at all has no tiles (and an exception in a
        # paint would leave Qt's painter half-done: a crash, not a traceback).
        for s, tile in zip(self._states, placed.tiles, strict=False):
            painter.fillRect(tile, fills[s])
        if placed.tiles:
            self._paint_tile_text(painter, placed, inks)
        painter.setFont(self.key_font)
        for s, swatch, box, text in placed.key_entries:
            painter.fillRect(swatch, fills[s])
            painter.setPen(inks[s])
            painter.drawText(swatch, Qt.AlignmentFlag.AlignCenter, LOOKS[s].symbol)
            painter.setPen(QColor(t.foreground))
            painter.drawText(box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)

    def tile_text(self) -> tuple[str, QFont]:
        """What fits inside the tiles at their current size, and in what font: ``"both"``
        (the number over the symbol), ``"symbol"`` (the symbol alone) or ``""`` (nothing:
        the colour, the key and the hover text must do)."""
        placed = self.placement()
        font = QFont()
        if not placed.tiles:
            return "", font
        side = placed.tiles[0].width()
        size = min(0.36 * side, theme.px(self.MAX_TEXT_PX))
        font.setPixelSize(max(1, int(size)))
        widest = str(len(self._states) - 1)
        if size >= self.MIN_TEXT_PX and QFontMetricsF(font).horizontalAdvance(widest) <= 0.9 * side:
            return "both", font
        size = min(0.7 * side, theme.px(self.MAX_TEXT_PX))
        if size < self.MIN_TEXT_PX:
            return "", font
        font.setPixelSize(int(size))
        return "symbol", font

    def _paint_tile_text(
        self, painter: QPainter, placed: Placement, inks: dict[str, QColor]
    ) -> None:
        """Each tile's number over its symbol if both fit, else the symbol alone, else none."""
        mode, font = self.tile_text()
        if not mode:
            return
        painter.setFont(font)
        side = placed.tiles[0].width()
        centre = Qt.AlignmentFlag.AlignCenter
        for i, (s, tile) in enumerate(zip(self._states, placed.tiles, strict=False)):
            painter.setPen(inks[s])
            symbol = LOOKS[s].symbol
            if mode == "both":
                top = QRectF(tile.x(), tile.y() + 0.04 * side, side, side * 0.48)
                bottom = QRectF(tile.x(), tile.y() + 0.5 * side, side, side * 0.46)
                painter.drawText(top, centre, str(i))
                if symbol:
                    painter.drawText(bottom, centre, symbol)
            elif symbol:
                painter.drawText(tile, centre, symbol)

    # -- hover ---------------------------------------------------------------------------
    def task_at(self, pos: QPointF) -> int | None:
        """The task whose cell is at `pos` (the widget's coordinates), if any."""
        placed = self.placement()
        if not placed.cols or placed.cell <= 0:
            return None
        col = math.floor((pos.x() - placed.origin.x()) / placed.cell)
        row = math.floor((pos.y() - placed.origin.y()) / placed.cell)
        task = row * placed.cols + col
        if 0 <= col < placed.cols and row >= 0 and task < len(self._states):
            return task
        return None

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802, D102
        task = self.task_at(event.pos())
        self.setToolTip("" if task is None else f"task {task}: {self._states[task]}")


class WorkerFailuresChart(ScenarioChart):
    """A grid of the tasks, each coloured and marked by what became of it, and a line saying
    how the run ended."""

    READS = Reads(series=(SERIES_FAILING,), metrics=(TASKS_RETURNED,), tasks=True)
    MEANINGS = tuple(dict.fromkeys(look.role for look in LOOKS.values()))

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.verdict = pg.LabelItem(
            "", color=theme.FOREGROUND, size=f"{theme.pt(VERDICT_PT):g}pt", justify="left"
        )
        self.addItem(self.verdict, row=0, col=0)
        self.title = pg.LabelItem(
            "Tasks — what became of each",
            color=theme.FOREGROUND,
            size=f"{theme.pt(TITLE_PT):g}pt",
        )
        self.addItem(self.title, row=1, col=0)
        self.grid = TaskGrid()
        self.addItem(self.grid, row=2, col=0)
        self.ci.layout.setRowStretchFactor(2, 1)  # the grid takes what the text leaves
        self._api = ""
        self._failing: int | None = None
        self._said = ("", theme.FOREGROUND)

    def clear_run(self) -> None:
        self.grid.set_states([])
        self._say("", theme.FOREGROUND)

    def draw(self, state: RunState, now_ns: int) -> None:
        self._api = str(state.spec.params.get("api", ""))
        failing = [int(v) for _, v in state.series.get(SERIES_FAILING, ())]
        self._failing = failing[0] if failing else None
        self.grid.set_states(task_states(state))
        if state.error is None and not state.finished and self._failing is not None:
            self._say(f"! Task {self._failing} is going wrong…", theme.FOREGROUND)

    def run_finished(self, result: dict[str, Any]) -> None:
        error = result.get("error")
        if error is None:
            m = result.get("metrics", {})
            self._say(f"Nothing went wrong: {m.get(TASKS_RETURNED)} tasks returned.", theme.GOOD)
            return
        self._say(lesson(error, self._api, self._failing), theme.BAD)

    def _say(self, text: str, color: str, width: float | None = None) -> None:
        """Show `text` in `color` above the grid, wrapped to the chart's `width` (px; now)."""
        self._said = (text, color)
        # A LabelItem does not wrap, and a long line would widen the chart past its panel:
        # wrap it to the chart's width, measured in its own font (again on every resize).
        left, _, right, _ = self.ci.layout.getContentsMargins()
        width = self.width() if width is None else width
        room = width - left - right - 2 * theme.px(VERDICT_MARGIN_PX)
        font = QFont()
        font.setPointSizeF(theme.pt(VERDICT_PT))
        wrapped = wrap(html.unescape(text), QFontMetricsF(font), room)
        self.verdict.setText(lines(*map(html.escape, wrapped)), color=color)

    def resizeEvent(self, event) -> None:  # noqa: N802, D102 - Qt's name
        said = getattr(self, "_said", None)  # pyqtgraph resizes before __init__ is done
        # ... and after close(), whose scene has deleted the layout this would measure.
        if said and said[0] and not self.closed:
            # Before the view lays out its items at the new size: a verdict still wrapped for
            # a wider chart would hold the layout at that width.
            self._say(*said, width=event.size().width())
        super().resizeEvent(event)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        return [f"{bold(str(metrics.get(TASKS_RETURNED)))} tasks returned"]


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = WorkerFailuresChart
