"""The start-methods chart: start latency per method on a log scale, and what each inherits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.start_methods.model import (
    DEFAULT_METHOD,
    METHOD_ORDER,
    METHODS,
    OFFERED,
    SEES_PARENT_CHANGE,
    START_MS_MEDIAN,
    start_ms_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import style_plot
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold, styled, table

#: Each method's marker: the second channel beside its colour (and its name on the axis).
SYMBOLS = {"fork": "o", "spawn": "s", "forkserver": "t1"}
#: The marker as a character, for the table's and the readout's headings.
GLYPHS = {"fork": "●", "spawn": "■", "forkserver": "▲"}
#: Text size (pt at 100 %) of the table: it shares the panel with the plot.
TABLE_PT = 9
#: Dot size (px at 100 %) of each start.
DOT_PX = 8
#: Latency ticks (ms) on the log axis.
TICKS_MS = (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000)

#: What a child inherits, per method: the rows of the table beside the plot. The "sees a
#: global changed after import" row is filled from the run's own measurement.
INHERITS = (
    ("parent's memory", "copied", "fresh", "fresh"),
    ("re-imports modules", "no", "yes", "yes"),
    ("other threads' locks", "copied!", "—", "—"),
    ("safe from threaded", "no", "yes", "yes"),
)


def method_color(method: str) -> str:
    """`method`'s colour: one of the theme's categorical colours, the same in every run and on
    every platform (by the fixed order of all methods, not by those this one offers)."""
    categories = theme.current().categories
    return categories[METHOD_ORDER.index(method) % len(categories)]


def _log_ms(values: Any) -> np.ndarray:
    """Milliseconds to the log10 scale the plot's y axis uses (clamped above 0)."""
    return np.log10(np.maximum(np.asarray(values, dtype=float), 1e-3))


class StartMethodsChart(ScenarioChart):
    """Left: every start's latency as a marker of its method's shape and colour (● fork,
    ■ spawn, ▲ forkserver), with the median as a bar and the spread (min to p90) as a
    whisker. Below: a table of what each method's child inherits.
    """

    READS = Reads(
        series=tuple(start_ms_series(method) for method in OFFERED),
        metrics=(METHODS, DEFAULT_METHOD),
    )
    MEANINGS = ("categories",)

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot(row=0, col=0)
        style_plot(self.plot, "Start → child's first line", left="milliseconds (log)")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getAxis("bottom").setTicks(
            [[(i, f"{GLYPHS[m]} {m}") for i, m in enumerate(OFFERED)]]
        )
        self.plot.getAxis("left").setTicks([[(math.log10(ms), f"{ms:g}") for ms in TICKS_MS]])
        self.plot.setXRange(-0.6, len(OFFERED) - 0.4, padding=0)
        self.plot.setYRange(math.log10(0.3), math.log10(300), padding=0)
        self.dots = pg.ScatterPlotItem(size=theme.px(DOT_PX), pen=None)
        self.plot.addItem(self.dots)
        self.medians = pg.ErrorBarItem(beam=0.3, pen=theme.pen(theme.FOREGROUND, 2))
        self.plot.addItem(self.medians)
        self.labels = {m: pg.TextItem(anchor=(0.5, 1), color=method_color(m)) for m in OFFERED}
        for label in self.labels.values():
            self.plot.addItem(label)
        # Below the plot: the panel is narrower than it is tall on most screens.
        self.table = pg.LabelItem(justify="left")
        self.addItem(self.table, row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        # Fixed jitter, so the dots do not dance from frame to frame.
        self._jitter = np.random.default_rng(7).uniform(-0.18, 0.18, 500)
        self.reset()

    def clear_run(self) -> None:
        self.dots.setData([], [])
        self.medians.setData(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0))
        for label in self.labels.values():
            label.setText("")
        self.table.setText(self._table_html({}))

    def draw(self, state: RunState, now_ns: int) -> None:
        xs, ys, brushes, symbols = [], [], [], []
        mx, my, top, bottom = [], [], [], []
        measured: dict[str, dict[str, Any]] = dict(state.metrics.get(METHODS) or {})
        for i, method in enumerate(OFFERED):
            samples = [v for _, v in state.series.get(start_ms_series(method), ())]
            if not samples:
                continue
            n = len(samples)
            xs.extend(i + self._jitter[np.arange(n) % len(self._jitter)])
            ys.extend(_log_ms(samples))
            brushes.extend([pg.mkBrush(method_color(method))] * n)
            symbols.extend([SYMBOLS[method]] * n)
            median = float(np.median(samples))
            spread_top = float(np.percentile(samples, 90))
            mx.append(i)
            my.append(math.log10(max(median, 1e-3)))
            top.append(_log_ms(spread_top) - my[-1])
            bottom.append(my[-1] - _log_ms(min(samples)))
            self.labels[method].setText(f"{median:.1f} ms")
            self.labels[method].setPos(i, my[-1] + top[-1])
        self.dots.setData(xs, ys, brush=brushes, symbol=symbols)
        self.medians.setData(
            x=np.array(mx, dtype=float),
            y=np.array(my),
            top=np.array(top, dtype=float),
            bottom=np.array(bottom, dtype=float),
        )
        if ys:
            lo, hi = min(ys), max(ys)
            # Room above the highest whisker for its label.
            self.plot.setYRange(min(lo - 0.3, math.log10(0.3)), max(hi + 0.5, 2.0), padding=0)
        self.table.setText(self._table_html(measured))

    @staticmethod
    def _table_html(measured: dict[str, dict[str, Any]]) -> str:
        """What each method's child inherits, with the run's own "sees the change" result."""
        seen = []
        for m in OFFERED:
            result = measured.get(m, {}).get(SEES_PARENT_CHANGE)
            seen.append("…" if result is None else bold("yes" if result else "no"))
        grid = table(
            [(f"{GLYPHS[m]} {m}", method_color(m)) for m in OFFERED],
            [*INHERITS, ("sees parent's change*", *seen)],
        )
        footnote = styled("* measured in this run", color=theme.MUTED)
        title = bold("What the child inherits")
        return styled(title + grid + footnote, size=TABLE_PT, color=theme.FOREGROUND)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        parts = []
        for method, m in (metrics.get(METHODS) or {}).items():
            if m:
                color = method_color(method) if method in METHOD_ORDER else theme.FOREGROUND
                parts.append(f"{bold(method, color)} {m[START_MS_MEDIAN]:.1f} ms")
        parts.append(f"this Python's default: {bold(str(metrics.get(DEFAULT_METHOD)))}")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = StartMethodsChart
