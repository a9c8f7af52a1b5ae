"""The queue-logging chart: each child's records arriving, both ways, and the listener's log."""

from __future__ import annotations

import html
import re
from typing import Any, ClassVar

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.queue_logging.model import (
    FILE_LEVEL,
    LISTENER_LEVEL,
    LOG_FILE,
    MAX_DELAY_MS,
    PHASES,
    RECORDS_EXPECTED,
    RECORDS_VIA_QUEUE,
    RECORDS_WITHOUT_QUEUE,
    VIA_QUEUE,
    WITHOUT_QUEUE,
    records_prefix,
    records_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import PointLabels, SteppedRange, style_plot
from mpgui.ui.panels.scenario_chart import (
    CAPTION_PT,
    FIGURE_PT,
    NOTE_PT,
    Reads,
    ScenarioChart,
    bold,
    lines,
    phase_start,
    series_xy,
    styled,
)

#: The pid in a listener's line ("child-2[14273] record 17"), dropped where it does not fit.
PID_PART = re.compile(r"\[\d+\] ")
#: The two ways: the theme role each is drawn in, its pen style and its name in the key
#: (the second channel: dashed against solid, and the ✕/✓ of the readout).
WAYS = (
    (WITHOUT_QUEUE, "bad", Qt.PenStyle.DashLine, "✕ without a queue"),
    (VIA_QUEUE, "good", Qt.PenStyle.SolidLine, "✓ via the Queue"),
)
#: Where in its child's lane each way's line starts (a share of the lane: without a queue
#: below, via the Queue above, so neither hides the other), and how far it climbs when all
#: the child's records have arrived.
STRIP_BASE = {WITHOUT_QUEUE: 0.05, VIA_QUEUE: 0.5}
STRIP_HEIGHT = 0.38
#: The log lines shown (the newest).
LOG_LINES = 7
#: The share of the chart's width the text column takes.
TEXT_SHARE = 0.38


def without_verdict(method: str, found: int, expected: int) -> str:
    """What the count without a queue means under start method `method`."""
    if method == "fork":
        return "copied handlers: fragile" if found else "none arrived"
    return f"{method}: nothing inherited" if found == 0 else "arrived"


class QueueLoggingChart(ScenarioChart):
    """Left: one lane per child; in it, how many of its records have arrived over the
    phase's time — dashed, low in the lane, without a queue (in the log file, through
    whatever the child inherited); solid, high in the lane, via the Queue (handled by the
    parent's listener); each line ends in its count. Right: both totals, and the newest
    lines of the log as they arrive (the file's in phase 1, the listener's in phase 2):
    real records, with the child's name and pid.
    """

    READS = Reads(
        series_prefixes=tuple(records_prefix(phase) for phase in PHASES),
        phases=PHASES,
        metrics=(RECORDS_EXPECTED, RECORDS_VIA_QUEUE, RECORDS_WITHOUT_QUEUE, MAX_DELAY_MS),
        logs=True,
    )
    MEANINGS: ClassVar[tuple[str, ...]] = ("bad", "good")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot(row=0, col=0, rowspan=2)
        style_plot(
            self.plot,
            "Records arriving, per child",
            bottom="seconds into the phase",
            short="Records per child",
        )
        self.plot.setMouseEnabled(x=False, y=False)
        self.curves: dict[tuple[str, int], pg.PlotDataItem] = {}
        self.ends: dict[str, PointLabels] = {}
        for phase, role, _style, _name in WAYS:
            labels = PointLabels(anchor=(0.0, 0.5), color=getattr(theme.current(), role))
            labels.setZValue(20)
            self.plot.addItem(labels)
            self.ends[phase] = labels
        self.figures = pg.LabelItem(justify="left")
        self.addItem(self.figures, row=0, col=1)
        self.log = pg.LabelItem(justify="left")
        self.addItem(self.log, row=1, col=1)
        self.ci.layout.setColumnStretchFactor(0, 1)
        self._x = SteppedRange(0.5)
        self._lanes = 0
        self._log_text: tuple = ()
        self._method = ""  # the run's start method: what the count without a queue means
        #: The pids of the children whose records the listener's lines showed, this run.
        self.listener_pids: set[int] = set()
        self._logs_seen = 0  # log lines of the run looked at (RunState.new_logs)
        self.reset()

    # -- drawing ---------------------------------------------------------------------------
    def clear_run(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        for labels in self.ends.values():
            labels.set_labels([], [])
        self._x.reset()
        self.plot.setXRange(0, self._x.value, padding=0)
        self._set_lanes(0)
        self.listener_pids = set()
        self._logs_seen = 0
        self._show_figures(self._figures_html(None, None, 0, "", False))
        self._show_log("", [])

    def _set_lanes(self, lanes: int) -> None:
        """One lane per child, child-0 at the top, each named on the left axis."""
        self._lanes = lanes
        ticks = [(lanes - 1 - k + 0.45, f"child-{k}") for k in range(lanes)]
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.setYRange(-0.1, max(lanes, 1), padding=0)

    def _curve(self, phase: str, slot: int) -> pg.PlotDataItem:
        key = (phase, slot)
        if key not in self.curves:
            _, role, style, _ = next(w for w in WAYS if w[0] == phase)
            width = 2 if phase == WITHOUT_QUEUE else 3
            color = getattr(theme.current(), role)
            self.curves[key] = self.plot.plot(pen=theme.pen(color, width, style))
        return self.curves[key]

    def draw(self, state: RunState, now_ns: int) -> None:
        params = state.spec.params
        self._method = state.spec.start_method
        lanes, records = int(params.get("processes", 0)), max(1, int(params.get("records", 1)))
        if lanes != self._lanes:
            self._set_lanes(lanes)
        totals: dict[str, int | None] = {}
        xmax = 0.0
        for phase, *_ in WAYS:
            t0 = phase_start(state, phase)
            totals[phase] = None
            if t0 is None:
                continue
            points, texts, total = [], [], 0
            for slot in range(lanes):
                x, y = series_xy(state, records_series(phase, slot), t0)
                if not len(y):
                    continue
                base = lanes - 1 - slot + STRIP_BASE[phase]
                self._curve(phase, slot).setData(x, base + STRIP_HEIGHT * y / records)
                points.append((float(x[-1]), base + STRIP_HEIGHT * float(y[-1]) / records))
                texts.append(f"{int(y[-1]):,}")
                total += int(y[-1])
                xmax = max(xmax, float(x[-1]))
            self.ends[phase].set_labels(points, texts)
            totals[phase] = total
        if self._x.fit(xmax, headroom=1.3):  # room for the counts at the lines' ends
            self.plot.setXRange(0, self._x.value, padding=0)
        over = state.finished or (bool(state.phases) and state.phases[-1][1] == VIA_QUEUE)
        self._show_figures(
            self._figures_html(
                totals[VIA_QUEUE],
                totals[WITHOUT_QUEUE],
                lanes * records,
                state.spec.start_method,
                over,
            )
        )
        self._draw_log(state)

    def _show_figures(self, text: str) -> None:
        """Show the totals (each verdict on a line of its own, so the column stays narrow)."""
        self.figures.setText(text)

    @staticmethod
    def _figures_html(
        via: int | None, without: int | None, expected: int, method: str, without_over: bool
    ) -> str:
        """Both totals: the Queue's against the records expected, and the file's."""
        t = theme.current()
        rows = []
        for phase, role, _style, name in WAYS:
            got = via if phase == VIA_QUEUE else without
            color = getattr(t, role)
            figure = "…" if got is None else f"{got:,}"
            verdict = f"of {expected:,} records"
            if phase == WITHOUT_QUEUE and got is not None and without_over:
                verdict = without_verdict(method, got, expected)
            rows.append(
                lines(
                    styled(name, size=CAPTION_PT, color=t.muted),
                    styled(figure, size=FIGURE_PT, bold=True, color=color, nowrap=True),
                    styled(verdict, size=CAPTION_PT, color=color),
                )
            )
        return lines(*rows)

    def _draw_log(self, state: RunState) -> None:
        """The newest lines of the log file (phase 1) or of the listener (phase 2)."""
        fresh, self._logs_seen = state.new_logs(self._logs_seen)
        self.listener_pids.update(pid for _t, pid, lvl, _m in fresh if lvl == LISTENER_LEVEL)
        phase = state.phases[-1][1] if state.phases else ""
        level = LISTENER_LEVEL if phase == VIA_QUEUE else FILE_LEVEL
        since = phase_start(state, phase) if phase else None
        newest: list[str] = []
        for t, _pid, lvl, message in reversed(state.logs):
            if since is not None and t < since:
                break  # older lines are another phase's
            if lvl == level:
                newest.append(message)
                if len(newest) == LOG_LINES:
                    break
        if phase == VIA_QUEUE:
            head = "the parent's QueueListener:"
        elif phase == WITHOUT_QUEUE:
            head = f"{LOG_FILE}, the children's lines:"
        else:
            head = ""
        self._show_log(head, newest[::-1])

    def _show_log(self, head: str, log_lines: list[str]) -> None:
        """Show `log_lines` under `head`, each cut to the column's width."""
        key = (head, tuple(log_lines), self._text_width())
        if key == self._log_text:
            return
        self._log_text = key
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(theme.pt(NOTE_PT))
        metrics = QFontMetricsF(font)
        room = max(10.0, self._text_width() - theme.px(12))
        t = theme.current()

        def fitted(line: str) -> str:
            if metrics.horizontalAdvance(line) <= room:
                return line
            # Narrow: the message matters more than the pid (the Log tab keeps it whole).
            short = PID_PART.sub(" ", line, count=1)
            if metrics.horizontalAdvance(short) > room:
                short = short.replace(" record ", " #", 1)  # "child-2 #17"
            return metrics.elidedText(short, Qt.TextElideMode.ElideRight, room)

        shown = [html.escape(fitted(line)) for line in log_lines]
        if head and not log_lines:
            shown = ["(nothing yet)" if head.startswith("the") else "(none: nothing arrived)"]
        # In the log's own typewriter face: a log line, as it would read in a terminal.
        body = styled(f"<tt>{'<br>'.join(shown)}</tt>", size=NOTE_PT, color=t.foreground)
        self.log.setText(lines(styled(head, size=NOTE_PT, color=t.muted), body) if head else "")

    # -- layout ----------------------------------------------------------------------------
    def _text_width(self) -> float:
        """The width (px) of the text column: a share of the view."""
        left, _, right, _ = self.ci.layout.getContentsMargins()
        return max(1.0, (self.viewport().width() - left - right) * TEXT_SHARE)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the text column keeps its share of the width."""
        if "log" in vars(self) and not self.closed:
            self.ci.layout.setColumnFixedWidth(1, self._text_width())
            head, log_lines, _ = self._log_text or ("", (), 0)
            self._show_log(head, list(log_lines))
        super().resizeEvent(event)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        t = theme.current()
        parts = []
        expected = metrics.get(RECORDS_EXPECTED)
        via = metrics.get(RECORDS_VIA_QUEUE)
        if via is not None:
            parts.append(f"via the Queue {bold(f'{via:,} / {expected:,}', t.good)} records")
        without = metrics.get(RECORDS_WITHOUT_QUEUE)
        if without is not None:
            why = without_verdict(self._method, without, expected) if self._method else ""
            parts.append(f"without it {bold(f'{without:,}', t.bad)}" + (f" ({why})" if why else ""))
        if metrics.get(MAX_DELAY_MS) is not None:
            parts.append(f"max delay {metrics[MAX_DELAY_MS]:.1f} ms")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = QueueLoggingChart
