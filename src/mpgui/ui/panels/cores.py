"""The Cores panel: each CPU core's load now (htop-like bars) and over the last 30 s."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from mpgui.core.run_state import RunState
from mpgui.ui import theme

from .base import SteppedRange, lane_name, style_plot

#: Seconds of history on the right-hand plot.
HISTORY_S = 30.0
#: Once the history is full it scrolls in jumps of this many seconds (a still axis between).
SCROLL_STEP_S = 5.0


class CoresPanel(pg.GraphicsLayoutWidget):
    """Per-core load bars, labelled with the pids sitting on each core, and a load history.

    Telemetry arrives at 10 Hz, so the panel redraws only when a new sample has arrived.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("coresPlot")
        self.now_plot = self.addPlot(row=0, col=0)
        style_plot(self.now_plot, "Cores — load now", left="%")
        self.now_plot.setMouseEnabled(x=False, y=False)
        self.now_plot.setYRange(0, 100, padding=0.02)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.75, pen=None)
        self.now_plot.addItem(self.bars)
        self.history_plot = self.addPlot(row=0, col=1)
        style_plot(self.history_plot, "Cores — last 30 s", left="%", bottom="run time (s)")
        self.history_plot.setMouseEnabled(x=False, y=False)
        self.history_plot.setYRange(0, 100, padding=0.02)
        self.ci.layout.setColumnStretchFactor(0, 2)
        self.ci.layout.setColumnStretchFactor(1, 3)
        self._curves: list[pg.PlotDataItem] = []
        self._labels: list[pg.TextItem] = []
        self._x = SteppedRange(5.0)
        self._drawn_sample: tuple[int, bool] | None = None
        self._drawn_window: tuple[float, float] | None = None

    def reset(self) -> None:
        """Clear for a new run."""
        self.bars.setOpts(height=[0] * len(self._labels))
        for curve in self._curves:
            curve.setData([], [])
        for label in self._labels:
            label.setText("")
        self._x.reset()
        self._drawn_sample = None
        self._drawn_window = None

    def _ensure_cores(self, n: int) -> None:
        # The core count is fixed for the machine; build the items once.
        if self._curves:
            return
        self._curves = [
            self.history_plot.plot(pen=pg.mkPen(theme.core_color(i), width=1)) for i in range(n)
        ]
        for i in range(n):
            label = pg.TextItem(anchor=(0.5, 0.0), color=theme.FOREGROUND)
            label.setPos(i, 100)
            self.now_plot.addItem(label)
            self._labels.append(label)
        self.now_plot.getAxis("bottom").setTicks([[(i, f"cpu{i}") for i in range(n)]])
        self.now_plot.setXRange(-0.6, n - 0.4, padding=0)
        self.bars.setOpts(
            x=list(range(n)),
            height=[0] * n,
            brushes=[pg.mkBrush(theme.core_color(i)) for i in range(n)],
        )

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw the latest CPU sample, who sits where, and the history window."""
        if not state.cpu_loads:
            return
        sample = state.cpu_t[-1]
        if (sample, state.finished) == self._drawn_sample:
            return
        self._drawn_sample = (sample, state.finished)
        latest = state.cpu_loads[-1]
        n = len(latest)
        self._ensure_cores(n)
        self.bars.setOpts(height=list(latest))
        on_core: list[list[str]] = [[] for _ in range(n)]
        if not state.finished:  # once the run is over, nobody sits on a core any more
            for lane in state.lanes:
                # The conductor mostly waits for its pool; name it only while it works.
                if lane.role == "main" and lane.open_task is None:
                    continue
                if 0 <= lane.current_core < n:
                    on_core[lane.current_core].append(lane_name(lane))
        for i, label in enumerate(self._labels[:n]):
            label.setText(f"{latest[i]:.0f}%\n" + "\n".join(on_core[i][:4]))

        t = (np.fromiter(state.cpu_t, dtype=np.int64) - state.t0_ns) / 1e9
        loads = np.array(state.cpu_loads, dtype=float)
        lo, hi = self._window((sample - state.t0_ns) / 1e9)
        keep = t >= lo
        for i, curve in enumerate(self._curves[:n]):
            curve.setData(t[keep], loads[keep, i])
        if (lo, hi) != self._drawn_window:
            self._drawn_window = (lo, hi)
            self.history_plot.setXRange(lo, hi, padding=0)

    def _window(self, t_s: float) -> tuple[float, float]:
        """The history's x range for a sample at `t_s`: grows to 30 s, then scrolls in steps."""
        if t_s <= HISTORY_S:
            self._x.fit(min(t_s, HISTORY_S))
            return 0.0, min(self._x.value, HISTORY_S)
        hi = math.ceil(t_s / SCROLL_STEP_S) * SCROLL_STEP_S
        return hi - HISTORY_S, hi
