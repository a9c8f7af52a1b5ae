"""The Workers panel: one bar per process, tasks done, in segments by the cores they ran on."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.ui import theme

from .base import (
    FitsItsView,
    PointLabels,
    ShowsFocus,
    SteppedRange,
    Throttle,
    color_index,
    fitting_ticks,
    lane_name,
    paint_from_pixmap,
    px_per_unit,
    style_plot,
    text_item,
)

#: Bars with a count label above them; more bars go unlabelled (the summary key says it).
MAX_LABELLED_BARS = 16
#: A bar's width, in lanes (1.0 apart).
BAR_WIDTH = 0.7


def _short_exit(exitcode: int) -> str:
    """``SIGSEGV`` or ``code 3``: how a dead worker ended, short enough for a bar label."""
    return ev.signal_name(-exitcode) if exitcode < 0 else f"code {exitcode}"


class CoreCounts:
    """Each lane's finished tasks by core, as a (lane × core) matrix kept up to date from the
    spans that are new since the last frame, and cut into a bar's stacked segments.

    At 256 workers most lanes finish a task every frame: rebuilding every bar from its
    lane's ``core_tasks`` would be Python per lane and per core, each frame. New spans are
    added to the matrix in one vectorised step instead, and the segments are its non-zero
    cells (row-major: by lane, then by core, as they stack). ``Lane.core_tasks`` stays the
    truth: a lane whose row does not add up to its tasks (spans the state dropped before
    they were seen, a first draw) has its row rebuilt from it.
    """

    def __init__(self) -> None:
        self._counts = np.zeros((0, 1), dtype=np.int64)  # column 0: unknown core (-1)
        self._seen = -1  # the state's span_total when last counted

    def clear(self) -> None:
        """Forget every count."""
        self._counts = np.zeros((0, 1), dtype=np.int64)
        self._seen = -1

    def segments(self, state: RunState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(bar index, bottom, height, core) of each segment of `state`'s lanes' bars: one
        per core a lane's tasks ended on, cores ascending within a bar (a colour keeps its
        place as the bar grows); a bar's heights sum to its tasks."""
        lanes = state.lanes
        kept = len(state.span_t0)
        new = state.span_total - self._seen
        if self._seen >= 0 and 0 <= new <= kept:
            self._add(
                np.frombuffer(state.span_lane, dtype=np.int64)[kept - new :],
                np.frombuffer(state.span_cpu, dtype=np.int64)[kept - new :],
                len(lanes),
            )
        else:
            self._add(np.empty(0, np.int64), np.empty(0, np.int64), len(lanes))
        self._seen = state.span_total
        totals = np.fromiter((lane.tasks_done for lane in lanes), np.int64, len(lanes))
        for i in np.flatnonzero(self._counts[: len(lanes)].sum(axis=1) != totals):
            self._rebuild(int(i), lanes[i].core_tasks)
        counts = self._counts[: len(lanes)]
        bars, cols = np.nonzero(counts)
        heights = counts[bars, cols]
        bottoms = (np.cumsum(counts, axis=1) - counts)[bars, cols]
        return (
            bars.astype(float),
            bottoms.astype(float),
            heights.astype(float),
            (cols - 1).astype(np.int32),
        )

    def _grow(self, rows: int, cols: int) -> None:
        r, c = self._counts.shape
        if rows > r or cols > c:
            grown = np.zeros((max(rows, r), max(cols, c)), dtype=np.int64)
            grown[:r, :c] = self._counts
            self._counts = grown

    def _add(self, lanes: np.ndarray, cpus: np.ndarray, rows: int) -> None:
        cols = cpus.max() + 2 if len(cpus) else 1
        self._grow(max(rows, int(lanes.max()) + 1 if len(lanes) else 0), int(cols))
        np.add.at(self._counts, (lanes, np.maximum(cpus, -1) + 1), 1)

    def _rebuild(self, row: int, core_tasks: dict[int, int]) -> None:
        self._grow(row + 1, max(core_tasks, default=-1) + 2)
        self._counts[row] = 0
        for cpu, count in core_tasks.items():
            self._counts[row, max(cpu, -1) + 1] = count


