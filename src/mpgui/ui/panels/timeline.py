"""The Timeline panel: every task as a span on its process's lane; gaps are idle time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.run_state import RunState
from mpgui.ui import theme

from .base import SteppedRange, Throttle, sparse_ticks, style_plot

#: Height of a span within its lane (lanes are 1.0 apart).
SPAN_HEIGHT = 0.72
#: Phase lines closer than this fraction of the visible time get their names staggered.
PHASE_LABEL_GAP = 0.08


class TimelinePanel(pg.PlotWidget):
    """Task spans per lane (main lane first), coloured by the core each task ended on.

    Spans are drawn with one single-colour ``BarGraphItem`` per core, which pyqtgraph paints
    with one vectorised ``drawRects`` call; a 1 px border in the background colour keeps
    back-to-back tasks apart. Running tasks are drawn hollow up to "now", updated at 10 Hz;
    a task whose worker died under it is red up to the death. The time axis grows in steps so
    it stays still between them.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("timelinePlot")
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Timeline — tasks per process (colour = core)", bottom="run time (s)")
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.invertY(True)
        self._by_core: dict[int, pg.BarGraphItem] = {}
        self.running = pg.BarGraphItem(
            x0=[],
            y=[],
            width=[],
            height=SPAN_HEIGHT,
            pen=pg.mkPen(theme.FOREGROUND, width=1),
            brush=pg.mkBrush(255, 255, 255, 40),
        )
        self.plot.addItem(self.running)
        # Tasks whose worker died under them: from their start to the death, in red.
        self.lost = pg.BarGraphItem(
            x0=[], y=[], width=[], height=SPAN_HEIGHT, pen=None, brush=pg.mkBrush(theme.BAD)
        )
        self.plot.addItem(self.lost)
        self._phase_lines: list[pg.InfiniteLine] = []
        self._drawn_revision = -1
        self._drawn_spans = -1
        self._x = SteppedRange(2.0)
        self._clock = Throttle()
        self.plot.setXRange(0, self._x.value, padding=0)

    def reset(self) -> None:
        """Clear for a new run."""
        for item in self._by_core.values():
            item.setOpts(x0=[], y=[], width=[])
        self.running.setOpts(x0=[], y=[], width=[])
        self.lost.setOpts(x0=[], y=[], width=[])
        for line in self._phase_lines:
            self.plot.removeItem(line)
        self._phase_lines.clear()
        self._drawn_spans = -1
        self._drawn_revision = -1
        self._x.reset()
        self._clock.reset()
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.getAxis("left").setTicks([[]])

    def span_count(self) -> int:
        """How many finished spans are drawn (for tests and the readout)."""
        return sum(len(item.opts["x0"]) for item in self._by_core.values())

    def _item_for(self, cpu: int) -> pg.BarGraphItem:
        item = self._by_core.get(cpu)
        if item is None:
            item = pg.BarGraphItem(
                x0=[],
                y=[],
                width=[],
                height=SPAN_HEIGHT,
                pen=pg.mkPen(theme.BACKGROUND, width=1),
                brush=pg.mkBrush(theme.core_color(cpu)),
            )
            self.plot.addItem(item)
            self._by_core[cpu] = item
        return item

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw finished spans (when they changed), running tasks up to now, phase lines."""
        t0 = state.t0_ns
        n_spans = state.span_total  # not len(): the history is trimmed to a fixed size
        if n_spans != self._drawn_spans or state.revision != self._drawn_revision:
            self._drawn_revision = state.revision
            if n_spans != self._drawn_spans:
                self._drawn_spans = n_spans
                self._draw_spans(state)
            ticks = sparse_ticks([lane.label for lane in state.lanes])
            self.plot.getAxis("left").setTicks([ticks])
            self.plot.setYRange(-0.6, max(len(state.lanes), 1) - 0.4, padding=0)
            self._draw_phases(state)
            self._draw_lost(state)

        if not (self._clock.due(now_ns) or state.finished):
            return
        open_lanes = [lane for lane in state.lanes if lane.open_task is not None]
        if open_lanes and not state.finished:
            starts = np.array([(lane.open_since - t0) / 1e9 for lane in open_lanes])
            now_s = (now_ns - t0) / 1e9
            self.running.setOpts(
                x0=starts,
                y=[lane.index for lane in open_lanes],
                width=np.maximum(now_s - starts, 0.0),
            )
        else:
            self.running.setOpts(x0=[], y=[], width=[])
        if self._x.fit(state.elapsed_s(now_ns), headroom=1.02):
            self.plot.setXRange(0, self._x.value, padding=0)

    def _draw_spans(self, state: RunState) -> None:
        lanes = np.array(state.span_lane, dtype=np.int32)
        starts = (np.array(state.span_t0, dtype=np.int64) - state.t0_ns) / 1e9
        ends = (np.array(state.span_t1, dtype=np.int64) - state.t0_ns) / 1e9
        cpus = np.array(state.span_cpu, dtype=np.int32)
        for cpu in np.unique(cpus):
            self._item_for(int(cpu))
        for cpu, item in self._by_core.items():
            mask = cpus == cpu
            item.setOpts(x0=starts[mask], y=lanes[mask], width=ends[mask] - starts[mask])

    def _draw_lost(self, state: RunState) -> None:
        dead = [lane for lane in state.lanes if lane.lost_task is not None]
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
