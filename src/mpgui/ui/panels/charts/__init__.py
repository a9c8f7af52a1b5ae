"""Scenario charts: the fourth panel, specific to what each scenario demonstrates.

A scenario names its chart (``Scenario.chart``); :func:`make_chart` builds it. Every chart is a
``GraphicsLayoutWidget`` named ``scenarioPlot`` with ``reset()``, ``redraw(state, now_ns)``,
``run_finished(result)`` and ``readout(metrics)``. A chart may remember earlier runs of the
session (pool-map plots every run's speedup against the ideal line).
"""

from __future__ import annotations

from .base import MetricsChart, ScenarioChart
from .counter_race import CounterRaceChart
from .manager_list import ManagerListChart
from .pool_map import PoolMapChart
from .start_methods import StartMethodsChart
from .worker_failures import WorkerFailuresChart

_CHARTS: dict[str, type[ScenarioChart]] = {
    "pool-map": PoolMapChart,
    "counter-race": CounterRaceChart,
    "manager-list": ManagerListChart,
    "start-methods": StartMethodsChart,
    "worker-failures": WorkerFailuresChart,
    "metrics": MetricsChart,
}

__all__ = ["ScenarioChart", "make_chart"]


def make_chart(chart_id: str) -> ScenarioChart:
    """The chart a scenario asks for by id (the metrics chart if there is no such chart)."""
    return _CHARTS.get(chart_id, MetricsChart)()
