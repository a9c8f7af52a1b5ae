"""The Timeline panel: every task as a span on its process's lane; gaps are idle time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QTransform

from mpgui.core.model.run_state import RunState
from mpgui.ui import theme

from .base import Bars, GrowingLayer, SteppedRange, Throttle, sparse_ticks, style_plot

#: Height of a span within its lane (lanes are 1.0 apart).
SPAN_HEIGHT = 0.72
#: Phase lines closer than this fraction of the visible time get their names staggered.
PHASE_LABEL_GAP = 0.08


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
        cpus = self._cpus[lo:hi]
        painter.setPen(Qt.PenStyle.NoPen)
        for cpu in np.unique(cpus[visible]):
            mine = rects[visible & (cpus == cpu)]
            self._rects.resize(len(mine))
            self._rects.ndarray()[:] = mine
            painter.setBrush(self._brush(int(cpu)))
            painter.drawRects(*self._rects.drawargs())

    def _brush(self, cpu: int) -> QBrush:
        brush = self._brushes.get(cpu)
        if brush is None:
            brush = self._brushes[cpu] = QBrush(QColor(theme.core_color(cpu)))
        return brush


class TimelinePanel(pg.PlotWidget):
    """Task spans per lane (main lane first), coloured by the core each task ended on.

    Finished spans are a :class:`SpanLayer`, which takes only the spans that are new since
    the last frame. Running tasks are drawn hollow up to "now", updated at 10 Hz; a task whose
    worker died under it is red up to the death. The time axis grows in steps so it stays still
    between them, and the lane axis, range and red spans change only when the lanes do.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("timelinePlot")
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Timeline — tasks per process (colour = core)", bottom="run time (s)")
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.invertY(True)
        self.running = Bars(
            x0=[],
            y=[],
            width=[],
            height=SPAN_HEIGHT,
            pen=pg.mkPen(theme.FOREGROUND, width=1),
            brush=pg.mkBrush(255, 255, 255, 40),
        )
        self.plot.addItem(self.running)
        # Tasks whose worker died under them: from their start to the death, in red.
        self.lost = Bars(
            x0=[], y=[], width=[], height=SPAN_HEIGHT, pen=None, brush=pg.mkBrush(theme.BAD)
        )
        self.plot.addItem(self.lost)
        self.spans = SpanLayer(SPAN_HEIGHT)
        self.plot.addItem(self.spans)
        self._lanes_drawn: tuple | None = None  # lane labels the axis and range were set for
        self._lost_drawn: tuple | None = None
        self._phase_lines: list[pg.InfiniteLine] = []
        self._drawn_revision = -1
        self._drawn_spans = -1
        self._x = SteppedRange(2.0)
        self._clock = Throttle()
        self.plot.setXRange(0, self._x.value, padding=0)

    def reset(self) -> None:
        """Clear for a new run."""
        self.spans.clear()
        self.running.setOpts(x0=[], y=[], width=[])
        self.lost.setOpts(x0=[], y=[], width=[])
        for line in self._phase_lines:
            self.plot.removeItem(line)
        self._phase_lines.clear()
        self._drawn_spans = -1
        self._drawn_revision = -1
        self._lanes_drawn = None
        self._lost_drawn = None
        self._x.reset()
        self._clock.reset()
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.getAxis("left").setTicks([[]])

    def span_count(self) -> int:
        """How many finished spans are drawn (for tests and the readout)."""
        return len(self.spans)

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw finished spans (when they changed), running tasks up to now, phase lines."""
        t0 = state.t0_ns
        n_spans = state.span_total  # not len(): the history is trimmed to a fixed size
        if n_spans != self._drawn_spans or state.revision != self._drawn_revision:
            self._drawn_revision = state.revision
            if n_spans != self._drawn_spans:
                self._draw_spans(state)
            labels = tuple(lane.label for lane in state.lanes)
            if labels != self._lanes_drawn:  # new ticks or range repaint the whole axis
                self._lanes_drawn = labels
                self.plot.getAxis("left").setTicks([sparse_ticks(list(labels))])
                self.plot.setYRange(-0.6, max(len(labels), 1) - 0.4, padding=0)
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
            self.running.setOpts(
                x0=starts_s, y=rows, width=np.maximum((ends - t0) / 1e9 - starts_s, 0.0)
            )
        else:
            self.running.setOpts(x0=[], y=[], width=[])
        if self._x.fit(state.elapsed_s(now_ns), headroom=1.02):
            self.plot.setXRange(0, self._x.value, padding=0)

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

    def _draw_phases(self, state: RunState) -> None:
        if len(self._phase_lines) == len(state.phases):
            return
        for i in range(len(self._phase_lines), len(state.phases)):
            t, name = state.phases[i]
            # A phase that began right after the previous one would print its name over the
            # previous name: put it a line lower.
            (x0, x1), _ = self.plot.viewRange()
            gap_s = (t - state.phases[i - 1][0]) / 1e9 if i > 0 else float("inf")
            close = gap_s < PHASE_LABEL_GAP * (x1 - x0)
            crowded = close and self._phase_lines[i - 1].label.orthoPos < 0.05
            line = pg.InfiniteLine(
                pos=(t - state.t0_ns) / 1e9,
                angle=90,
                pen=pg.mkPen(theme.MUTED, width=1, style=Qt.PenStyle.DashLine),
                label=name,
                labelOpts={"position": 0.10 if crowded else 0.04, "color": theme.MUTED},
            )
            self.plot.addItem(line)
            self._phase_lines.append(line)
