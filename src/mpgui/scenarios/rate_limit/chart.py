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
    SCENARIO,
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
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    duration_text,
    phase_window,
    styled,
)

#: Each phase's name on the chart.
WAY_NAMES = {UNLIMITED: "no limiter", LIMITED: "shared limiter", RETRY: "retry after 429"}
#: The plot's title, its short form, and its axes.
TITLE = "Requests arriving at the server per second"
SHORT_TITLE = "Requests/s at the server"
LEFT_AXIS = "requests in the last second"
BOTTOM_AXIS = "time since the no-limiter phase began (s)"
#: The limit drawn before a run says its own: the parameter's default.
DEFAULT_LIMIT = next(p.default for p in SCENARIO.params if p.name == SERVER_RPS)
#: The status a rate-limited server refuses with.
TOO_MANY = 429
#: Text size (pt at 100 %) of the key under the plot, and of the phases' labels.
KEY_PT, LABEL_PT = 9, 10
#: Below this height (px at 100 %) the chart shows no key (the notice says what the marks are).
SHORT_PX = 300
#: How far (in label heights) each row of the phases' names sits below the one above.
LABEL_ROW = 1.0
#: The space (a fraction of the time axis) between the no-limiter spike and its name.
LABEL_GAP = 0.01
#: The most of the plot's height the names at its top may keep the lines below out of.
MAX_LABEL_SHARE = 0.6
#: The marks' sizes (px at 100 %): a 429's ×.
MARK_PX = 11


def way_windows(state: RunState, now_ns: int) -> list[tuple[str, int, int]]:
    """Every fetching phase so far as (way, start, end ns), in the order they ran (each
    once): it ends where the next phase begins, or now (the run's end) while it is the last."""
    windows = ((way, phase_window(state, way, now_ns)) for way in WAYS)
    return [(way, *window) for way, window in windows if window is not None]


