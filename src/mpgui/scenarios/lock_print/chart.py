"""The lock-print chart: the workers' output itself, each phase's newest lines, garbled lines
marked ✗; under it, the garbled lines of each phase as bars."""

from __future__ import annotations

import math
from collections import deque
from typing import Any, ClassVar

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsWidget, QSizePolicy

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.lock_print.model import (
    GARBLED_LOCKED,
    GARBLED_UNLOCKED,
    LINES_EXPECTED,
    LOCKED,
    LOCKED_S,
    OUTPUT_LEVEL,
    PHASES,
    UNLOCKED,
    UNLOCKED_S,
    garbled_series,
    is_whole,
    lines_series,
    writers_in,
)
from mpgui.ui import theme
from mpgui.ui.code_view import CODE_FONTS
from mpgui.ui.panels.base import LabelledBars, style_plot
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold

#: Each phase's column: its heading's words.
TITLES = {UNLOCKED: "without lock", LOCKED: "with lock"}
#: ... and where that does not fit.
SHORT_TITLES = {UNLOCKED: "no lock", LOCKED: "lock"}
#: The marks before a line: whole, garbled (the second channel beside the colour).
WHOLE_MARK, GARBLED_MARK = "✓", "✗"
#: The output's text size (pt at 100 %).
OUTPUT_PT = 10
#: The most lines a column keeps (it shows the newest that fit).
KEEP_LINES = 200
#: The bars' plot's greatest height (px at 100 %), and its view's least (two bars stay two).
BARS_MAX_PX = 70
BARS_MIN_VIEW_PX = 24
#: Below this chart height (px at 100 %) the bars give their room to the output: the
#: headings count the garbled lines too, and a projector's big text leaves few lines.
BARS_MIN_CHART_PX = 260


def output_font() -> QFont:
    """The output's monospaced font at the current zoom (the Code tab's families)."""
    font = QFont()
    font.setFamilies(list(CODE_FONTS))
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(theme.pt(OUTPUT_PT))
    return font


def marked(line: str) -> str:
    """`line` as the chart shows it: ✓ before a whole line, ✗ before a garbled one."""
    return f"{WHOLE_MARK if is_whole(line) else GARBLED_MARK} {line}"


class OutputColumn(QGraphicsWidget):
    """One phase's output as a terminal would show it: a heading, then the newest lines that
    fit its height, each cut to its width with "…", garbled ones ✗ in the "bad" colour."""

    def __init__(self) -> None:
        super().__init__()
        self.heading: tuple[str, ...] = ("",)  # the heading, then shorter forms of it
        self.lines: deque[str] = deque(maxlen=KEEP_LINES)
        self.font = output_font()
        self.metrics = QFontMetricsF(self.font)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(theme.px(110), self.metrics.lineSpacing() * 4)

    def set_output(self, heading: tuple[str, ...], lines: list[str] | None = None) -> None:
        """Show `heading` (its longest form that fits, then shorter ones) and, if given, these
        `lines` (oldest first) instead of the last."""
        self.heading = heading
        if lines is not None:
            self.lines = deque(lines, maxlen=KEEP_LINES)
        self.update()

    def add(self, line: str) -> None:
        """Append one line of output."""
        self.lines.append(line)
        self.update()

    def rows(self) -> int:
        """How many lines fit under the heading."""
        return max(0, math.floor(self.size().height() / self.metrics.lineSpacing()) - 1)

    def shown(self) -> list[str]:
        """The lines drawn now, marked (:func:`marked`), oldest first, before cutting."""
        rows = self.rows()
        return [marked(line) for line in list(self.lines)[-rows:]] if rows else []

    def paint(self, painter: QPainter, option: Any, widget: Any = None) -> None:  # noqa: D102
        t = theme.current()
        width, step = self.size().width(), self.metrics.lineSpacing()
        painter.setFont(self.font)

        def row(x: float, y: float, text: str, color: str) -> None:
            cut = self.metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - x)
            painter.setPen(QColor(color))
            painter.drawText(QRectF(x, y, width - x, step), Qt.AlignmentFlag.AlignLeft, cut)

        fits = [h for h in self.heading if self.metrics.horizontalAdvance(h) <= width]
        row(0, 0, fits[0] if fits else self.heading[-1], t.foreground)
        indent = self.metrics.horizontalAdvance(f"{GARBLED_MARK} ")
        for i, text in enumerate(self.shown()):
            whole = text[0] == WHOLE_MARK
            row(0, (i + 1) * step, text[0], t.good if whole else t.bad)
            row(indent, (i + 1) * step, text[2:], t.foreground if whole else t.bad)


