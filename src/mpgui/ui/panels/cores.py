"""The Cores panel: each CPU core's load now (htop-like bars) and over the last 30 s."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPen, QTransform

from mpgui.core.model.run_state import RunState
from mpgui.ui import theme

from .base import Bars, GrowingLayer, PointLabels, SteppedRange, lane_name, style_plot

#: Seconds of history on the right-hand plot.
HISTORY_S = 30.0
#: Once the history is full it scrolls in jumps of this many seconds (a still axis between).
SCROLL_STEP_S = 5.0


class LoadHistory(GrowingLayer):
    """Every core's load over run time: one line per core, in the core's colour.

    Telemetry adds one sample (a load per core) every 100 ms. As a :class:`GrowingLayer`, a
    paint draws only the newest segment of each line, not 16 whole lines (and pyqtgraph's
    per-curve bookkeeping for each).
    """

    def __init__(self) -> None:
        super().__init__()
        self._t = np.empty(0)  # seconds since the run began
        self._loads = np.empty((0, 0))  # one row per sample, one column per core
        self._pens: list[QPen] = []

    def __len__(self) -> int:
        return len(self._t)

    def clear(self) -> None:
        """Remove every sample."""
        self.keep_from(math.inf)

    def append(self, t: np.ndarray, loads: np.ndarray) -> None:
        """Add samples: times `t` (s) and `loads`, a row of per-core percentages per sample."""
        if not len(t):
            return
        if self._loads.shape[1] != loads.shape[1]:  # another machine's run: start over
            self.clear()
            self._loads = np.empty((0, loads.shape[1]))
        self._t = np.concatenate([self._t, t])
        self._loads = np.concatenate([self._loads, loads])
        # The first new segment starts at the sample before.
        self._grown(self._extent(max(len(self) - len(t) - 1, 0), len(self)))

    def keep_from(self, t_s: float) -> None:
        """Drop the samples before `t_s` (scrolled out of view)."""
        cut = int(np.searchsorted(self._t, t_s))
        if cut:
            self._t, self._loads = self._t[cut:], self._loads[cut:]
            self._restart(self._extent(0, len(self)))

    def _extent(self, lo: int, hi: int) -> QRectF:
        if hi <= lo:
            return QRectF()
        x0, x1 = float(self._t[lo]), float(self._t[hi - 1])
        y0, y1 = float(self._loads[lo:hi].min()), float(self._loads[lo:hi].max())
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    def _draw(self, painter: QPainter, t: QTransform, lo: int, hi: int, width: int) -> None:
        lo = max(lo - 1, 0)  # a new sample's segment starts at the one before it
        if hi - lo < 2:
            return
        xs = self._t[lo:hi] * t.m11() + t.dx()
        ys = self._loads[lo:hi] * t.m22() + t.dy()
        while len(self._pens) < ys.shape[1]:
            self._pens.append(QPen(QColor(theme.core_color(len(self._pens))), 1))
        for core in range(ys.shape[1]):
            painter.setPen(self._pens[core])
            painter.drawPolyline(pg.functions.arrayToQPolygonF(xs, ys[:, core]))


class CoresPanel(pg.GraphicsLayoutWidget):
    """Per-core load bars, labelled with the pids sitting on each core, and a load history.

    Telemetry arrives at 10 Hz, so the panel redraws only when a new sample has arrived.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("coresPlot")
        self.now_plot = self.addPlot(row=0, col=0)
        style_plot(self.now_plot, "Cores — load now", left="%", short="Cores")
        self.now_plot.setMouseEnabled(x=False, y=False)
        self.now_plot.setYRange(0, 100, padding=0.02)
        self.bars = Bars(x=[], height=[], width=0.75, pen=None)
        self.now_plot.addItem(self.bars)
        # Each core's load and who sits on it, at the top of its bar.
        self.labels = PointLabels(anchor=(0.5, 0.0), color=theme.FOREGROUND)
        self.now_plot.addItem(self.labels)
        self.history_plot = self.addPlot(row=0, col=1)
        style_plot(
            self.history_plot,
            "Cores — last 30 s",
            left="%",
            bottom="run time (s)",
            short="Last 30 s",
        )
        self.history_plot.setMouseEnabled(x=False, y=False)
        self.history_plot.setYRange(0, 100, padding=0.02)
        self.ci.layout.setColumnStretchFactor(0, 2)
        self.ci.layout.setColumnStretchFactor(1, 3)
        self.history = LoadHistory()
        self.history_plot.addItem(self.history)
        self._history_t = -1  # the newest sample in the history (ns)
        self._cores = 0  # cores the bars and labels are built for
        self._x = SteppedRange(5.0)
        self._drawn_sample: tuple[int, bool] | None = None
        self._drawn_window: tuple[float, float] | None = None

    def reset(self) -> None:
        """Clear for a new run."""
        self.bars.setOpts(height=[0] * self._cores)
        self.history.clear()
        self._history_t = -1
        self.labels.set_labels([(i, 100) for i in range(self._cores)], [""] * self._cores)
        self._x.reset()
        self._drawn_sample = None
        self._drawn_window = None

    def _ensure_cores(self, n: int) -> None:
        # The core count is fixed for the machine; build the items once.
        if self._cores:
            return
        self._cores = n
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
        self.labels.set_labels(
            [(i, 100) for i in range(n)],
            [f"{latest[i]:.0f}%\n" + "\n".join(on_core[i][:4]) for i in range(n)],
        )

        self._add_history(state)
        lo, hi = self._window((sample - state.t0_ns) / 1e9)
        if (lo, hi) != self._drawn_window:
            self._drawn_window = (lo, hi)
            self.history.keep_from(lo)
            self.history_plot.setXRange(lo, hi, padding=0)

    def _add_history(self, state: RunState) -> None:
        """Hand the history the samples that are new since the last frame."""
        times: list[int] = []
        loads: list[tuple[float, ...]] = []
        for t, sample in zip(reversed(state.cpu_t), reversed(state.cpu_loads), strict=True):
            if t <= self._history_t:
                break
            times.append(t)
            loads.append(sample)
        if times:
            self._history_t = times[0]
            self.history.append(
                (np.array(times[::-1], dtype=np.int64) - state.t0_ns) / 1e9,
                np.array(loads[::-1], dtype=float),
            )

    def _window(self, t_s: float) -> tuple[float, float]:
        """The history's x range for a sample at `t_s`: grows to 30 s, then scrolls in steps."""
        if t_s <= HISTORY_S:
            self._x.fit(min(t_s, HISTORY_S))
            return 0.0, min(self._x.value, HISTORY_S)
        hi = math.ceil(t_s / SCROLL_STEP_S) * SCROLL_STEP_S
        return hi - HISTORY_S, hi
