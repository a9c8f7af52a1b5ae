"""The pool-map chart: serial vs parallel wall time, and speedup against the ideal line."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.pool_map.model import (
    EFFICIENCY,
    PARALLEL,
    PARALLEL_S,
    PHASES,
    SERIAL,
    SERIAL_S,
    SPEEDUP,
    TASKS_PER_S,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import LabelledBars, style_plot, text_item
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold


class PoolMapChart(ScenarioChart):
    """Serial vs parallel wall time (growing live), and speedup against the ideal line.

    The speedup plot keeps every finished run of the session, so running with 1, 2, 4, 8
    workers draws the real scaling curve next to the ideal one.
    """

    # The wall-time bars grow with the clock while a phase runs: 10 times a second will do.
    READS = Reads(
        phases=PHASES,
        metrics=(SERIAL_S, PARALLEL_S, SPEEDUP, EFFICIENCY, TASKS_PER_S),
        clock_s=0.1,
    )

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.times = self.addPlot(row=0, col=0)
        style_plot(self.times, "Wall time", bottom="seconds")
        self.time_bars = LabelledBars(
            self.times,
            ["serial", "parallel"],
            [theme.MUTED, theme.ACCENT],
            fmt=lambda v: f"{v:.2f} s",
            initial=1.0,
        )

        self.speed = self.addPlot(row=0, col=1)
        style_plot(self.speed, "Speedup vs workers", left="speedup (×)", bottom="workers")
        self.speed.setMouseEnabled(x=False, y=False)
        self.ideal = self.speed.plot(
            pen=pg.mkPen(theme.IDEAL, width=1, style=Qt.PenStyle.DashLine), name="ideal"
        )
        self.history = pg.ScatterPlotItem(
            size=9, pen=None, brush=pg.mkBrush(theme.MUTED), symbol="o"
        )
        self.current = pg.ScatterPlotItem(
            size=14, pen=pg.mkPen(theme.FOREGROUND, width=1), brush=pg.mkBrush(theme.GOOD)
        )
        self.speed.addItem(self.history)
        self.speed.addItem(self.current)
        self.speed_label = text_item(anchor=(0, 1), color=theme.GOOD)
        self.speed.addItem(self.speed_label)
        self.ideal_label = text_item("ideal", anchor=(1, 1), color=theme.IDEAL)
        self.speed.addItem(self.ideal_label)
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 2)
        self._runs: list[tuple[int, float]] = []  # (workers, speedup) of finished runs
        self._workers = 2
        self._draw_speedup(None)

    def clear_run(self) -> None:
        self.time_bars.reset()
        self.current.setData([], [])
        self.current.setVisible(False)
        self.speed_label.setText("")

    def draw(self, state: RunState, now_ns: int) -> None:
        self._workers = int(state.spec.params.get("workers", self._workers))
        serial, parallel = self._times(state, now_ns)
        self.time_bars.set([serial, parallel])
        if state.finished:
            self._draw_speedup(state.metrics.get(SPEEDUP))

    @staticmethod
    def _times(state: RunState, now_ns: int) -> tuple[float | None, float | None]:
        """Serial and parallel seconds: final metrics when known, else phase time so far."""
        if state.metrics:
            return state.metrics.get(SERIAL_S), state.metrics.get(PARALLEL_S)
        out: dict[str, float] = {}
        end = state.t_end_ns or now_ns
        for i, (t, name) in enumerate(state.phases):
            t_next = state.phases[i + 1][0] if i + 1 < len(state.phases) else end
            out[name] = (t_next - t) / 1e9
        return out.get(SERIAL), out.get(PARALLEL)

    def run_finished(self, result: dict[str, Any]) -> None:
        speedup = result["metrics"].get(SPEEDUP) if result["ok"] else None
        if speedup is not None:
            self._runs.append((result["params"]["workers"], speedup))
        self._draw_speedup(speedup)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        parts = []
        if metrics.get(SPEEDUP) is not None:
            parts.append(f"speedup {bold(f'{metrics[SPEEDUP]:.2f}×', theme.GOOD)}")
        if metrics.get(EFFICIENCY) is not None:
            parts.append(f"efficiency {100 * metrics[EFFICIENCY]:.0f} %")
        if metrics.get(TASKS_PER_S) is not None:
            parts.append(f"{metrics[TASKS_PER_S]:.1f} tasks/s")
        return parts

    def _draw_speedup(self, speedup: float | None) -> None:
        top = max([self._workers, 2] + [w for w, _ in self._runs])
        xs = np.arange(1, top + 1)
        self.ideal.setData(xs, xs)
        self.ideal_label.setPos(top, top)
        # An empty scatter still costs a paint every frame: shown only with points in it.
        self.history.setVisible(bool(self._runs))
        self.current.setVisible(speedup is not None)
        if self._runs:
            w, s = zip(*self._runs, strict=True)
            self.history.setData(list(w), list(s))
        if speedup is not None:
            self.current.setData([self._workers], [speedup])
            self.speed_label.setText(f" {speedup:.2f}×")
            self.speed_label.setPos(self._workers, speedup)
        ymax = max([top] + [s for _, s in self._runs] + [speedup or 0]) * 1.15
        self.speed.setXRange(0.5, top + 0.5, padding=0)
        self.speed.setYRange(0, ymax, padding=0)


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = PoolMapChart
