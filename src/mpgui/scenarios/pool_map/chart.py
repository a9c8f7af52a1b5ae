"""The pool-map chart: serial vs parallel wall time, and speedup against what is possible."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.pool_map.model import (
    CORES,
    EFFICIENCY,
    PARALLEL,
    PARALLEL_S,
    PHASES,
    SERIAL,
    SERIAL_FRACTION,
    SERIAL_S,
    SPEEDUP,
    TASKS_PER_S,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import LabelledBars, style_plot, text_item
from mpgui.ui.panels.scenario_chart import (
    CAPTION_PT,
    NOTE_PT,
    Reads,
    ScenarioChart,
    bold,
    lines,
    phase_start,
    phase_window,
    speedup_text,
    styled,
)

#: Load on the other cores before the pool started that makes the speedup untrustworthy:
#: their mean (%), or any one of them (%), averaged over the samples taken then.
BUSY_MEAN, BUSY_PEAK = 25.0, 50.0
#: What a finished run is remembered as in the session (see :meth:`PoolMapChart.run_finished`).
RUNS = "runs"


def ideal(workers: np.ndarray, cores: int) -> np.ndarray:
    """The ideal speedup of `workers` processes on `cores` CPUs: ``min(workers, cores)``."""
    return np.minimum(workers, cores).astype(float)


def amdahl(workers: np.ndarray, cores: int, fraction: float) -> np.ndarray:
    """Amdahl's ceiling ``1 / (f + (1 - f) / n)`` for serial fraction `fraction`, where `n` is
    the processes that can run at once (``min(workers, cores)``)."""
    n = ideal(workers, cores)
    return 1.0 / (fraction + (1.0 - fraction) / n)


def busy_before(state: RunState, start_ns: int | None) -> tuple[float, float] | None:
    """How busy the other cores were before the pool started: (mean %, busiest core %).

    The CPU samples taken before `start_ns` (the parallel phase) cover the run's start and
    its serial baseline, when the run itself keeps one core busy: each sample's busiest core
    is taken to be the run's and left out, and the rest are someone else's load (another
    program, or the window drawing). Averaged over those samples. None when there is no
    sample from before (no baseline: then there is no speedup figure either) or one core.
    """
    if start_ns is None:
        return None
    others = [
        sorted(loads)[:-1]
        for t, loads in zip(state.cpu_t, state.cpu_loads, strict=True)
        if t < start_ns and len(loads) > 1
    ]
    if not others:
        return None
    mean = float(np.mean([np.mean(rest) for rest in others]))
    peak = float(np.mean([max(rest) for rest in others]))
    return mean, peak


class PoolMapChart(ScenarioChart):
    """Serial vs parallel wall time (growing live), and speedup against what is possible.

    The speedup plot has the ideal line, ``min(workers, cores)`` (dashed), and Amdahl's
    ceiling for the serial fraction the run measured (dotted: see the model's
    ``serial_fraction`` — the time ``Pool.map`` spent with no task computing, against the
    tasks' CPU time). The speedup is coloured and worded by what it is (below 1× a slowdown).
    If other load kept the cores busy before the pool started, a warning says the figure
    may mislead. Every finished run of the session stays on the plot (in ``session``), so
    running with 1, 2, 4, 8 workers draws the real scaling curve next to the ideal one.
    """

    # The wall-time bars grow with the clock while a phase runs: 10 times a second will do.
    READS = Reads(
        phases=PHASES,
        metrics=(SERIAL_S, PARALLEL_S, SPEEDUP, EFFICIENCY, TASKS_PER_S, CORES, SERIAL_FRACTION),
        clock_s=0.1,
    )
    MEANINGS: ClassVar[tuple[str, ...]] = ("good", "bad", "ideal", "limit", "muted")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        t = theme.current()
        self.times = self.addPlot(row=0, col=0)
        style_plot(self.times, "Wall time", bottom="seconds")
        self.time_bars = LabelledBars(
            self.times, ["serial", "parallel"], [t.muted, t.good], lambda v: f"{v:.2f} s", 1.0
        )

        self.speed = self.addPlot(row=0, col=1)
        style_plot(self.speed, "Speedup", left="speedup (×)", bottom="workers")
        self.speed.setMouseEnabled(x=False, y=False)
        self.ideal = self.speed.plot(pen=theme.pen(t.ideal, 1.5, Qt.PenStyle.DashLine))
        self.ceiling = self.speed.plot(pen=theme.pen(t.limit, 1.5, Qt.PenStyle.DotLine))
        self.history = pg.ScatterPlotItem(
            size=theme.px(8), pen=None, brush=pg.mkBrush(t.muted), symbol="s"
        )
        self.current = pg.ScatterPlotItem(size=theme.px(14), pen=theme.pen(t.foreground))
        self.speed.addItem(self.history)
        self.speed.addItem(self.current)
        self.speed_label = text_item(anchor=(0, 1), color=t.good)
        self.speed.addItem(self.speed_label)
        # A key in the top left corner, which the lines (rising from the bottom left) leave
        # free: labels at the lines' ends would run out of a narrow plot.
        self.key = pg.TextItem(anchor=(0, 0))  # not cached: it rewraps as the plot resizes
        self.speed.addItem(self.key)
        # The key wraps to the plot's width: beyond it, the view would cut its lines short.
        self.speed.vb.sigResized.connect(self._wrap_key)
        # The warning gets a row of its own under both plots, only while there is one.
        self.warning = pg.LabelItem("", justify="left", color=t.bad)
        self._warning_shown = False
        # The speedup is the lesson: it gets the wider column.
        self.ci.layout.setColumnStretchFactor(0, 2)
        self.ci.layout.setColumnStretchFactor(1, 3)
        self.session.setdefault(RUNS, [])  # every finished run: {"key", "workers", "speedup"}
        self._workers = 2
        self._cores = os.cpu_count() or 1  # until the run says (its CPU samples, its metrics)
        self._fraction: float | None = None
        self.busy: tuple[float, float] | None = None  # (mean %, peak %) when too busy
        self._draw_speedup(None)

    @property
    def runs(self) -> list[dict[str, Any]]:
        """The session's finished runs, oldest first."""
        return self.session[RUNS]

    def clear_run(self) -> None:
        self.time_bars.reset()
        self.current.setData([], [])
        self.current.setVisible(False)
        self.speed_label.setText("")
        self._fraction = None
        self._show_warning("")

    def draw(self, state: RunState, now_ns: int) -> None:
        self._workers = int(state.spec.params.get("workers", self._workers))
        if state.metrics.get(CORES):
            self._cores = int(state.metrics[CORES])
        elif state.cpu_loads:  # the machine's CPUs, as the run's telemetry sees them
            self._cores = len(state.cpu_loads[-1])
        serial, parallel = self._times(state, now_ns)
        self.time_bars.set([serial, parallel])
        self._check_busy(state)
        if state.finished:
            self._fraction = state.metrics.get(SERIAL_FRACTION)
            self._draw_speedup(state.metrics.get(SPEEDUP))

    def _check_busy(self, state: RunState) -> None:
        """Warn when the other cores were busy before the pool started."""
        seen = busy_before(state, phase_start(state, PARALLEL))
        self.busy = None
        if seen is not None and (seen[0] > BUSY_MEAN or seen[1] > BUSY_PEAK):
            self.busy = seen
        self._show_warning(
            ""
            if self.busy is None
            # Short: it shares a small chart with two plots (presentation mode at 1024×768),
            # and the readout already says what it means for the speedup.
            else f"⚠ Other cores were {self.busy[0]:.0f} % busy before the pool started."
        )

    def _show_warning(self, text: str) -> None:
        """Show `text` in the warning row under the plots ("": no row)."""
        if not text:
            self.busy = None
        if bool(text) != self._warning_shown:
            if text:
                self.addItem(self.warning, row=1, col=0, colspan=2)
            else:
                self.ci.removeItem(self.warning)
            self._warning_shown = bool(text)
        if text != self.warning.text:
            self._wrap_warning()
            self.warning.setText(text, size=f"{theme.pt(CAPTION_PT):g}pt", bold=True)

    def _wrap_warning(self) -> None:
        """Wrap the warning to the view's width: one long line would widen the layout past
        it and push the speedup plot out of sight."""
        left, _, right, _ = self.ci.layout.getContentsMargins()
        self.warning.item.setTextWidth(max(50.0, self.viewport().width() - left - right))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the warning wraps to the new width."""
        super().resizeEvent(event)
        # pyqtgraph resizes the view while it builds it, and again as close() clears it.
        if "warning" in vars(self) and not self.closed and self._warning_shown:
            self._wrap_warning()
            self.warning.setText(self.warning.text)

    def warning_text(self) -> str:
        """The warning under the plots ("" when there is none)."""
        return self.warning.text if self._warning_shown else ""

    @staticmethod
    def _times(state: RunState, now_ns: int) -> tuple[float | None, float | None]:
        """Serial and parallel seconds: final metrics when known, else phase time so far."""
        if state.metrics:
            return state.metrics.get(SERIAL_S), state.metrics.get(PARALLEL_S)
        spans = [phase_window(state, name, now_ns) for name in (SERIAL, PARALLEL)]
        serial, parallel = [None if w is None else (w[1] - w[0]) / 1e9 for w in spans]
        return serial, parallel

    def run_finished(self, result: dict[str, Any]) -> None:
        """Remember a successful run's speedup for the session (once: the window calls this
        again for the same run after a theme or zoom change) and show it."""
        metrics = result["metrics"]
        speedup = metrics.get(SPEEDUP) if result["ok"] else None
        if speedup is not None:
            key = (result["wall_s"], tuple(w["pid"] for w in result["workers"]))
            if all(run["key"] != key for run in self.runs):
                self.runs.append(
                    {"key": key, "workers": result["params"]["workers"], "speedup": speedup}
                )
        if result["ok"]:
            self._fraction = metrics.get(SERIAL_FRACTION)
            self._cores = int(metrics.get(CORES) or self._cores)
        self._draw_speedup(speedup)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        t = theme.current()
        parts = []
        if metrics.get(SPEEDUP) is not None:
            speedup = metrics[SPEEDUP]
            color = t.good if speedup >= 1.0 else t.bad
            parts.append(f"speedup {bold(speedup_text(speedup), color)}")
        if metrics.get(EFFICIENCY) is not None:
            parts.append(f"efficiency {100 * metrics[EFFICIENCY]:.0f} %")
        if metrics.get(TASKS_PER_S) is not None:
            parts.append(f"{metrics[TASKS_PER_S]:.1f} tasks/s")
        if metrics.get(SERIAL_FRACTION) is not None:
            parts.append(f"serial part {100 * metrics[SERIAL_FRACTION]:.1f} %")
        if self.busy is not None:
            parts.append(bold("⚠ the cores were busy before Run: the speedup may mislead", t.bad))
        return parts

    def _draw_speedup(self, speedup: float | None) -> None:
        t = theme.current()
        runs = self.runs
        top = max([self._workers, 2] + [run["workers"] for run in runs])
        xs = np.linspace(1, top, max(2, 8 * top))  # fine enough to show the bend at `cores`
        ideal_ys = ideal(xs, self._cores)
        self.ideal.setData(xs, ideal_ys)
        key = [styled("- - ideal: min(workers, cores)", color=t.ideal)]  # wraps when narrow
        fraction = self._fraction
        self.ceiling.setVisible(fraction is not None)
        if fraction is not None:
            self.ceiling.setData(xs, amdahl(xs, self._cores, fraction))
            key.append(styled(f"··· Amdahl ceiling (serial {100 * fraction:.1f} %)", color=t.limit))
        if runs:
            key.append(styled("■ earlier runs", color=t.muted))
        self.key.setHtml(styled(lines(*key), size=NOTE_PT))
        # An empty scatter still costs a paint every frame: shown only with points in it.
        self.history.setVisible(bool(runs))
        self.current.setVisible(speedup is not None)
        if runs:
            self.history.setData([r["workers"] for r in runs], [r["speedup"] for r in runs])
        if speedup is not None:
            slower = speedup < 1.0
            color = t.bad if slower else t.good
            # The symbol says it too: a triangle pointing down for a slowdown.
            self.current.setData(
                [self._workers], [speedup], symbol="t" if slower else "o", brush=pg.mkBrush(color)
            )
            self.speed_label.setColor(color)
            self.speed_label.setText(f" {speedup_text(speedup)}")
            self.speed_label.setPos(self._workers, speedup)
            self.speed_label.setAnchor((1, 1) if self._workers > top / 2 else (0, 1))
        ymax = max([ideal_ys[-1]] + [r["speedup"] for r in runs] + [speedup or 0]) * 1.25
        self.speed.setXRange(0.5, top + 0.5, padding=0)
        self.speed.setYRange(0, ymax, padding=0)
        self.key.setPos(0.5, ymax)

    def _wrap_key(self, *_args: Any) -> None:
        self.key.setTextWidth(max(40.0, self.speed.vb.width() - theme.px(6)))


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = PoolMapChart
