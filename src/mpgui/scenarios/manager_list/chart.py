"""The manager-list chart: the Manager list filling, stacked by worker; the plain list at zero."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QSizePolicy

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
from mpgui.ui.panels.base import LabelledBars, PointLabels, SteppedRange, style_plot
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    phase_start,
    series_xy,
    styled,
)

#: Text size (pt at 100 %) of the key under the plot.
LEGEND_PT = 9
#: The rates plot's greatest height (px at 100 %): two bars.
RATES_MAX_PX = 70
#: The least height (px at 100 %) of the rates plot's view: two bars stay two bars.
RATES_MIN_VIEW_PX = 24
#: How strongly (0..1) each band is tinted with the Manager list's colour over the
#: background, alternately: adjacent bands differ in lightness, which every kind of colour
#: vision sees (a hue alone would not do; the test checks ΔE between neighbours).
BAND_TINTS = (0.85, 0.4)


def band_color(worker: int) -> QColor:
    """The fill of worker `worker`'s band: the Manager list's colour, a darker or a lighter
    tint in turn, so no two neighbours look alike."""
    t = theme.current()
    return theme.blend(t.background, t.good, BAND_TINTS[worker % len(BAND_TINTS)])


class ManagerListChart(ScenarioChart):
    """Left: list length over time — the Manager list stacked by which worker appended, the
    length the parent reads through its proxy, the plain list's flat line at zero, and the
    same items gathered through a Queue. Below: items per second, proxy vs Queue.

    The key has a row of its own under the plot, so it never covers a line, and it says
    the plain list's length in the parent; each worker's band carries its number.
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
    #: The Manager list (its bands and its rate), the plain list, the Queue.
    MEANINGS = ("good", "bad", "ideal")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot(row=0, col=0)
        style_plot(self.plot, "List length in the parent", left="items", bottom="seconds")
        self.plot.setMouseEnabled(x=False, y=False)
        self.layers: list[pg.PlotDataItem] = []
        self.parent_len = self.plot.plot(pen=theme.pen(theme.FOREGROUND, 2))
        self.queue_len = self.plot.plot(pen=theme.pen(theme.IDEAL, 2, Qt.PenStyle.DashLine))
        self.plain = self.plot.plot(pen=theme.pen(theme.BAD, 4))
        self.plain.setZValue(10)  # over the Manager list's bands
        # The workers' numbers, each at the right end of its band (where it is widest).
        self.band_labels = PointLabels(anchor=(1.0, 0.5), color=theme.FOREGROUND)
        self.band_labels.setZValue(20)
        self.plot.addItem(self.band_labels)

        # The key in its own row, outside the plot: a corner of the plot is no place for it,
        # the Queue's line climbs the left and the Manager list fills the right. Text that
        # wraps to the panel's width, where a LegendItem's grid would widen the panel.
        self.key = pg.LabelItem("", justify="left")
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(self.key, row=1, col=0)
        self._plain_items: int | None = None

        # Below, thin: items per second through each route, as horizontal bars.
        self.rates = self.addPlot(row=2, col=0)
        style_plot(self.rates, "")
        # No value axis: each bar is labelled with its rate ("31,891/s"), and an axis with its
        # label would take half of the little height this plot has.
        self.rates.hideAxis("bottom")
        self.rate_bars = LabelledBars(
            self.rates,
            ["Manager", "Queue"],
            [theme.GOOD, theme.IDEAL],
            fmt=lambda v: f"{v:,.0f}/s",
            initial=1000.0,
        )
        # Two bars and their axis need little height: the plot above gets the rest.
        self.rates.setMaximumHeight(theme.px(RATES_MAX_PX))
        # Never squeezed to nothing: a view 0 px high has no inverse transform for its labels
        # (pyqtgraph then falls back on NumPy code that warns on NumPy 2.5).
        self.rates.vb.setMinimumHeight(theme.px(RATES_MIN_VIEW_PX))
        self.ci.layout.setRowStretchFactor(0, 1)
        self._x = SteppedRange(0.5)
        self._y = SteppedRange(100.0, factor=2.0)
        self._band_tops: list[tuple[float, float, float]] = []  # per worker: x, bottom, top
        self.plot.getViewBox().sigResized.connect(self._label_bands)
        self.reset()

    def clear_run(self) -> None:
        for layer in self.layers:
            layer.setData([], [])
        for curve in (self.parent_len, self.queue_len, self.plain):
            curve.setData([], [])
        self._say_plain(None)
        self._band_tops = []
        self.band_labels.set_labels([], [])
        self.rate_bars.reset()
        for rng in (self._x, self._y):
            rng.reset()
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.setYRange(0, self._y.value, padding=0)

    def _say_plain(self, items: int | None, width: float | None = None) -> None:
        """The key, with the plain list's length in the parent once it is known (the plot's
        title says whose lengths these are), wrapped to the chart's `width` (px; now)."""
        self._plain_items = items
        plain = "plain list" if items is None else f"plain list: {items} items"
        t = theme.current()
        # Each entry a sample of its line (a glyph in its colour and weight) and its name.
        entries = [
            ("━━", t.foreground, "Manager list", ""),
            ("██", band_color(0).name(), "by worker (w0, w1…)", ""),
            ("╍╍", t.ideal, "Queue (phase 2)", ""),
            ("━━", t.bad, plain, t.bad),
        ]
        font = QFont()
        font.setPointSizeF(theme.pt(LEGEND_PT))
        metrics = QFontMetricsF(font)
        left, _, right, _ = self.ci.layout.getContentsMargins()
        room = (self.width() if width is None else width) - left - right - theme.px(12)
        gap = "&nbsp;" * 3
        rows: list[list[str]] = [[]]
        used = 0.0
        for sample, color, name, ink in entries:
            w = metrics.horizontalAdvance(f"{sample} {name}   ")
            if rows[-1] and used + w > room:
                rows.append([])
                used = 0.0
            used += w
            text = styled(html.escape(name), color=ink) if ink else html.escape(name)
            rows[-1].append(f"{styled(sample, color=color)} {text}")
        self.key.setText(
            styled("<br>".join(gap.join(row) for row in rows), size=LEGEND_PT, color=t.foreground)
        )

    def resizeEvent(self, event) -> None:  # noqa: N802, D102 - Qt's name
        # Re-wrapped before the view lays out at the new size (a key wrapped for a wider
        # chart would hold the layout at that width); not once close() has deleted it.
        if hasattr(self, "key") and not self.closed:
            self._say_plain(self._plain_items, width=event.size().width())
        super().resizeEvent(event)

    def _layer(self, k: int) -> pg.PlotDataItem:
        """The filled area of worker `k` (created on first use)."""
        while len(self.layers) <= k:
            i = len(self.layers)
            layer = pg.PlotDataItem(
                pen=theme.pen(theme.GOOD), fillLevel=0, fillBrush=pg.mkBrush(band_color(i))
            )
            # Lower workers' layers are drawn over higher ones: each layer is the sum of the
            # workers up to it, so drawing from the top down leaves every band visible.
            layer.setZValue(-10 - i)
            self.plot.addItem(layer)
            self.layers.append(layer)
        return self.layers[k]

    def _label_bands(self) -> None:
        """Number each band at its right end, where it is thick enough for the number."""
        vb = self.plot.getViewBox()
        (_, _), (y0, y1) = vb.viewRange()
        px_per_item = vb.height() / max(y1 - y0, 1e-9)
        need = QFontMetricsF(QFont()).height() * 0.9  # the labels' font: the window's
        points, texts = [], []
        for k, (x, bottom, top) in enumerate(self._band_tops):
            points.append((x, (bottom + top) / 2))
            texts.append(f"w{k}" if (top - bottom) * px_per_item >= need else "")
        self.band_labels.set_labels(points, texts)

    def draw(self, state: RunState, now_ns: int) -> None:
        t0 = phase_start(state, MANAGER)
        if t0 is None:
            return
        # Each worker's count as a step function on one shared time grid, then stacked.
        workers = sorted(
            int(n[len(BY_WORKER_PREFIX) :]) for n in state.series if n.startswith(BY_WORKER_PREFIX)
        )
        per_worker = [series_xy(state, by_worker_series(w), t0) for w in workers]
        tops: list[tuple[float, float, float]] = []
        if per_worker:
            grid = np.unique(np.concatenate([np.zeros(1)] + [x for x, _ in per_worker]))
            total = np.zeros_like(grid)
            for k, (x, y) in enumerate(per_worker):
                idx = np.searchsorted(x, grid, side="right") - 1
                below = total
                total = total + np.where(idx >= 0, y[np.maximum(idx, 0)], 0.0)
                self._layer(k).setData(grid, total)
                tops.append((float(grid[-1]), float(below[-1]), float(total[-1])))
        xm, ym = series_xy(state, SERIES_MANAGER_LEN, t0)
        self.parent_len.setData(xm, ym)
        xp, yp = series_xy(state, SERIES_PLAIN_LEN, t0)
        self.plain.setData(xp, yp)
        if len(yp):
            self._say_plain(int(yp[-1]))
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
        self._band_tops = tops
        self._label_bands()
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