def phase_text(way: str, arrived: int, seconds: float, refused: int) -> str:
    """A phase's label: its name, how many requests arrived in how long (its rate, which a
    spike shorter than the one-second window does not show), and its 429s."""
    return f"{WAY_NAMES[way]}: {arrived} in {duration_text(seconds)}, {refused} × 429"


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
            pos=DEFAULT_LIMIT,
            pen=theme.pen(t.limit, 2, Qt.PenStyle.DashLine),
            label="server limit",
            # Over the limited phase, where nothing rises above the limit (the retry phase's
            # 429s, at the right, do).
            labelOpts={"position": 0.35, "anchors": [(0.5, 1), (0.5, 1)], "color": t.limit},
        )
        self.plot.addItem(self.limit)
        self.refusals = pg.ScatterPlotItem(
            size=theme.px(MARK_PX), symbol="x", pen=None, brush=pg.mkBrush(t.bad)
        )
        self.plot.addItem(self.refusals)
        self.starts: list[pg.InfiniteLine] = []
        self.labels: list[pg.TextItem] = []
        self._label_x: list[float] = []  # where each name goes (s), the spike's beside it
        self._label_html: list[str] = []  # what each name shows
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
        self._label_x, self._label_html = [], []
        self.marked, self.phase_texts = [], []
        self.x_max.reset()
        self.y_max.reset()
        self.plot.setXRange(0, self.x_max.value, padding=0)
        self.plot.setYRange(0, self.y_max.value, padding=0)
        self._set_key()

    def draw(self, state: RunState, now_ns: int) -> None:
        limit = float(
            state.metrics.get(SERVER_RPS) or state.spec.params.get(SERVER_RPS, DEFAULT_LIMIT)
        )
        self.limit.setPos(limit)
        self.limit.label.setFormat(f"server limit {limit:g}/s")
        windows = way_windows(state, now_ns)
        if not windows:
            return
        t0 = windows[0][1]
        times, bad = arrivals(state), refused(state)
        xs, ys, marks, texts, at = [], [], [], [], []
        spike, others = 0.0, limit  # the no-limiter phase's peak; the rest's (and the limit)
        for way, start, end in windows:
            x, y = rate_steps(times, start, end)
            peak = float(y.max(initial=0))
            if way == UNLIMITED:
                spike = max(spike, peak)
            else:
                others = max(others, peak)
            xs += [(x - t0) / 1e9, [np.nan]]
            ys += [y.astype(float), [np.nan]]
            mine = bad[(bad >= start) & (bad <= end)]
            counts = in_last_second(times, mine, start)
            marks += list(zip(((mine - t0) / 1e9).tolist(), counts.tolist(), strict=True))
            arrived = int(np.count_nonzero((times >= start) & (times <= end)))
            texts.append(phase_text(way, arrived, (end - start) / 1e9, len(mine)))
            # The no-limiter phase is a spike a fraction of a second wide, as tall as the
            # plot: its name goes just right of it, not over it.
            at.append((end if way == UNLIMITED else start) - t0)
        x_all, y_all = np.concatenate(xs), np.concatenate(ys)
        self.rate.setData(x_all, y_all)
        self.marked = marks
        self.refusals.setData([m[0] for m in marks], [m[1] for m in marks])
        self.phase_texts = texts
        self._label_phases([(s - t0) / 1e9 for _, s, _ in windows], texts)
        self._label_x = [a / 1e9 for a in at]
        right = (windows[-1][2] - t0) / 1e9
        if self.x_max.fit(right, 1.05):
            self.plot.setXRange(0, self.x_max.value, padding=0)
        # The phases' names take rows at the top, over every line but the spike's (its name
        # is beside it): those lines, and the limit's own label, stay below the rows.
        share = self._label_share(self._place_labels())
        if share >= MAX_LABEL_SHARE:  # a short plot: the names alone (the readout counts)
            self._label_phases([], [WAY_NAMES[way] for way, _, _ in windows])
            share = self._label_share(self._place_labels())
        below = 1.0 - share
        if self.y_max.fit(max(spike, others / below), 1.05):
            self.plot.setYRange(0, self.y_max.value, padding=0)
        self._place_labels()

    def _label_share(self, rows: int) -> float:
        """How much of the plot's height `rows` rows of names and the limit's label take, at
        most :data:`MAX_LABEL_SHARE`."""
        height = self.plot.vb.height()
        if not self.labels or height <= 0:
            return MAX_LABEL_SHARE
        row = self.labels[0].textItem.boundingRect().height()
        return min(MAX_LABEL_SHARE, (rows + 1) * row / height)

    def _label_phases(self, starts: list[float], texts: list[str]) -> None:
        """A dotted line at each of `starts` (none: leave them), and the phases' `texts`."""
        t = theme.current()
        while len(self.starts) < len(starts):
            line = pg.InfiniteLine(angle=90, pen=theme.pen(t.muted, 1, Qt.PenStyle.DotLine))
            label = text_item(anchor=(0, 0), color=t.muted)
            self.plot.addItem(line)
            self.plot.addItem(label)
            self.starts.append(line)
            self.labels.append(label)
            self._label_html.append("")
        for line, x in zip(self.starts, starts, strict=False):
            line.setPos(x)
        for i, (label, text) in enumerate(zip(self.labels, texts, strict=False)):
            html = styled(text, size=LABEL_PT, color=t.muted)
            if html != self._label_html[i]:  # set only when it changed: it is laid out anew
                self._label_html[i] = html
                label.setHtml(html)

    def _place_labels(self) -> int:
        """Each phase's name along the top from where it belongs (the spike's just right of
        it), moved left if it would run past the plot's right edge, in the first row down
        from the top where it meets no other name; return how many rows that took."""
        width_px = self.plot.vb.width()  # the x range is [0, x_max], without padding
        per_px = self.x_max.value / width_px if width_px > 0 else 0.0
        gap = self.x_max.value * LABEL_GAP
        ends: list[float] = []  # where each row's last name ends (s)
        for line, label, at in zip(self.starts, self.labels, self._label_x, strict=False):
            x = at + gap if at > line.value() else at
            width = label.textItem.boundingRect().width() * per_px
            x = max(0.0, min(x, self.x_max.value - width))
            # Not laid out yet (no width known): a row each.
            free = [r for r, end in enumerate(ends) if x >= end + gap] if per_px else []
            row = free[0] if free else len(ends)
            if row == len(ends):
                ends.append(0.0)
            ends[row] = x + width
            label.setAnchor((0, -LABEL_ROW * row))
            label.setPos(x, self.y_max.value)
        return len(ends)

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
            self._place_labels()

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
