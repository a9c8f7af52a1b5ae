"""The base of scenario charts, the fallback chart, and :func:`make_chart`, which finds a
scenario's own chart (``mpgui/scenarios/<name>/chart.py``, its ``CHART``).

Every chart is a ``GraphicsLayoutWidget`` named ``scenarioPlot`` with ``reset()``,
``redraw(state, now_ns)``, ``run_finished(result)`` and ``readout(metrics)``. A chart may
remember earlier runs of the session (pool-map plots every run's speedup against the ideal
line).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg

from mpgui.core.model.run_state import RunState
from mpgui.ui import theme
from mpgui.ui.panels.base import style_plot

if TYPE_CHECKING:
    from mpgui.core.scenario import Scenario


def series_xy(state: RunState, name: str, t0_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Live metric series `name` as (seconds since `t0_ns`, values), sorted by time.

    Workers' batches arrive in any order, so samples are sorted before a line joins them.
    """
    series = state.series.get(name)
    if not series:
        return np.empty(0), np.empty(0)
    data = np.array(series, dtype=float)
    data = data[np.argsort(data[:, 0], kind="stable")]
    return (data[:, 0] - t0_ns) / 1e9, data[:, 1]


def phase_start(state: RunState, name: str) -> int | None:
    """When phase `name` began (ns), or None if it has not."""
    for t, phase in state.phases:
        if phase == name:
            return t
    return None


def fmt_value(value: Any) -> str:
    """A metric value as short text: 4 significant digits for floats."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class ScenarioChart(pg.GraphicsLayoutWidget):
    """Base of scenario charts: a graphics layout that draws a run's state.

    Subclasses override :meth:`redraw` (called on every frame: skip work when nothing
    changed) and :meth:`readout` (the finished run's headline figures, as HTML snippets).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("scenarioPlot")

    def reset(self) -> None:
        """Clear for a new run (keeping what the chart remembers of earlier runs)."""

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw `state`."""

    def run_finished(self, result: dict[str, Any]) -> None:
        """A run ended with `result` (ok or not)."""

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        """The headline figures of a finished run (HTML), shown above the panels."""
        return [f"{k} {fmt_value(v)}" for k, v in metrics.items() if v is not None]


class MetricsChart(ScenarioChart):
    """Fallback chart: every live metric series (``probe.metric``) as a line over run time."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot = self.addPlot()
        style_plot(self.plot, "Scenario metrics", bottom="run time (s)")
        self.plot.addLegend(offset=(10, 10))
        self._curves: dict[str, pg.PlotDataItem] = {}

    def reset(self) -> None:
        for curve in self._curves.values():
            curve.setData([], [])

    def redraw(self, state: RunState, now_ns: int) -> None:
        for i, (name, series) in enumerate(state.series.items()):
            curve = self._curves.get(name)
            if curve is None:
                pen = pg.mkPen(theme.core_color(i), width=1)
                curve = self._curves[name] = self.plot.plot(pen=pen, name=name)
            data = np.array(series, dtype=float)
            curve.setData((data[:, 0] - state.t0_ns) / 1e9, data[:, 1])
        if state.series:
            self.plot.enableAutoRange()


def make_chart(scenario: Scenario) -> ScenarioChart:
    """A new chart for `scenario`: its folder's ``chart.CHART``, or the metrics chart if it has
    no ``chart.py``."""
    name = f"{scenario.package}.chart"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the chart exists but imports something missing: say so, don't hide it
        return MetricsChart()
    return module.CHART()
