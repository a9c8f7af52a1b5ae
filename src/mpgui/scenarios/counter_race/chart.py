"""The counter-race chart: the shared counter against the expected count, live, per race."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
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
from mpgui.ui.panels.base import SteppedRange, style_plot, text_item
from mpgui.ui.panels.scenario_chart import (
    CAPTION_PT,
    FIGURE_PT,
    HEADLINE_PT,
    NOTE_PT,
    Reads,
    ScenarioChart,
    bold,
    lines,
    paragraphs,
    phase_start,
    series_xy,
    styled,
)

#: The two races: the theme role each is drawn in, the name at its line's end, and the
#: marker there (the second channel: a reader who cannot tell the colours apart still can
#: the ✕ of lost updates from the ● of an exact count).
RACES = ((UNLOCKED, "bad", "without lock", "x"), (LOCKED, "good", "with lock", "o"))
#: The smallest the readout is drawn to fit its column, as a share of its normal size.
MIN_SCALE = 0.35
#: The readout sits beside the plot only if that leaves the plot this much over its minimum.
BESIDE_SLACK_PX = 40
#: Under the plot, the readout takes at most this share of the chart's height.
BELOW_HEIGHT = 0.35


def count_ticks(values: list[float], spacing: float) -> list[str]:
    """Tick labels for counts: ``"950"``, ``"9,500"``, ``"250 k"``, ``"8.0 M"``.

    All ticks of an axis share one unit (the largest tick's), with as many decimals as the
    `spacing` between ticks needs, so "7.5 M" and "8.0 M" line up; never ``8e+06``.
    """
    top = max((abs(v) for v in values), default=0.0)
    unit, suffix = 1.0, ""
    if top >= 1e9:
        unit, suffix = 1e9, " G"
    elif top >= 1e6:
        unit, suffix = 1e6, " M"
    elif top >= 1e5:
        unit, suffix = 1e3, " k"
    step = spacing / unit if spacing > 0 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if not suffix:
        return [f"{round(v):,}" for v in values]
    return ["0" if v == 0 else f"{v / unit:,.{decimals}f}{suffix}" for v in values]


class CountAxis(pg.AxisItem):
    """An axis of counts, labelled by :func:`count_ticks`."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        """The labels of ticks at `values` (`spacing` apart), as counts."""
        return count_ticks([v * scale for v in values], spacing * scale)


class CounterRaceChart(ScenarioChart):
    """Counter value over each race's time (solid) against what it should read (dashed).

    Workers sample the counter and the sum of their own increment counts as they go, so
    without the lock the gap between the two lines opens while you watch. Each race's line
    ends in its marker and name. A big readout on the right says how many updates were lost:
    the increments really done that the counter does not show, so after a Stop it agrees with
    the log (increments never made are not lost). The readout is drawn as large as its column
    allows, smaller when the numbers are long (:meth:`fit_readout`).
    """

    READS = Reads(
        series=tuple(each(race) for race in PHASES for each in (counter_series, expected_series)),
        phases=PHASES,
        metrics=(LOST_UPDATES, EXPECTED, LOST_PCT, LOCKED_FINAL, LOCK_COST),
    )
    MEANINGS: ClassVar[tuple[str, ...]] = ("bad", "good")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot(row=0, col=0, axisItems={"left": CountAxis("left")})
        style_plot(self.plot, "Shared counter", left="counter", bottom="seconds into the race")
        self.plot.setMouseEnabled(x=False, y=False)
        self.curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.ends: dict[str, tuple[pg.ScatterPlotItem, pg.TextItem]] = {}
        for name, role, label, symbol in RACES:
            color = getattr(theme.current(), role)
            expected = self.plot.plot(pen=theme.pen(color, 1, Qt.PenStyle.DashLine))
            counter = self.plot.plot(pen=theme.pen(color, 3))
            self.curves[name] = (counter, expected)
            marker = pg.ScatterPlotItem(
                size=theme.px(11),
                symbol=symbol,
                pen=theme.pen(color, 1.5),
                brush=pg.mkBrush(color),
            )
            end_label = text_item(label, anchor=(-0.1, 0.5), color=color)
            for item in (marker, end_label):
                item.setVisible(False)
                self.plot.addItem(item)
            self.ends[name] = (marker, end_label)
        self.readout_below = False  # in a row under the plot (a narrow chart), not beside it
        self.big = pg.LabelItem(justify="left")
        self.addItem(self.big, row=0, col=1)
        # The readout's column is sized by fit_readout (2/5 of the view), the plot takes the
        # rest: stretch factors would let a long number widen the layout past the view.
        self._x = SteppedRange(0.5)
        self._top = 0  # the count every race should reach: the y axis's top
        self._readout: tuple = (None, None, None, False)  # what the big label shows
        self.readout_scale = 1.0  # its text's size, as a share of normal (fit_readout)
        self.reset()

    def clear_run(self) -> None:
        for counter, expected in self.curves.values():
            counter.setData([], [])
            expected.setData([], [])
        for marker, end_label in self.ends.values():
            marker.setVisible(False)
            end_label.setVisible(False)
        self._x.reset()
        self._top = 0
        self.plot.setXRange(0, self._x.value, padding=0)
        self.plot.setYRange(0, 1000, padding=0)
        self._show_readout(None, None, None, False)

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
        for name, *_ in RACES:
            t0 = phase_start(state, name)
            counter, expected = self.curves[name]
            if t0 is None:
                gaps[name] = None
                continue
            xc, yc = series_xy(state, counter_series(name), t0)
            xe, ye = series_xy(state, expected_series(name), t0)
            counter.setData(xc, yc)
            expected.setData(xe, ye)
            marker, end_label = self.ends[name]
            marker.setVisible(bool(len(yc)))
            end_label.setVisible(bool(len(yc)))
            if len(yc):
                marker.setData([xc[-1]], [yc[-1]])
                # Beside the marker, on the side with room (the x axis grows in steps).
                right_half = xc[-1] > 0.55 * self._x.value
                end_label.setAnchor((1.1, 0.5) if right_half else (-0.1, 0.5))
                end_label.setPos(xc[-1], yc[-1])
            if len(yc) and len(ye):
                # The race is over once another phase began or the run ended; its last samples
                # are then the conductor's exact final figures.
                over = state.finished or names[-1] != name
                # Latest samples, not maxima: without the lock the counter can go backwards.
                gaps[name] = (float(ye[-1]), float(yc[-1]), over)
                if self._x.fit(max(xc.max(), xe.max()), headroom=1.1):
                    self.plot.setXRange(0, self._x.value, padding=0)
        stopped = state.status == ev.STATUS_STOPPED
        self._show_readout(gaps.get(UNLOCKED), gaps.get(LOCKED), top or None, stopped)

    # -- the big readout -------------------------------------------------------------------
    def _show_readout(self, *readout: Any) -> None:
        self._readout = readout
        self.fit_readout()

    def readout_room(self) -> float:
        """The width (px) the readout may take: 2/5 of the view beside the plot, or the whole
        width in a row of its own under it when the plot would be left too narrow.

        Of the view, not of the layout: a label wider than its share would widen the layout
        past the view, and the right of the label would be cut off.
        """
        layout = self.ci.layout
        left, _, right, _ = layout.getContentsMargins()
        inner = self.viewport().width() - left - right
        if self.readout_below:
            return max(1.0, inner)
        plot_needs = self.plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        beside = inner - max(0.0, layout.horizontalSpacing())
        return max(1.0, min(beside * 2 / 5, beside - plot_needs))

    def _place_readout(self) -> None:
        """Beside the plot if 2/5 of the view leaves the plot its minimum, else under it."""
        left, _, right, _ = self.ci.layout.getContentsMargins()
        inner = self.viewport().width() - left - right
        plot_needs = self.plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        below = inner * 3 / 5 < plot_needs + BESIDE_SLACK_PX
        if below != self.readout_below:
            self.ci.removeItem(self.big)
            self.ci.layout.setColumnFixedWidth(1, 0)
            self.addItem(self.big, row=1 if below else 0, col=0 if below else 1)
            self.readout_below = below

    def fit_readout(self) -> None:
        """Draw the readout as large as fits: words wrap to its width, and if a figure is
        still too wide (a 7- or 8-digit count) all is drawn smaller, down to
        :data:`MIN_SCALE`, so nothing is clipped."""
        self._place_readout()
        room = self.readout_room()
        if not self.readout_below:
            self.ci.layout.setColumnFixedWidth(1, room)
        self.big.item.setTextWidth(room)
        scale = 1.0
        for _ in range(6):  # text width is nearly proportional to size: this settles fast
            html = self._big_html(*self._readout, scale=scale, compact=self.readout_below)
            self.big.setText(html)
            # Under the plot it must also leave the plot most of the height.
            shrink = room / self.text_width()
            # Below the plot it must leave the plot most of the height; beside it, it must
            # not be taller than the view (or the whole chart would be scaled down to fit).
            tall = self.big.item.boundingRect().height()
            share = BELOW_HEIGHT if self.readout_below else 0.95
            shrink = min(shrink, share * self.viewport().height() / tall)
            if shrink >= 1 or scale <= MIN_SCALE:
                break
            scale = max(MIN_SCALE, scale * shrink * 0.97)
        self.readout_scale = scale
        # Moving the label between rows lets the layout take its preferred size; the view's
        # size is the one that counts (pyqtgraph sets it so only on a resize).
        self.ci.setGeometry(self.range)

    def text_width(self) -> float:
        """The width the readout's text really takes: its widest line, margin included."""
        return self.big.item.document().idealWidth()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the readout's column changed, so its text is fitted again."""
        super().resizeEvent(event)
        # pyqtgraph resizes the view while it builds it, and again as close() clears it.
        if "big" in vars(self) and not self.closed:
            self.fit_readout()

    @staticmethod
    def _big_html(
        unlocked: tuple[float, float, bool] | None,
        locked: tuple[float, float, bool] | None,
        target: int | None,
        stopped: bool = False,
        scale: float = 1.0,
        compact: bool = False,
    ) -> str:
        """The readout: updates lost without the lock, and the locked count's exactness.

        Each race is (increments done, counter, over). Mid-race the two samples come from
        different moments, so the gap is only an estimate (never shown below zero), and the
        locked race gets its verdict only from the final figures. Sizes are × `scale`;
        `compact`: a race a line and no key, for a readout under the plot that must leave it
        room.
        """
        t = theme.current()

        def text(words: str, size: float, color: str = "", bold_: bool = False) -> str:
            # A figure (bold) never breaks across lines: it shrinks to fit instead.
            return styled(
                words, size=size * scale, bold=bold_, color=color or t.muted, nowrap=bold_
            )

        rows = []
        if unlocked is not None:
            expected, counter, _over = unlocked
            lost = max(0, int(expected - counter))
            pct = 100.0 * lost / expected if expected else 0.0
            rows.append(
                (
                    text("✕ without the lock", CAPTION_PT),
                    text(f"{lost:,}", FIGURE_PT if compact else HEADLINE_PT, t.bad, bold_=True),
                    text(f"updates lost ({pct:.1f} %)", CAPTION_PT, t.bad),
                )
            )
        if locked is not None:
            expected, counter, over = locked
            lost = int(expected - counter)
            verdict = "counting …"
            if over:
                verdict = "exact" if lost <= 0 else f"{lost:,} lost"
            rows.append(
                (
                    text("● with the lock", CAPTION_PT),
                    text(f"{int(counter):,}", FIGURE_PT, t.good, bold_=True),
                    text(verdict, CAPTION_PT, t.good),
                )
            )
        if not rows:
            rows.append((text("lost updates appear here", CAPTION_PT),))
        key = ["solid: the shared counter", "dashed: increments really done"]
        if target is not None:
            key.append(f"expected at the end: {target:,}")
        if stopped:
            key.append("stopped early: lost counts only increments done")
        if compact:
            # No key: the lines' end labels name the races, and the plot needs the height.
            return lines(*(" ".join(row) for row in rows))
        return paragraphs(*(lines(*row) for row in rows), text(lines(*key), NOTE_PT))

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        t = theme.current()
        parts = []
        if metrics.get(LOST_UPDATES) is not None:
            parts.append(
                f"unlocked lost {bold(f'{metrics[LOST_UPDATES]:,}', t.bad)} "
                f"of {metrics[EXPECTED]:,} updates ({metrics[LOST_PCT]:.1f} %)"
            )
        if metrics.get(LOCKED_FINAL) is not None:
            exact = metrics[LOCKED_FINAL] == metrics[EXPECTED]
            parts.append(f"locked {bold('exact' if exact else 'NOT exact', t.good)}")
        if metrics.get(LOCK_COST) is not None:
            parts.append(f"the lock made it {metrics[LOCK_COST]:.1f}× slower")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = CounterRaceChart
