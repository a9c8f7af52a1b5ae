"""The Timeline panel: every task as a span on its process's lane; gaps are idle time."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QTransform

from mpgui.core.model.run_state import RunState
from mpgui.ui import theme

from .base import (
    Bars,
    FitsItsView,
    GrowingLayer,
    ShowsFocus,
    SteppedRange,
    Throttle,
    color_index,
    fitting_ticks,
    px_per_unit,
    style_plot,
    tick_font,
)

#: Height of a span within its lane (lanes are 1.0 apart).
SPAN_HEIGHT = 0.72
#: Rows of phase names: a name that fits on neither is left out (its line stays).
PHASE_LABEL_ROWS = 2
#: More lanes than this and the timeline gets a summary lane on top: tasks running at once.
SUMMARY_MIN_LANES = 16
#: The summary lane's height, as a share of the lanes (at least 2 lanes' worth).
SUMMARY_SHARE = 0.12
#: Lanes thinner than this (px) draw running tasks filled, not outlined: a 1 px outline
#: around each of 256 one-pixel lanes would paint the whole timeline in the outline colour.
THIN_LANE_PX = 5
#: Columns the summary is computed in, at most (one per pixel of the view, normally).
SUMMARY_COLUMNS = 2000


def busy_profile(starts: np.ndarray, ends: np.ndarray, x0: float, x1: float, columns: int):
    """How many of the spans [`starts`, `ends`) are in progress, on average, in each of
    `columns` equal columns of [`x0`, `x1`): the time they cover there over the column's width.

    Exact for any span lengths, in a few array passes (no per-span Python, no sort): a span
    counts 1 in every column it covers entirely (a running sum of +1 at its first column and
    -1 at its last), and its fraction of the two columns it starts and ends in.
    """
    out = np.zeros(columns)
    if not len(starts) or x1 <= x0 or columns <= 0:
        return out
    scale = columns / (x1 - x0)
    s = np.clip((starts - x0) * scale, 0.0, columns)
    e = np.clip((ends - x0) * scale, 0.0, columns)
    keep = e > s
    s, e = s[keep], e[keep]
    i, j = s.astype(np.int64), e.astype(np.int64)  # the columns they start and end in
    whole = np.bincount(i, minlength=columns + 1) - np.bincount(j, minlength=columns + 1)
    counts = np.cumsum(whole)[:columns].astype(float)
    part = np.bincount(j, weights=e - j, minlength=columns + 1)
    part -= np.bincount(i, weights=s - i, minlength=columns + 1)
    return counts + part[:columns]


class SpanLayer(GrowingLayer):
    """Finished task spans, each coloured by its core, drawn only once each.

    A run adds a few spans per frame to up to 25,000 it already shows. Drawing them all on
    every paint (one ``BarGraphItem`` per core, each with a border) cost more than the rest
    of the window's frame together; as a :class:`GrowingLayer`, a paint draws only the new
    ones.

    Spans are drawn in whole device pixels, inset by 1 px on every side, which gives the look
    a 1 px border in the background colour gave: back-to-back tasks stay apart. Unlike a
    border, the inset never swallows a span: one narrower than 3 px still shows as 1 px, so a
    lane busy with many short tasks reads as busy at any zoom.
    """

    def __init__(self, height: float) -> None:
        super().__init__()
        self.height = height
        self._starts = np.empty(0)  # seconds since the run began
        self._ends = np.empty(0)
        self._lanes = np.empty(0)
        self._cpus = np.empty(0, dtype=np.int32)
        self._brushes: dict[int, QBrush] = {}
        # Rects handed to QPainter.drawRects without a Python object per rect (as pyqtgraph's
        # own BarGraphItem does).
        self._rects = pg.Qt.internals.PrimitiveArray(QRectF, 4)

    def __len__(self) -> int:
        return len(self._starts)

    def clear(self) -> None:
        """Remove every span."""
        self.keep_last(0)

    def times(self) -> tuple[np.ndarray, np.ndarray]:
        """Every span's start and end (s since the run began)."""
        return self._starts, self._ends

    def append(self, starts: np.ndarray, ends: np.ndarray, lanes: np.ndarray, cpus: np.ndarray):
        """Add spans: start and end (s), lane index and core (-1 unknown) of each."""
        if not len(starts):
            return
        self._starts = np.concatenate([self._starts, starts])
        self._ends = np.concatenate([self._ends, ends])
        self._lanes = np.concatenate([self._lanes, lanes])
        self._cpus = np.concatenate([self._cpus, cpus.astype(np.int32)])
        self._grown(self._extent(starts, ends, lanes))

    def keep_last(self, n: int) -> None:
        """Drop all but the newest `n` spans (a run's state keeps a bounded history)."""
        if len(self) <= n:
            return
        cut = len(self) - n
        self._starts, self._ends = self._starts[cut:], self._ends[cut:]
        self._lanes, self._cpus = self._lanes[cut:], self._cpus[cut:]
        self._restart(self._extent(self._starts, self._ends, self._lanes))

    def _extent(self, starts: np.ndarray, ends: np.ndarray, lanes: np.ndarray) -> QRectF:
        """The data rect covered by these spans (null for none)."""
        if not len(starts):
            return QRectF()
        x0, x1 = float(starts.min()), float(ends.max())
        y0, y1 = float(lanes.min()) - self.height / 2, float(lanes.max()) + self.height / 2
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    def _draw(self, painter: QPainter, t: QTransform, lo: int, hi: int, width: int) -> None:
        """Draw spans [lo, hi) in device pixels, through `t` (the view's, never rotated)."""
        if hi <= lo:
            return
        xa = self._starts[lo:hi] * t.m11() + t.dx()
        xb = self._ends[lo:hi] * t.m11() + t.dx()
        ya = (self._lanes[lo:hi] - self.height / 2) * t.m22() + t.dy()
        yb = (self._lanes[lo:hi] + self.height / 2) * t.m22() + t.dy()
        left, right = np.floor(np.minimum(xa, xb)), np.floor(np.maximum(xa, xb))
        top, bottom = np.floor(np.minimum(ya, yb)), np.floor(np.maximum(ya, yb))
        rects = np.column_stack(
            (left + 1, top + 1, np.maximum(right - left - 1, 1), np.maximum(bottom - top - 1, 1))
        )
        visible = (right >= 0) & (left <= width)  # zoomed in, most spans are off to the side
        # One drawRects per colour, not per core: 128 cores share the theme's 16 colours.
        colours = color_index(self._cpus[lo:hi])
        painter.setPen(Qt.PenStyle.NoPen)
        for colour in np.unique(colours[visible]):
            mine = rects[visible & (colours == colour)]
            self._rects.resize(len(mine))
            self._rects.ndarray()[:] = mine
            painter.setBrush(self._brush(int(colour)))
            painter.drawRects(*self._rects.drawargs())

    def _brush(self, cpu: int) -> QBrush:
        brush = self._brushes.get(cpu)
        if brush is None:
            brush = self._brushes[cpu] = QBrush(QColor(theme.core_color(cpu)))
        return brush


