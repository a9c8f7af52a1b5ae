"""The manager-list chart: the Manager list filling, stacked by worker; the plain list at zero."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.manager_list.model import (
    APPENDS_PER_S,
    BY_WORKER_PREFIX,
    EXPECTED,
    MANAGER,
    MANAGER_LEN,
    PHASES,
    PLAIN_LEN_IN_PARENT,
    QUEUE,
    QUEUE_ITEMS_PER_S,
    QUEUE_SPEEDUP,
    SERIES_MANAGER_LEN,
    SERIES_PLAIN_LEN,
    SERIES_QUEUE_GATHERED,
    by_worker_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import LabelledBars, SteppedRange, style_plot
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold, phase_start, series_xy


class ManagerListChart(ScenarioChart):
    """Left: list length over time — the Manager list stacked by which worker appended, the
    length the parent reads through its proxy, the plain list's flat line at zero, and the
    same items gathered through a Queue. Below: items per second, proxy vs Queue.
    """

    READS = Reads(
        series=(SERIES_MANAGER_LEN, SERIES_PLAIN_LEN, SERIES_QUEUE_GATHERED),
        series_prefixes=(BY_WORKER_PREFIX,),
        phases=PHASES,
        metrics=(
            APPENDS_PER_S,
            QUEUE_ITEMS_PER_S,
            MANAGER_LEN,
            EXPECTED,
            PLAIN_LEN_IN_PARENT,
            QUEUE_SPEEDUP,
        ),
    )

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot(row=0, col=0)
        style_plot(self.plot, "List length, read by the parent", left="items", bottom="seconds")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.addLegend(offset=(10, 10), labelTextColor=theme.FOREGROUND)
        self.layers: list[pg.PlotDataItem] = []
        self.parent_len = self.plot.plot(
            pen=pg.mkPen(theme.FOREGROUND, width=2), name="Manager list"
        )
        self.queue_len = self.plot.plot(
            pen=pg.mkPen(theme.ACCENT, width=2, style=Qt.PenStyle.DashLine),
            name="Queue (phase 2)",
        )
        self.plain = self.plot.plot(pen=pg.mkPen(theme.BAD, width=4), name="plain list")
        self.plain.setZValue(10)  # over the Manager list's bands
        # Pinned to the plot's bottom right, just above the plain list's line at zero.
        self.plain_label = pg.LabelItem("", color=theme.BAD, size="11pt")
        self.plain_label.setParentItem(self.plot.getViewBox())
        self.plain_label.anchor(itemPos=(1, 1), parentPos=(1, 1), offset=(-8, -12))

        # Below, thin: items per second through each route, as horizontal bars.
        self.rates = self.addPlot(row=1, col=0)
        style_plot(self.rates, "", bottom="items per second")
        self.rate_bars = LabelledBars(
            self.rates,
            ["Manager", "Queue"],
            [theme.GOOD, theme.ACCENT],
            fmt=lambda v: f"{v:,.0f}/s",
            initial=1000.0,
        )
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        self._x = SteppedRange(0.5)
        self._y = SteppedRange(100.0, factor=2.0)
        self.reset()

    def clear_run(self) -> None:
        for layer in self.layers:
            layer.setData([], [])
        for curve in (self.parent_len, self.queue_len, self.plain):
            curve.setData([], [])
        self.plain_label.setText("")
        self.rate_bars.reset()
        for rng in (self._x, self._y):
            rng.reset()
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.setYRange(0, self._y.value, padding=0)

    def _layer(self, k: int) -> pg.PlotDataItem:
        """The filled area of worker `k` (created on first use)."""
        while len(self.layers) <= k:
            i = len(self.layers)
            # One hue (the Manager list's green), a lighter and darker band in turn: the bands
            # tell workers apart without claiming the core colours the other panels use.
            band = pg.mkColor(theme.GOOD).darker(170 + 60 * (i % 2) + 15 * (i % 3))
            layer = pg.PlotDataItem(
                pen=pg.mkPen(band.lighter(150), width=1),
                fillLevel=0,
                fillBrush=pg.mkBrush(band),
                name="by worker" if i == 0 else None,
            )
            # Lower workers' layers are drawn over higher ones: each layer is the sum of the
            # workers up to it, so drawing from the top down leaves every band visible.
            layer.setZValue(-10 - i)
            self.plot.addItem(layer)
            self.layers.append(layer)
        return self.layers[k]

    def draw(self, state: RunState, now_ns: int) -> None:
        t0 = phase_start(state, MANAGER)
        if t0 is None:
            return
        # Each worker's count as a step function on one shared time grid, then stacked.
        workers = sorted(
            int(n[len(BY_WORKER_PREFIX) :]) for n in state.series if n.startswith(BY_WORKER_PREFIX)
        )
        per_worker = [series_xy(state, by_worker_series(w), t0) for w in workers]
        if per_worker:
            grid = np.unique(np.concatenate([np.zeros(1)] + [x for x, _ in per_worker]))
            total = np.zeros_like(grid)
            for k, (x, y) in enumerate(per_worker):
                idx = np.searchsorted(x, grid, side="right") - 1
                total = total + np.where(idx >= 0, y[np.maximum(idx, 0)], 0.0)
                self._layer(k).setData(grid, total)
        xm, ym = series_xy(state, SERIES_MANAGER_LEN, t0)
        self.parent_len.setData(xm, ym)
        xp, yp = series_xy(state, SERIES_PLAIN_LEN, t0)
        self.plain.setData(xp, yp)
        if len(yp):
            self.plain_label.setText(f"plain list in the parent: {int(yp[-1])} items")
        tq = phase_start(state, QUEUE)
        if tq is not None:
            xq, yq = series_xy(state, SERIES_QUEUE_GATHERED, tq)
            self.queue_len.setData(xq, yq)
        xmax = max([0.0] + [float(x.max()) for x, _ in per_worker if len(x)] + list(xm[-1:]))
        ymax = max([0.0] + list(ym[-1:]) + [float(sum(y[-1] for _, y in per_worker if len(y)))])
        if self._x.fit(xmax, headroom=1.1):
            self.plot.setXRange(0, self._x.value, padding=0)
        if self._y.fit(ymax, headroom=1.15):
            self.plot.setYRange(0, self._y.value, padding=0)
        self._draw_rates(state)

    def _draw_rates(self, state: RunState) -> None:
        """Items per second through each route: final metrics, or the phase so far."""
        m = state.metrics
        rates = [m.get(APPENDS_PER_S), m.get(QUEUE_ITEMS_PER_S)]
        if not m:
            routes = ((MANAGER, SERIES_MANAGER_LEN), (QUEUE, SERIES_QUEUE_GATHERED))
            for i, (phase, name) in enumerate(routes):
                t0, series = phase_start(state, phase), state.series.get(name)
                # The conductor alone samples these, so its last sample is the latest.
                if t0 is not None and series and series[-1][0] > t0:
                    t, value = series[-1]
                    rates[i] = value / ((t - t0) / 1e9)
        self.rate_bars.set(rates)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        parts = [
            f"Manager list {bold(f'{metrics[MANAGER_LEN]:,}', theme.GOOD)} / "
            f"{metrics[EXPECTED]:,} items",
            f"plain list in the parent {bold(str(metrics[PLAIN_LEN_IN_PARENT]), theme.BAD)}",
            f"proxy {metrics[APPENDS_PER_S]:,.0f} appends/s",
        ]
        if metrics.get(QUEUE_SPEEDUP):
            parts.append(f"Queue {metrics[QUEUE_SPEEDUP]:.1f}× faster")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = ManagerListChart