class StackedBars(pg.GraphicsObject):
    """Vertical bars made of segments, each in its core's colour, painted a colour at a time.

    A ``BarGraphItem`` with a brush per bar sets the brush bar by bar in Python; with 256
    workers on many cores that is thousands of segments. Here the segments are numpy
    columns, drawn in whole device pixels (neighbours share their rounded edge, so a stack
    has neither gaps nor overlaps), with one ``drawRects`` per core.
    """

    def __init__(self, width: float = BAR_WIDTH) -> None:
        super().__init__()
        self.width = width
        self._x = self._y0 = self._h = np.empty(0)
        self._cpus = np.empty(0, dtype=np.int32)
        self._order = np.empty(0, dtype=np.int64)
        self._groups: list[tuple[int, int, int]] = []  # (colour, first, end) in _order
        self._bounds = QRectF()
        self._brushes: dict[int, QBrush] = {}
        self._rects = pg.Qt.internals.PrimitiveArray(QRectF, 4)

    def set_segments(self, x: np.ndarray, y0: np.ndarray, h: np.ndarray, cpus: np.ndarray):
        """Show segments: bar centre `x`, bottom `y0`, height `h` and core of each."""
        self._x, self._y0, self._h, self._cpus = x, y0, h, cpus
        # Grouped by colour once here, not at every paint: one draw call per colour.
        colours = color_index(cpus)
        self._order = np.argsort(colours, kind="stable")
        grouped = colours[self._order]
        cuts = np.flatnonzero(np.diff(grouped)) + 1
        self._groups = [
            (int(grouped[lo]), int(lo), int(hi))
            for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(grouped)], strict=True)
            if hi > lo
        ]
        bounds = QRectF()
        if len(x):
            top = float((y0 + h).max())
            left = float(x.min()) - self.width / 2
            bounds = QRectF(left, 0.0, float(x.max()) - float(x.min()) + self.width, top)
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The segments shown: (bar centre, bottom, height, core) columns."""
        return self._x, self._y0, self._h, self._cpus

    def bar_heights(self, bars: int) -> list[float]:
        """The whole height of each of `bars` bars (its segments summed): tasks done."""
        totals = np.bincount(self._x.astype(np.int64), weights=self._h, minlength=bars)
        return totals[:bars].tolist()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """The segments' extent in data coordinates."""
        return QRectF(self._bounds)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        """Draw every segment in device pixels, one colour at a time."""
        if not len(self._x):
            return
        t = painter.transform()
        xa = (self._x - self.width / 2) * t.m11() + t.dx()
        xb = (self._x + self.width / 2) * t.m11() + t.dx()
        ya = self._y0 * t.m22() + t.dy()
        yb = (self._y0 + self._h) * t.m22() + t.dy()
        left, right = np.round(np.minimum(xa, xb)), np.round(np.maximum(xa, xb))
        top, bottom = np.round(np.minimum(ya, yb)), np.round(np.maximum(ya, yb))
        # At 256 workers a bar is a pixel or two wide: it still shows, one pixel at least.
        rects = np.column_stack((left, top, np.maximum(right - left, 1), bottom - top))
        rects = rects[self._order]  # grouped by colour (a segment of no pixels draws none)
        painter.save()
        painter.resetTransform()
        painter.setPen(Qt.PenStyle.NoPen)
        # One drawRects per colour, not per core: 128 cores share the theme's 16 colours.
        for colour, lo, hi in self._groups:
            self._rects.resize(hi - lo)
            self._rects.ndarray()[:] = rects[lo:hi]
            painter.setBrush(self._brush(colour))
            painter.drawRects(*self._rects.drawargs())
        painter.restore()

    def _brush(self, colour: int) -> QBrush:
        brush = self._brushes.get(colour)
        if brush is None:
            brush = self._brushes[colour] = QBrush(QColor(theme.core_color(colour)))
        return brush