def _label_backing() -> QBrush:
    """A phase name's backing: the plot's background, mostly opaque, so a name printed over
    the main lane's tasks stays readable and the tasks still show through faintly."""
    colour = QColor(theme.BACKGROUND)
    colour.setAlpha(200)
    return QBrush(colour)


class TimelinePanel(ShowsFocus, FitsItsView, pg.PlotWidget):
    """Task spans per lane (main lane first), coloured by the core each task ended on.

    Finished spans are a :class:`SpanLayer`, which takes only the spans that are new since
    the last frame. Running tasks are drawn hollow up to "now", updated at 10 Hz; a task whose
    worker died under it is red up to the death. The time axis grows in steps so it stays still
    between them, and the lane axis, range and red spans change only when the lanes do.

    Many lanes compress: a lane is as thin as the room allows (a pixel at 256 workers), the
    lane axis labels every k-th lane that fits the font, running tasks are filled rather than
    outlined, and above the lanes a summary lane shows how many tasks run at each moment
    (the average over each pixel column, up to a dashed line where every worker is busy).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("timelinePlot")
        self.plot = self.getPlotItem()
        style_plot(
            self.plot,
            "Timeline — tasks per process (colour = core)",
            bottom="run time (s)",
            short="Timeline",
        )
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.invertY(True)
        self._running_pen = theme.pen(theme.FOREGROUND)
        hollow = QColor(theme.FOREGROUND)
        hollow.setAlpha(40)  # a running task: the lane shows through, the outline says "open"
        self._running_brush = pg.mkBrush(hollow)
        self._running_thin = False
        self.running = Bars(
            x0=[],
            y=[],
            width=[],
            height=SPAN_HEIGHT,
            pen=self._running_pen,
            brush=self._running_brush,
        )
        self.plot.addItem(self.running)
        # Tasks whose worker died under them: from their start to the death, in red.
        self.lost = Bars(
            x0=[], y=[], width=[], height=SPAN_HEIGHT, pen=None, brush=pg.mkBrush(theme.BAD)
        )
        self.plot.addItem(self.lost)
        self.spans = SpanLayer(SPAN_HEIGHT)
        self.plot.addItem(self.spans)
        # The summary lane: tasks running at once, a step per pixel column, filled down to
        # its baseline; the dashed line above is "every worker busy".
        fill = QColor(theme.MUTED)
        fill.setAlpha(110)
        self.summary = pg.PlotCurveItem(pen=theme.pen(theme.FOREGROUND), brush=pg.mkBrush(fill))
        self.summary.setVisible(False)
        self.plot.addItem(self.summary)
        self.summary_top = pg.InfiniteLine(
            angle=0,
            pen=theme.pen(theme.IDEAL, style=Qt.PenStyle.DashLine),
            label="",
            labelOpts={
                "position": 0.98,
                "color": theme.IDEAL,
                "anchors": [(1, 0), (1, 0)],
            },
        )
        self.summary_top.setVisible(False)
        self.plot.addItem(self.summary_top)
        self._summary_rows: tuple[float, float] | None = None  # (top, baseline) in lane units
        self._summary_of = 1  # tasks at once that reach the summary's top: every worker busy
        self._summary_drawn: tuple | None = None
        self._lanes_drawn: tuple | None = None  # lane labels the axis and range were set for
        self._lost_drawn: tuple | None = None
        self._phase_lines: list[pg.InfiniteLine] = []
        self._phase_lower: list[float] = []  # how much lower than the first line each name is
        self._phases_placed: tuple | None = None  # the view the names were placed for
        self._drawn_revision = -1
        self._drawn_spans = -1
        self._x = SteppedRange(2.0)
        self._clock = Throttle()
        self.plot.setXRange(0, self._x.value, padding=0)
        self._state: RunState | None = None  # drawn last: the axis is thinned again on resize
        self._hollow: tuple[np.ndarray, np.ndarray] | None = None  # running tasks (s)
        self.plot.getViewBox().sigResized.connect(self._view_resized)
        self.plot.getViewBox().sigXRangeChanged.connect(self._time_range_changed)

    def reset(self) -> None:
        """Clear for a new run."""
        self.spans.clear()
        self.running.setOpts(x0=[], y=[], width=[])
        self.lost.setOpts(x0=[], y=[], width=[])
        for line in self._phase_lines:
            self.plot.removeItem(line)
        self._phase_lines.clear()
        self._phase_lower.clear()
        self._phases_placed = None
        self._drawn_spans = -1
        self._drawn_revision = -1
        self._lanes_drawn = None
        self._lost_drawn = None
        self._x.reset()
        self._clock.reset()
        self._state = None
        self._hollow = None
        self._summary_rows = None
        self._summary_drawn = None
        self.summary.setVisible(False)
        self.summary_top.setVisible(False)
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.getAxis("left").setTicks([[]])

    def span_count(self) -> int:
        """How many finished spans are drawn (for tests and the readout)."""
        return len(self.spans)

    def summary_rows(self) -> tuple[float, float] | None:
        """The summary lane's (top, baseline) in lane units (None: no summary lane)."""
        return self._summary_rows

    def summary_values(self) -> np.ndarray:
        """The summary lane's values drawn: tasks running at once, per column."""
        if self._summary_rows is None or self.summary.yData is None:
            return np.empty(0)
        top, base = self._summary_rows
        return (base - self.summary.yData) / (base - top) * self._summary_of

    def _view_resized(self) -> None:
        """Room per lane changed: thin the lane axis again, and the running tasks' look."""
        if self._state is not None:
            self._lanes_drawn = None
            self._set_lanes(self._state)
            self._summary_drawn = None
            self._draw_summary(self._state)
        self._place_phase_labels()

    def _time_range_changed(self) -> None:
        """Zoomed or panned in time: the summary's columns cover another stretch now, and
        phase lines are closer or further apart."""
        if self._state is not None and self._summary_rows is not None:
            self._draw_summary(self._state)
        self._place_phase_labels()

    def _set_lanes(self, state: RunState) -> None:
        """The lane axis and range, the summary lane's place: set when the lanes change."""
        labels = tuple(lane.label for lane in state.lanes)
        if labels == self._lanes_drawn:  # new ticks or range repaint the whole axis
            return
        self._lanes_drawn = labels
        n = max(len(labels), 1)
        top_y = -0.6
        if len(labels) > SUMMARY_MIN_LANES:
            height = max(2.0, SUMMARY_SHARE * n)
            base = -0.5 - max(0.5, 0.04 * n)  # a gap between the summary and the lanes
            self._summary_rows = (base - height, base)
            top_y = base - height - 0.1 * height
        else:
            self._summary_rows = None
        self.plot.setYRange(top_y, n - 0.4, padding=0)
        at = self._phase_label_at()
        for line, lower in zip(self._phase_lines, self._phase_lower, strict=True):
            line.label.setPosition(at + lower)  # a summary lane came or went: names follow
        self.summary.setVisible(self._summary_rows is not None)
        self.summary_top.setVisible(self._summary_rows is not None)
        px_y = px_per_unit(self.plot)[1]
        ticks = fitting_ticks(list(labels), px_y, vertical=True)
        if self._summary_rows is not None:
            top, base = self._summary_rows
            self._summary_of = max(1, sum(lane.role != "main" for lane in state.lanes))
            self.summary_top.setPos(top)
            self.summary_top.label.setFormat(f"all {self._summary_of} busy")
            middle = (top + base) / 2
            # A lane label too close to the summary's would print over it.
            line = QFontMetricsF(tick_font()).height()
            ticks = [(middle, "running")] + [
                (y, text) for y, text in ticks if (y - middle) * px_y >= line
            ]
        self.plot.getAxis("left").setTicks([ticks])
        # A 1 px outline around a lane a few pixels high would hide the lane under it.
        thin = px_y * SPAN_HEIGHT < theme.px(THIN_LANE_PX)
        if thin != self._running_thin:
            self._running_thin = thin
            if thin:
                self.running.setOpts(pen=None, brush=pg.mkBrush(theme.RUNNING))
            else:
                self.running.setOpts(pen=self._running_pen, brush=self._running_brush)

    def _draw_summary(self, state: RunState) -> None:
        """Compute the tasks running per pixel column over the visible time, and draw it."""
        if self._summary_rows is None:
            return
        (x0, x1), _ = self.plot.viewRange()
        columns = int(min(max(self.plot.getViewBox().width(), 1), SUMMARY_COLUMNS))
        key = (state.span_total, self._hollow_key(), x0, x1, columns)
        if key == self._summary_drawn:
            return
        self._summary_drawn = key
        starts, ends = self.spans.times()
        if self._hollow is not None:
            starts = np.concatenate([starts, self._hollow[0]])
            ends = np.concatenate([ends, self._hollow[1]])
        busy = busy_profile(starts, ends, x0, x1, columns)
        top, base = self._summary_rows
        ys = base - (base - top) * np.minimum(busy / self._summary_of, 1.0)
        self.summary.setData(
            np.linspace(x0, x1, columns + 1), ys, stepMode="center", fillLevel=base
        )

    def _hollow_key(self) -> tuple:
        if self._hollow is None:
            return ()
        return (len(self._hollow[0]), float(self._hollow[1].sum()))

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw finished spans (when they changed), running tasks up to now, phase lines."""
        self._state = state
        t0 = state.t0_ns
        n_spans = state.span_total  # not len(): the history is trimmed to a fixed size
        if n_spans != self._drawn_spans or state.revision != self._drawn_revision:
            self._drawn_revision = state.revision
            if n_spans != self._drawn_spans:
                self._draw_spans(state)
            self._set_lanes(state)
            self._draw_phases(state)
            self._draw_lost(state)

        if not (self._clock.due(now_ns) or state.finished):
            return
        # Running tasks, hollow, up to now; once the run is over, up to its end. A task whose
        # worker was ended mid-way (Stop, a failed run's cleanup) stays, up to that moment.
        run_end = state.t_end_ns if state.finished and state.t_end_ns else now_ns
        hollow = [
            (lane.index, lane.open_since, run_end)
            for lane in state.lanes
            if lane.open_task is not None
        ] + [
            (lane.index, lane.open_since, lane.ended_ns)
            for lane in state.lanes
            if lane.cut_task is not None
        ]
        if hollow:
            rows, starts, ends = (np.array(column) for column in zip(*hollow, strict=True))
            starts_s = (starts - t0) / 1e9
            ends_s = np.maximum((ends - t0) / 1e9, starts_s)
            self.running.setOpts(x0=starts_s, y=rows, width=ends_s - starts_s)
            self._hollow = (starts_s, ends_s)
        else:
            self.running.setOpts(x0=[], y=[], width=[])
            self._hollow = None
        if self._x.fit(state.elapsed_s(now_ns), headroom=1.02):
            self.plot.setXRange(0, self._x.value, padding=0)
        self._draw_summary(state)  # at the clock's pace: it moves with the running tasks

    def _draw_spans(self, state: RunState) -> None:
        """Hand the span layer the spans it has not got, and drop those the state dropped."""
        kept = len(state.span_t0)  # the newest `kept` of `span_total` spans
        new = state.span_total - self._drawn_spans
        if self._drawn_spans < 0 or not 0 <= new <= kept:  # a first draw, or another state
            self.spans.clear()
            new = kept
        if new:
            t0 = state.t0_ns
            self.spans.append(
                (np.array(state.span_t0[-new:], dtype=np.int64) - t0) / 1e9,
                (np.array(state.span_t1[-new:], dtype=np.int64) - t0) / 1e9,
                np.array(state.span_lane[-new:], dtype=float),
                np.array(state.span_cpu[-new:], dtype=np.int32),
            )
        self.spans.keep_last(kept)
        self._drawn_spans = state.span_total

    def _draw_lost(self, state: RunState) -> None:
        dead = [lane for lane in state.lanes if lane.lost_task is not None]
        drawn = tuple((lane.index, lane.open_since, lane.ended_ns) for lane in dead)
        if drawn == self._lost_drawn:
            return
        self._lost_drawn = drawn
        starts = np.array([(lane.open_since - state.t0_ns) / 1e9 for lane in dead])
        ends = np.array([(lane.ended_ns - state.t0_ns) / 1e9 for lane in dead])
        self.lost.setOpts(
            x0=starts, y=[lane.index for lane in dead], width=np.maximum(ends - starts, 0.0)
        )

    def _phase_label_at(self) -> float:
        """Where along a phase line its name goes (0 is the top): under the summary lane."""
        if self._summary_rows is None:
            return 0.04
        _, (y0, y1) = self.plot.viewRange()
        return (self._summary_rows[1] - y0) / (y1 - y0) + 0.03

    def _draw_phases(self, state: RunState) -> None:
        if len(self._phase_lines) == len(state.phases):
            return
        for i in range(len(self._phase_lines), len(state.phases)):
            t, name = state.phases[i]
            line = pg.InfiniteLine(
                pos=(t - state.t0_ns) / 1e9,
                angle=90,
                pen=theme.pen(theme.MUTED, style=Qt.PenStyle.DashLine),
                label=name,
                labelOpts={
                    "position": self._phase_label_at(),
                    "color": theme.MUTED,
                    "fill": _label_backing(),
                },
            )
            self.plot.addItem(line)
            self._phase_lines.append(line)
            self._phase_lower.append(0.0)
        self._place_phase_labels()

    def _place_phase_labels(self) -> None:
        """Name each phase line where its name fits: on the top row, else a row lower, else
        not at all (the line stays; the Log has every phase).

        Phases close together would print their names over each other, and whether they are
        close changes as the time axis grows and as the zoom makes the names wider: a scenario
        that alternates ways three times has twenty phases, some a few pixels apart.
        """
        if not self._phase_lines:
            return
        (x0, x1), _ = self.plot.viewRange()
        px_x = px_per_unit(self.plot)[0]
        key = (x0, x1, round(px_x, 3), len(self._phase_lines), self._summary_rows)
        if key == self._phases_placed:
            return
        self._phases_placed = key
        at = self._phase_label_at()
        gap = theme.px(6)
        view_px = (x1 - x0) * px_x
        # A row lower by a name's height, as a share of the view's (positions are shares).
        tall = self.plot.getViewBox().boundingRect().height()
        step = (self._phase_lines[0].label.boundingRect().height() + 2) / max(tall, 1.0)
        ends = [-math.inf] * PHASE_LABEL_ROWS  # where each row's last shown name ends (px)
        for i, line in enumerate(self._phase_lines):
            x = (line.value() - x0) * px_x
            width = line.label.boundingRect().width()
            # A name runs right from its line; one that would leave the view, left of it.
            # (pyqtgraph would flip every name in the right half of the view.)
            flip = x + width > view_px
            left = x - width if flip else x
            row = next((r for r in range(PHASE_LABEL_ROWS) if left >= ends[r] + gap), None)
            line.label.setVisible(row is not None)
            if row is not None:
                ends[row] = left + width
                self._phase_lower[i] = row * step
                line.label.anchors = [(1.0 if flip else 0.0, 0.5)] * 2
                line.label.setPosition(at + self._phase_lower[i])