class LockPrintChart(ScenarioChart):
    """What the workers printed, per phase, as the conductor read it from their shared pipe.

    Left the lines printed without the lock, right those printed with it: the newest that fit,
    each marked ✓ (whole: one writer's tag and its three parts) or ✗ (garbled: parts of other
    lines inside), garbled ones in the "bad" colour. Each heading counts the garbled lines
    read so far; the bars under them compare the two phases.
    """

    READS = Reads(
        series=tuple(each(phase) for phase in PHASES for each in (lines_series, garbled_series)),
        phases=PHASES,
        metrics=(LINES_EXPECTED, GARBLED_UNLOCKED, GARBLED_LOCKED, UNLOCKED_S, LOCKED_S),
        logs=True,
    )
    MEANINGS: ClassVar[tuple[str, ...]] = ("bad", "good")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.columns = {phase: OutputColumn() for phase in PHASES}
        for col, phase in enumerate(PHASES):
            self.addItem(self.columns[phase], row=0, col=col)
        self.bars_plot = self.addPlot(row=1, col=0, colspan=2)
        style_plot(self.bars_plot, "")
        self.bars_plot.hideAxis("bottom")  # each bar says its count
        self.bars = LabelledBars(
            self.bars_plot,
            [TITLES[UNLOCKED], TITLES[LOCKED]],
            [theme.BAD, theme.GOOD],
            fmt=lambda v: f"{v:,.0f} garbled",
            initial=10.0,
        )
        self.bars_plot.setMaximumHeight(theme.px(BARS_MAX_PX))
        # Never squeezed to nothing: a view 0 px high has no inverse transform for its labels.
        self.bars_plot.vb.setMinimumHeight(theme.px(BARS_MIN_VIEW_PX))
        self.ci.layout.setRowStretchFactor(0, 1)
        self.bars_shown = True
        #: The writers whose lines each phase's output held (by the lines' tags).
        self.writers: dict[str, set[int]] = {}
        self._state: RunState | None = None
        self._seen = 0  # the state's log lines already read
        self.reset()

    def clear_run(self) -> None:
        self._state, self._seen = None, 0
        self.writers = {phase: set() for phase in PHASES}
        for phase, column in self.columns.items():
            column.set_output(self._heading(phase, None, None), [])
        self.bars.reset()

    @staticmethod
    def _heading(phase: str, garbled: int | None, lines: int | None) -> tuple[str, ...]:
        """A column's heading: the phase, and its garbled lines of those read so far; then
        shorter forms of it, for a narrow column."""
        if lines is None:
            return (f"{TITLES[phase]}: waiting", TITLES[phase])
        return (
            f"{TITLES[phase]}: {garbled} of {lines} garbled",
            # Not "0/200 ✗": a mark beside a count reads as a verdict on the whole phase.
            f"{TITLES[phase]}: {garbled}/{lines} garbled",
            f"{SHORT_TITLES[phase]}: {garbled}/{lines} garbled",
            f"{garbled}/{lines} garbled",
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the bars are shown only if the output keeps room enough."""
        if "bars_plot" in vars(self) and not self.closed:
            show = event.size().height() >= theme.px(BARS_MIN_CHART_PX)
            if show != self.bars_shown:
                if show:
                    self.addItem(self.bars_plot, row=1, col=0, colspan=2)
                else:
                    self.ci.removeItem(self.bars_plot)
                self.bars_shown = show
        super().resizeEvent(event)

    def draw(self, state: RunState, now_ns: int) -> None:
        if state is not self._state:  # a run this chart has not read yet
            self.clear_run()
            self._state = state
        fresh, self._seen = state.new_logs(self._seen)
        starts = [(t, phase) for t, phase in state.phases if phase in self.columns]
        for t, pid, level, line in fresh:
            # The conductor logs the workers' lines; pid 0 is the host's own capture of
            # output no worker of ours wrote to the pipe.
            if level != OUTPUT_LEVEL or pid == 0:
                continue
            phase = next((p for t0, p in reversed(starts) if t0 <= t), None)
            if phase is not None:
                self.columns[phase].add(line)
                self.writers[phase] |= writers_in(line)
        counts: list[float | None] = []
        for phase in PHASES:
            lines, garbled = state.series.get(lines_series(phase)), None
            if lines:
                garbled = int(state.series[garbled_series(phase)][-1][1])
                lines = int(lines[-1][1])
            self.columns[phase].set_output(self._heading(phase, garbled, lines or None))
            counts.append(garbled)
        self.bars.set(counts)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        expected = metrics.get(LINES_EXPECTED)
        parts = []
        if metrics.get(GARBLED_UNLOCKED) is not None:
            figure = bold(f"{metrics[GARBLED_UNLOCKED]:,}", theme.BAD)
            parts.append(f"unlocked: {figure} of {expected:,} lines garbled")
        if metrics.get(GARBLED_LOCKED) is not None:
            figure = bold(f"{metrics[GARBLED_LOCKED]:,}", theme.GOOD)
            parts.append(f"locked: {figure} of {expected:,}")
        if metrics.get(UNLOCKED_S) and metrics.get(LOCKED_S):
            # The lock's price: how much longer the same lines took under it.
            parts.append(f"with the lock {metrics[LOCKED_S] / metrics[UNLOCKED_S]:.2f}× the time")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = LockPrintChart
