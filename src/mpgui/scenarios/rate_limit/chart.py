"""The rate-limit chart: the server's side of every phase — requests arriving per second
(each phase's arrivals in the second before, a step line) against the server's limit, every
request the server refused with 429 marked ×, and what each phase got."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.rate_limit.model import (
    ARRIVAL,
    CLIENT_RPS,
    EXPECTED_LIMITED_S,
    LIMITED,
    LIMITED_S,
    MAX_RPS_LIMITED,
    METRICS,
    PHASES,
    REQUEST,
    RETRY,
    RETRY_FAILED,
    RETRY_S,
    RPS_MARGIN,
    SECOND_NS,
    SERVER_RPS,
    STATUS_429_LIMITED,
    STATUS_429_RETRY,
    STATUS_429_UNLIMITED,
    UNLIMITED,
    WAYS,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import SteppedRange, style_plot, text_item
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold, duration_text, styled

#: Each phase's name on the chart.
WAY_NAMES = {UNLIMITED: "no limiter", LIMITED: "shared limiter", RETRY: "retry after 429"}
#: The plot's title, its short form, and its axes.
TITLE = "Requests arriving at the server per second"
SHORT_TITLE = "Requests/s at the server"
LEFT_AXIS, BOTTOM_AXIS = "requests in the last second", "time since the first request (s)"
#: The status a rate-limited server refuses with.
TOO_MANY = 429
#: Text size (pt at 100 %) of the key under the plot, and of the phases' labels.
KEY_PT, LABEL_PT = 9, 10
#: Below this height (px at 100 %) the chart shows no key (the notice says what the marks are).
SHORT_PX = 300
#: How far (in label heights) each phase's name sits below the one before.
LABEL_ROW = 1.0
#: The marks' sizes (px at 100 %): a 429's ×.
MARK_PX = 11


def way_windows(state: RunState, now_ns: int) -> list[tuple[str, int, int]]:
    """Every fetching phase so far as (way, start, end ns): it ends where the next phase
    begins, or now (the run's end) while it is the last."""
    end_of_run = state.t_end_ns or now_ns
    out = []
    for i, (t, name) in enumerate(state.phases):
        if name in WAYS:
            after = state.phases[i + 1][0] if i + 1 < len(state.phases) else end_of_run
            out.append((name, t, max(t, after)))
    return out


def arrivals(state: RunState) -> np.ndarray:
    """Every request's arrival at the server (ns), sorted (the server's live series)."""
    series = state.series.get(ARRIVAL)
    if not series:
        return np.empty(0, dtype=np.int64)
    return np.sort(np.fromiter((t for t, _ in series), dtype=np.int64, count=len(series)))


def refused(state: RunState) -> np.ndarray:
    """The arrival times (ns) of the requests the server answered with 429, sorted."""
    times = [value[0] for _, value in state.series.get(REQUEST, ()) if value[1] == TOO_MANY]
    return np.sort(np.array(times, dtype=np.int64))


def in_last_second(times: np.ndarray, at: np.ndarray, since: int) -> np.ndarray:
    """How many of `times` (sorted ns) lie in (t − 1 s, t] for each t of `at`, not counting
    those before `since` (the phase's start)."""
    upto = np.searchsorted(times, at, side="right")
    begin = np.searchsorted(times, np.maximum(at - SECOND_NS, since - 1), side="right")
    return upto - begin


def rate_steps(times: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """The step line of arrivals in the last second over [start, end] (ns): (t, count)
    at every change — an arrival (+1), and one second after it (−1) — as corner points."""
    inside = times[(times >= start) & (times <= end)]
    edges = np.concatenate(([start], inside, inside + SECOND_NS, [end]))
    edges = np.unique(edges[(edges >= start) & (edges <= end)])
    counts = in_last_second(times, edges, start)
    # A step: each count holds until the next edge (a point at each corner).
    x = np.repeat(edges, 2)[1:]
    y = np.repeat(counts, 2)[:-1]
    return x, y


class RateLimitChart(ScenarioChart):
    """One plot, the server's view: a step line of the requests that arrived in the second
    before (phase by phase, each from its own start), the server's limit as a dashed line,
    each 429 marked × on the line where it arrived, and each phase named over its stretch
    with its count of 429s. Live: the line grows as the server reports (every ~50 ms).
    """

    READS = Reads(
        series=(ARRIVAL, REQUEST),
        phases=PHASES,
        metrics=METRICS,
        clock_s=0.2,  # the last second's count falls as time passes without arrivals
    )
    #: The rate line (accent), the limit (limit), a 429 (bad); phase names muted.
    MEANINGS: ClassVar[tuple[str, ...]] = ("accent", "limit", "bad", "muted")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        t = theme.current()
        self.plot = self.addPlot(row=0, col=0)
        style_plot(self.plot, TITLE, left=LEFT_AXIS, bottom=BOTTOM_AXIS, short=SHORT_TITLE)
        self.plot.setMouseEnabled(x=False, y=False)
        self.rate = self.plot.plot(pen=theme.pen(t.accent, 2), connect="finite")
        self.limit = pg.InfiniteLine(
            angle=0,
            pos=10,
            pen=theme.pen(t.limit, 2, Qt.PenStyle.DashLine),
            label="server limit",
            labelOpts={"position": 0.98, "anchors": [(1, 1), (1, 1)], "color": t.limit},
        )
        self.plot.addItem(self.limit)
        self.refusals = pg.ScatterPlotItem(
            size=theme.px(MARK_PX), symbol="x", pen=None, brush=pg.mkBrush(t.bad)
        )
        self.plot.addItem(self.refusals)
        self.starts: list[pg.InfiniteLine] = []
        self.labels: list[pg.TextItem] = []
        self.x_max, self.y_max = SteppedRange(2.0), SteppedRange(12.0)
        self.key = pg.LabelItem("", justify="left")
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(self.key, row=1, col=0)
        self._key_shown = True
        self._key_html = ""
        #: What the plot shows now (tests read it): the 429s' (s, count), each phase's label.
        self.marked: list[tuple[float, int]] = []
        self.phase_texts: list[str] = []
        self.reset()

    def clear_run(self) -> None:
        self.rate.setData([], [])
        self.refusals.setData([], [])
        for item in self.starts + self.labels:
            self.plot.removeItem(item)
        self.starts, self.labels = [], []
        self.marked, self.phase_texts = [], []
        self.x_max.reset()
        self.y_max.reset()
        self.plot.setXRange(0, self.x_max.value, padding=0)
        self.plot.setYRange(0, self.y_max.value, padding=0)
        self._set_key()

    def draw(self, state: RunState, now_ns: int) -> None:
        limit = float(state.metrics.get(SERVER_RPS) or state.spec.params.get(SERVER_RPS, 10))
        self.limit.setPos(limit)
        self.limit.label.setFormat(f"server limit {limit:g}/s")
        windows = way_windows(state, now_ns)
        if not windows:
            return
        t0 = windows[0][1]
        times, bad = arrivals(state), refused(state)
        xs, ys, marks, texts = [], [], [], []
        for way, start, end in windows:
            x, y = rate_steps(times, start, end)
            xs += [(x - t0) / 1e9, [np.nan]]
            ys += [y.astype(float), [np.nan]]
            mine = bad[(bad >= start) & (bad <= end)]
            counts = in_last_second(times, mine, start)
            marks += list(zip(((mine - t0) / 1e9).tolist(), counts.tolist(), strict=True))
            texts.append(f"{WAY_NAMES[way]}: {len(mine)} × 429")
        x_all, y_all = np.concatenate(xs), np.concatenate(ys)
        self.rate.setData(x_all, y_all)
        self.marked = marks
        self.refusals.setData([m[0] for m in marks], [m[1] for m in marks])
        self.phase_texts = texts
        self._label_phases([(s - t0) / 1e9 for _, s, _ in windows], texts)
        right = (windows[-1][2] - t0) / 1e9
        if self.x_max.fit(right, 1.05):
            self.plot.setXRange(0, self.x_max.value, padding=0)
        if self.y_max.fit(max(float(np.nanmax(y_all, initial=0)), limit), 1.25):
            self.plot.setYRange(0, self.y_max.value, padding=0)
        for label in self.labels:  # along the top of the plot
            label.setPos(label.pos().x(), self.y_max.value)

    def _label_phases(self, starts: list[float], texts: list[str]) -> None:
        """A dashed line where each phase begins, with its name and 429s at the top."""
        t = theme.current()
        while len(self.starts) < len(starts):
            line = pg.InfiniteLine(angle=90, pen=theme.pen(t.muted, 1, Qt.PenStyle.DotLine))
            label = text_item(anchor=(0, 0), color=t.muted)
            self.plot.addItem(line)
            self.plot.addItem(label)
            self.starts.append(line)
            self.labels.append(label)
        for row, (line, label, x, text) in enumerate(
            zip(self.starts, self.labels, starts, texts, strict=False)
        ):
            line.setPos(x)
            label.setPos(x, self.y_max.value)
            # A row each, down from the top: a phase of one second leaves the next phase's
            # name too little room beside its own on a long time axis.
            label.setAnchor((0, -LABEL_ROW * row))
            label.setHtml(styled(text, size=LABEL_PT, color=t.muted))

    def _set_key(self) -> None:
        """The key to the marks, under the plot."""
        t = theme.current()
        key = (
            f"{styled('━', color=t.accent)} arrivals in the second before · "
            f"{styled('╍', color=t.limit)} the server's limit · "
            f"{styled('×', color=t.bad)} refused: 429 Too Many Requests"
        )
        text = styled(key, size=KEY_PT, color=t.foreground)
        if text != self._key_html:
            self._key_html = text
            self.key.setText(text)
            self.wrap_to_width(self.key)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the key wraps to the new width, or leaves a short chart to the plot."""
        super().resizeEvent(event)
        if "key" in vars(self) and not self.closed:
            show = self.height() >= theme.px(SHORT_PX)
            if show != self._key_shown:
                if show:
                    self.addItem(self.key, row=1, col=0)
                else:
                    self.ci.removeItem(self.key)
                self._key_shown = show
            self.wrap_to_width(self.key)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        t = theme.current()
        parts = []
        unlimited, limited = metrics.get(STATUS_429_UNLIMITED), metrics.get(STATUS_429_LIMITED)
        if unlimited is not None:
            held = "✓" if unlimited > 0 else "✗"
            parts.append(f"no limiter: {bold(f'{unlimited} × 429', t.bad)} (> 0 {held})")
        if limited is not None:
            color, held = (t.good, "✓") if limited == 0 else (t.bad, "✗")
            parts.append(f"shared limiter: {bold(f'{limited} × 429', color)} (= 0 {held})")
        busiest, server = metrics.get(MAX_RPS_LIMITED), metrics.get(SERVER_RPS)
        if busiest is not None and server:
            ceiling = server * RPS_MARGIN
            held = "✓" if busiest <= ceiling else "✗"
            parts.append(f"busiest second {bold(str(busiest))} ≤ {ceiling:g} {held}")
        took, expected = metrics.get(LIMITED_S), metrics.get(EXPECTED_LIMITED_S)
        if took is not None and expected:
            client = metrics.get(CLIENT_RPS) or server
            parts.append(
                f"{duration_text(took)} at {client:g}/s "
                f"(expected {duration_text(expected)}, {took / expected:.2f}×)"
            )
        if metrics.get(RETRY_S) is not None:
            failed = metrics.get(RETRY_FAILED) or 0
            parts.append(
                f"retrying: {metrics.get(STATUS_429_RETRY)} × 429, "
                f"{'all fetched' if not failed else f'{failed} never fetched'} in "
                f"{duration_text(metrics[RETRY_S])}"
            )
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = RateLimitChart