class WorkersPanel(ShowsFocus, FitsItsView, pg.PlotWidget):
    """Bars of tasks done per process; a dashed line at each worker's fair share.

    The conductor's own lane ("main") runs the serial baseline; pool workers follow, labelled
    with their pid. A bar is stacked from one segment per core its tasks ended on, in that
    core's colour, with the core's number in the segment where it fits (the colour is never
    the only clue). Crowded — more bars than fit a label each — the counts above the bars give
    way to a summary key, and the pid axis thins its labels to what fits. A frame touches
    only the labels whose text, colour or place changed: each change re-lays out text.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("workersPlot")
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Workers — tasks done (colour = core)", left="tasks", short="Workers")
        self.plot.setMouseEnabled(x=False, y=False)
        self.bars = StackedBars()
        self.plot.addItem(self.bars)
        # The number of each segment's core, on the segment (in the background's colour,
        # which reads on every core colour of the theme).
        self.core_numbers = PointLabels(anchor=(0.5, 0.5), color=theme.BACKGROUND)
        self.plot.addItem(self.core_numbers)
        self.fair = pg.InfiniteLine(angle=0, pen=theme.pen(theme.IDEAL, style=Qt.PenStyle.DashLine))
        self.fair.setVisible(False)
        self.plot.addItem(self.fair)
        key_size = f"{theme.pt(9):g}pt"
        # The key for the dashed line, pinned to the plot's top-left corner.
        self.fair_key = pg.LabelItem("- - fair share per worker", color=theme.IDEAL, size=key_size)
        paint_from_pixmap(self.fair_key.item)
        self.fair_key.setParentItem(self.plot.getViewBox())
        self.fair_key.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(theme.px(6), theme.px(2)))
        self.fair_key.setVisible(False)
        # Too many bars to label each: how the tasks spread over the workers, in words, on
        # the line under the fair-share key (or in its place).
        self.summary_key = pg.LabelItem("", color=theme.FOREGROUND, size=key_size)
        paint_from_pixmap(self.summary_key.item)
        self.summary_key.setParentItem(self.plot.getViewBox())
        self.summary_key.setVisible(False)
        self._summary_row: int | None = None
        # Count labels by bar, made when a bar first has something to say: 256 hidden
        # labels would still be asked for their bounds on every paint.
        self._labels: dict[int, pg.TextItem] = {}
        self._label_state: dict[int, tuple] = {}  # (text, colour, height) each label shows
        self._lanes_drawn = 0  # bars the x range was set for
        self._counts = CoreCounts()
        # The summary's words change with every task; a text layout 30 times a second
        # would be most of the panel's frame, and nobody reads that fast.
        self._summary_clock = Throttle(250_000_000)
        self._y = SteppedRange(5.0)
        self.plot.setYRange(0, self._y.value, padding=0)
        self._shown = None  # what was drawn last, to skip identical redraws
        self._ticks_for: tuple | None = None  # (lane names, px per bar) the axis was set for
        self._state: RunState | None = None  # drawn last: drawn again when the view resizes
        self._resizing = False
        self.plot.getViewBox().sigResized.connect(self._view_resized)

    def reset(self) -> None:
        """Clear for a new run."""
        empty = np.empty(0)
        self.bars.set_segments(empty, empty, empty, np.empty(0, dtype=np.int32))
        self.core_numbers.set_labels([], [])
        for label in self._labels.values():
            self.plot.removeItem(label)
        self._labels.clear()
        self._label_state.clear()
        self._lanes_drawn = 0
        self._counts.clear()
        self._summary_clock.reset()
        self.fair.setVisible(False)
        self.fair_key.setVisible(False)
        self.summary_key.setVisible(False)
        self._summary_row = None
        self._y.reset()
        self._shown = None
        self._ticks_for = None
        self._state = None
        self.plot.setYRange(0, self._y.value, padding=0)
        self.plot.getAxis("bottom").setTicks([[]])

    def label_texts(self) -> dict[int, str]:
        """The count labels shown above the bars, by bar index (for tests and scripts)."""
        return {
            i: label.textItem.toPlainText()
            for i, label in sorted(self._labels.items())
            if label.isVisible()
        }

    def _view_resized(self) -> None:
        """Room per bar changed: labels that fit, the axis' thinning. Drawn again at once,
        since a finished run's window no longer ticks."""
        if self._state is None or self._resizing:
            return
        self._resizing = True  # new ticks can resize the view again: once is enough
        try:
            self._shown = None
            self.redraw(self._state, ev.now_ns())
        finally:
            self._resizing = False

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw `state`'s lanes."""
        self._state = state
        lanes = state.lanes
        shown = tuple((lane.tasks_done, lane.current_core, lane.exitcode) for lane in lanes)
        fair = None
        workers = state.plan.get("workers", 0)
        if state.plan.get("tasks") and workers > 1:
            fair = state.plan["tasks"] / workers
        if (shown, fair) == self._shown:
            return
        self._shown = (shown, fair)
        heights = [lane.tasks_done for lane in lanes]
        if self._y.fit(max([*heights, fair or 0]), headroom=1.25):
            self.plot.setYRange(0, self._y.value, padding=0)
        n = len(lanes)
        if n and (n != self._lanes_drawn or self._ticks_for is None):
            self._lanes_drawn = n
            self.plot.setXRange(-0.6, max(n, 2) - 0.4, padding=0)
        px_x, px_y = px_per_unit(self.plot)
        # A lane's name (its pid) never changes: new ticks only for new lanes or room.
        if (n, round(px_x, 1)) != self._ticks_for:  # new ticks repaint the whole axis
            self._ticks_for = (n, round(px_x, 1))
            names = [lane_name(lane) for lane in lanes]
            self.plot.getAxis("bottom").setTicks([fitting_ticks(names, px_x)])
        segments = self._counts.segments(state)
        self.bars.set_segments(*segments)
        self._number_segments(segments, px_x, px_y)
        # Counts above the bars only while each has room for its number; past 16 bars they
        # are clutter even with room, and the summary key says what they would.
        show_labels = n <= MAX_LABELLED_BARS
        if show_labels:
            metrics = QFontMetricsF(self.core_numbers.font())  # a TextItem's font too
            widest = max((metrics.horizontalAdvance(str(h)) for h in heights), default=0.0)
            show_labels = px_x * BAR_WIDTH >= widest
        foreground, bad = theme.FOREGROUND, theme.BAD
        for i, lane in enumerate(lanes):
            if lane.died:  # a dead worker says so, whatever the crowding
                text, color = f"{lane.tasks_done}\n✗ {_short_exit(lane.exitcode)}", bad
            elif show_labels:
                text, color = str(lane.tasks_done), foreground
            elif i in self._labels:  # it said something before: now it says nothing
                text, color = "", foreground
            else:
                continue  # crowded, and nothing to say: most bars at 256 workers
            self._set_label(i, text, color, lane.tasks_done)
        self._summarise(state, show_labels, now_ns)
        if fair is not None:
            self.fair.setPos(fair)
        self.fair.setVisible(fair is not None)
        self.fair_key.setVisible(fair is not None)
        row = 1 if fair is not None else 0
        if row != self._summary_row:
            self._summary_row = row
            line = self.fair_key.item.boundingRect().height()
            self.summary_key.anchor(
                itemPos=(0, 0), parentPos=(0, 0), offset=(theme.px(6), theme.px(2) + row * line)
            )

    def _number_segments(self, segments: tuple, px_x: float, px_y: float) -> None:
        """Write each segment's core number on it, where the number fits inside."""
        bars, bottoms, heights, cpus = segments
        metrics = QFontMetricsF(self.core_numbers.font())
        line = metrics.tightBoundingRect("0123456789").height() + theme.px(2)
        room = BAR_WIDTH * px_x - 2
        tall = heights * px_y >= line
        if room < metrics.horizontalAdvance("0") or not tall.any():  # 256 thin bars: none
            self.core_numbers.set_labels([], [])
            return
        points, texts = [], []
        widths: dict[int, float] = {}
        for x, y0, h, cpu in zip(bars[tall], bottoms[tall], heights[tall], cpus[tall], strict=True):
            text = str(cpu) if cpu >= 0 else "?"
            width = widths.get(cpu)
            if width is None:
                width = widths[cpu] = metrics.horizontalAdvance(text)
            if width <= room:
                points.append((float(x), float(y0 + h / 2)))
                texts.append(text)
        self.core_numbers.set_labels(points, texts)

    def _summarise(self, state: RunState, labelled: bool, now_ns: int) -> None:
        """The spread of tasks over the workers, in words, when the bars carry no counts
        (at most 4 times a second, and at the end)."""
        done = [lane.tasks_done for lane in state.workers()]
        if labelled or len(done) < 2:
            self.summary_key.setVisible(False)
            return
        if self.summary_key.isVisible() and not (self._summary_clock.due(now_ns) or state.finished):
            return
        text = (
            f"{len(done)} workers · {min(done):,}–{max(done):,} tasks each"
            f" · mean {sum(done) / len(done):,.0f}"
        )
        if text != self.summary_key.text:
            self.summary_key.setText(text)
        self.summary_key.setVisible(True)

    def _set_label(self, i: int, text: str, color: str, height: float) -> None:
        """Label bar `i`, touching only what changed (and a hidden label not at all)."""
        label = self._labels.get(i)
        if label is None:
            if not text:
                return  # nothing to say, and nothing said before
            label = self._labels[i] = text_item(anchor=(0.5, 1.0), color=theme.FOREGROUND)
            self.plot.addItem(label)
            self._label_state[i] = ("", theme.FOREGROUND, None)
        old_text, old_color, old_height = self._label_state[i]
        if text != old_text:
            label.setText(text)
            label.setVisible(bool(text))  # an empty label still costs a paint every frame
        if not text:  # colour and place are the label's last shown ones
            self._label_state[i] = (text, old_color, old_height)
            return
        if color != old_color:
            label.setColor(color)
        if height != old_height:
            label.setPos(i, height)
        self._label_state[i] = (text, color, height)
