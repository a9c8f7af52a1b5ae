"""The counter-race chart: the shared counter against the expected count, live, per race."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.counter_race.model import (
    EXPECTED,
    LOCK_COST,
    LOCKED,
    LOCKED_FINAL,
    LOST_PCT,
    LOST_UPDATES,
    PHASES,
    UNLOCKED,
    counter_series,
    expected_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import SteppedRange, style_plot
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    caption,
    figure,
    headline,
    lines,
    note,
    paragraphs,
    phase_start,
    series_xy,
)

#: The two races, and the colour each is drawn in.
RACES = ((UNLOCKED, theme.BAD), (LOCKED, theme.GOOD))


class CounterRaceChart(ScenarioChart):
    """Counter value over each race's time (solid) against what it should read (dashed).

    Workers sample the counter and the sum of their own increment counts as they go, so
    without the lock the gap between the two lines opens while you watch. A big readout on the
    right says how many updates were lost.
    """

    READS = Reads(
        series=tuple(each(race) for race in PHASES for each in (counter_series, expected_series)),
        phases=PHASES,
        metrics=(LOST_UPDATES, EXPECTED, LOST_PCT, LOCKED_FINAL, LOCK_COST),
    )

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot(row=0, col=0)
        style_plot(self.plot, "Shared counter", left="counter", bottom="seconds into the race")
        self.plot.setMouseEnabled(x=False, y=False)
        self.curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        for name, color in RACES:
            expected = self.plot.plot(pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
            counter = self.plot.plot(pen=pg.mkPen(color, width=3))
            self.curves[name] = (counter, expected)
        self.big = pg.LabelItem(justify="left")
        self.addItem(self.big, row=0, col=1)
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 2)
        self._x = SteppedRange(0.5)
        self._top = 0  # the count every race should reach: the y axis's top
        self.reset()

    def clear_run(self) -> None:
        for counter, expected in self.curves.values():
            counter.setData([], [])
            expected.setData([], [])
        self._x.reset()
        self._top = 0
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.setYRange(0, 1000, padding=0)
        self.big.setText(self._big_html(None, None, None))

    def draw(self, state: RunState, now_ns: int) -> None:
        params = state.spec.params
        top = int(params.get("workers", 0)) * int(params.get("increments", 0))
        if top and top != self._top:
            # The expected count is known before the run: fix the axis there, so the lines
            # climb towards the top and the axis never moves.
            self._top = top
            self.plot.setYRange(0, top * 1.05, padding=0)
        gaps: dict[str, tuple[float, float, bool] | None] = {}
        names = [phase for _, phase in state.phases]
        for name, _ in RACES:
            t0 = phase_start(state, name)
            counter, expected = self.curves[name]
            if t0 is None:
                gaps[name] = None
                continue
            xc, yc = series_xy(state, counter_series(name), t0)
            xe, ye = series_xy(state, expected_series(name), t0)
            counter.setData(xc, yc)
            expected.setData(xe, ye)
            if len(yc) and len(ye):
                # The race is over once another phase began or the run ended; its last samples
                # are then the conductor's exact final figures.
                over = state.finished or names[-1] != name
                # Latest samples, not maxima: without the lock the counter can go backwards.
                gaps[name] = (float(ye[-1]), float(yc[-1]), over)
                if self._x.fit(max(xc.max(), xe.max()), headroom=1.1):
                    self.plot.setXRange(0, self._x.value, padding=0)
        self.big.setText(self._big_html(gaps.get(UNLOCKED), gaps.get(LOCKED), top or None))

    @staticmethod
    def _big_html(
        unlocked: tuple[float, float, bool] | None,
        locked: tuple[float, float, bool] | None,
        target: int | None,
    ) -> str:
        """The readout: updates lost without the lock, and the locked count's exactness.

        Each race is (expected, counter, over). Mid-race the two samples come from different
        moments, so the gap is only an estimate (never shown below zero), and the locked
        race gets its verdict only from the final figures.
        """
        rows = []
        if unlocked is not None:
            expected, counter, _over = unlocked
            lost = max(0, int(expected - counter))
            pct = 100.0 * lost / expected if expected else 0.0
            rows.append(
                lines(
                    caption("without the lock"),
                    headline(f"{lost:,}", theme.BAD),
                    caption(f"updates lost ({pct:.1f} %)", theme.BAD),
                )
            )
        if locked is not None:
            expected, counter, over = locked
            lost = int(expected - counter)
            verdict = "counting …"
            if over:
                verdict = "exact" if lost == 0 else f"{lost:,} lost"
            rows.append(
                lines(
                    caption("with the lock"),
                    f"{figure(f'{int(counter):,}', theme.GOOD)} {caption(verdict, theme.GOOD)}",
                )
            )
        if not rows:
            rows.append(caption("lost updates appear here"))
        key = ["solid: the shared counter", "dashed: increments really done"]
        if target is not None:
            key.append(f"expected at the end: {target:,}")
        rows.append(note(lines(*key)))
        return paragraphs(*rows)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        parts = []
        if metrics.get(LOST_UPDATES) is not None:
            parts.append(
                f"unlocked lost {bold(f'{metrics[LOST_UPDATES]:,}', theme.BAD)} "
                f"of {metrics[EXPECTED]:,} updates ({metrics[LOST_PCT]:.1f} %)"
            )
        if metrics.get(LOCKED_FINAL) is not None:
            exact = metrics[LOCKED_FINAL] == metrics[EXPECTED]
            parts.append(f"locked {bold('exact' if exact else 'NOT exact', theme.GOOD)}")
        if metrics.get(LOCK_COST) is not None:
            parts.append(f"the lock made it {metrics[LOCK_COST]:.1f}× slower")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = CounterRaceChart
