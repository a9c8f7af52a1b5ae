"""The web-fetch chart: the server's view (requests in flight at it, one line per way) beside
the clients' view (each lane's fetches, row by row), on one time scale from each way's start;
under them the wall times, with the pools' speedups over serial."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import Lane, RunState
from mpgui.scenarios.web_fetch.model import (
    ARRIVAL,
    MAX_IN_FLIGHT,
    METRICS,
    PHASES,
    POOL,
    POOL_SPEEDUP,
    POOL_START_MS,
    REQUEST,
    SERIAL,
    STATUS_COUNTS,
    THREADS,
    THREADS_SPEEDUP,
    THREADS_START_MS,
    WALL_PREFIX,
    WAYS,
    in_flight_steps,
    wall_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import (
    Bars,
    LabelledBars,
    SteppedRange,
    fitting_ticks,
    lane_name,
    px_per_unit,
    style_plot,
    text_item,
    tick_font,
)
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    duration_text,
    latest,
    phase_window,
    speedup_text,
    task_spans,
)

#: The bars' names (the ways), top to bottom.
WAY_NAMES = {SERIAL: "serial", POOL: "Pool", THREADS: "ThreadPool"}
#: Each way's line in the server's plot: a dash style of its own beside its colour.
WAY_DASH = {
    SERIAL: Qt.PenStyle.SolidLine,
    POOL: Qt.PenStyle.DashLine,
    THREADS: Qt.PenStyle.DotLine,
}
#: The plots' titles, and their short forms for a narrow chart.
SERVER_TITLE, SERVER_SHORT = "At the server: requests in flight", "Server: in flight"
CLIENTS_TITLE, CLIENTS_SHORT = "At the clients: each lane's fetches", "Clients' fetches"
#: Time runs from each way's start (the notice says so): every way's line starts at 0.
TIME_AXIS = "seconds"
#: A fetch's bar in its lane's row.
FETCH_FILL = 0.7
#: The wall-time bars take at most this share of the chart's height.
BARS_SHARE = 0.3
#: Below this height (px at 100 %) only the server's plot and the bars are shown: the lanes'
#: rows would be slivers (presentation mode at 1024×768; the Timeline panel has them too).
TINY_PX = 260
#: Below this height (px at 100 %) the bars alone take the chart.
BARS_ONLY_PX = 180


def colors() -> dict[str, str]:
    """Each way's colour: serial muted, the two pools two categorical colours."""
    t = theme.current()
    return {SERIAL: t.muted, POOL: t.categories[0], THREADS: t.categories[1]}


def in_flight(state: RunState, span: tuple[int, int], now_ns: int) -> tuple[np.ndarray, ...]:
    """Requests in flight at the server in `span` (ns), as a step line (x s from its start,
    count): +1 at each arrival (``server.arrival``), -1 at each finish (``server.request``,
    matched to the way by its arrival). One arrived and not yet finished is still in flight."""
    t0, t1 = span
    arrivals = [t for t, _ in state.series.get(ARRIVAL, ()) if t0 <= t < t1]
    finishes = [t for t, (arrived, *_) in state.series.get(REQUEST, ()) if t0 <= arrived < t1]
    if not arrivals:
        return np.empty(0), np.empty(0)
    steps = in_flight_steps(arrivals, finishes)
    xs, ys = [0.0], [0.0]
    for t, count in steps:
        x = (t - t0) / 1e9
        xs += [x, x]
        ys += [ys[-1], count]
    end = min(now_ns, t1) if not state.finished else steps[-1][0]
    xs.append(max(xs[-1], (end - t0) / 1e9))
    ys.append(ys[-1])
    return np.array(xs), np.array(ys, dtype=float)


def wall_time(state: RunState, way: str) -> float | None:
    """`way`'s wall time (s): the result's, or while the run is on its live sample."""
    final = state.metrics.get(f"{way}_s")
    return final if final is not None else latest(state, wall_series(way))


@dataclass
class Fetches:
    """One way's fetches as its lanes saw them: a row name per lane, and each fetch's bar
    (row, start s, end s) from the way's start."""

    rows: list[str]
    bars: list[tuple[int, float, float]]


def fetches(state: RunState, span: tuple[int, int], now_ns: int) -> Fetches:
    """The fetches (tasks) that began in `span`, lane by lane — a lane only if it fetched —
    with a fetch still on drawn up to now."""
    t0 = span[0]
    spans = task_spans(state, span, now_ns)
    lanes: list[Lane] = [state.lanes[i] for i in sorted({i for i, _, _ in spans})]
    row_of = {lane.index: row for row, lane in enumerate(lanes)}
    bars = [(row_of[i], (s - t0) / 1e9, (e - t0) / 1e9) for i, s, e in spans]
    return Fetches([lane_name(lane) for lane in lanes], bars)


class ServerPlot:
    """Requests in flight at the server over time, one step line per way (its colour and its
    dash), each named at its peak ("Pool: 8 at once")."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        plot.setMouseEnabled(x=False, y=False)
        style_plot(plot, SERVER_TITLE, left="in flight", bottom=TIME_AXIS, short=SERVER_SHORT)
        palette = colors()
        self.curves = {
            way: plot.plot([], [], pen=theme.pen(palette[way], 2.5, WAY_DASH[way])) for way in WAYS
        }
        # Serial's name ends where its line does, above it; the pools' peaks meet at one
        # height: the Pool's name above its line, the ThreadPool's below, so the two never
        # cover each other.
        anchors = {SERIAL: (1, 1), POOL: (0, 1), THREADS: (0, 0)}
        self.labels = {way: text_item(anchor=anchors[way], color=palette[way]) for way in WAYS}
        for label in self.labels.values():
            plot.addItem(label)
        self._top = 0

    def clear(self) -> None:
        """Draw nothing."""
        for way in WAYS:
            self.curves[way].setData([], [])
            self.labels[way].setText("")
        self._set_top(2)

    def _set_top(self, top: int) -> None:
        """Show 0 to `top` requests in flight."""
        if top != self._top:
            self._top = top
            self.plot.setYRange(0, top, padding=0)

    def draw(self, lines: dict[str, tuple[np.ndarray, np.ndarray]], workers: int) -> float:
        """Draw each way's line (x s, count); return the longest's length (s). The count
        axis reaches past `workers`, the most a pool can have in flight (room for names)."""
        longest, top = 0.0, workers
        for way in WAYS:
            xs, ys = lines.get(way, (np.empty(0), np.empty(0)))
            self.curves[way].setData(xs, ys)
            if not len(xs):
                self.labels[way].setText("")
                continue
            peak = int(ys.max())
            last_at_peak = xs[-1] if way == SERIAL else xs[np.nonzero(ys == peak)[0][-1]]
            self.labels[way].setText(f"{WAY_NAMES[way]}: {peak} at once")
            self.labels[way].setPos(last_at_peak, peak)
            longest, top = max(longest, float(xs[-1])), max(top, peak)
        self._set_top(int(top * 1.3) + 2)
        return longest


class ClientPlot:
    """Each lane's fetches, a row per lane that fetched — the conductor's "main" (serial),
    the Pool's processes by pid, the ThreadPool's "thread 1" … — grouped by way, top down,
    a bar per fetch in its way's colour. Each group's way is written on the right ("serial",
    "Pool", "ThreadPool"), so that the colour is not what tells them apart."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        plot.setMouseEnabled(x=False, y=False)
        plot.invertY(True)  # serial on top, as in the bars
        palette = colors()
        # Outlined in the background's colour: fetches back to back stay apart.
        edge = theme.pen(theme.current().background, 1)
        self.bars = {
            way: Bars(x0=[], y=[], width=[], height=FETCH_FILL, pen=edge, brush=palette[way])
            for way in WAYS
        }
        for bars in self.bars.values():
            plot.addItem(bars)
        muted = theme.current().muted
        self.dividers = [
            pg.InfiniteLine(angle=0, pen=theme.pen(muted, 1, Qt.PenStyle.DashLine))
            for _ in WAYS[1:]
        ]
        for line in self.dividers:
            plot.addItem(line)
        style_plot(plot, CLIENTS_TITLE, bottom=TIME_AXIS, short=CLIENTS_SHORT)
        # The ways' names, a tick at each group's middle, on an axis of their own.
        plot.showAxis("right")
        names = plot.getAxis("right")
        names.setPen(theme.pen(muted))
        names.setTextPen(theme.FOREGROUND)
        names.setStyle(tickFont=tick_font(), tickLength=0)
        self.rows: list[str] = []
        #: Each way's name and its group's middle row, as drawn.
        self.groups: list[tuple[float, str]] = []
        plot.getViewBox().sigResized.connect(self.fit_rows)

    def clear(self) -> None:
        """Draw nothing."""
        self.draw({})

    def draw(self, ways: dict[str, Fetches]) -> float:
        """Draw each way's rows under the last's; return the longest fetch's end (s)."""
        rows: list[str] = []
        groups: list[tuple[float, str]] = []
        longest = 0.0
        for k, way in enumerate(WAYS):
            got = ways.get(way, Fetches([], []))
            offset = len(rows)
            if got.rows:
                groups.append((offset + (len(got.rows) - 1) / 2, WAY_NAMES[way]))
            if k:
                self.dividers[k - 1].setPos(offset - 0.5)
                self.dividers[k - 1].setVisible(bool(got.rows) and offset > 0)
            rows += got.rows
            data = np.array([(offset + r, s, e) for r, s, e in got.bars], dtype=float)
            data = data.reshape(-1, 3)
            self.bars[way].setOpts(
                x0=data[:, 1], width=np.maximum(data[:, 2] - data[:, 1], 0), y=data[:, 0]
            )
            longest = max([longest, *data[:, 2]])
        if groups != self.groups:
            self.groups = groups
            self.plot.getAxis("right").setTicks([groups])
        if rows != self.rows:
            self.rows = rows
            self.plot.setYRange(-0.5, max(1, len(rows)) - 0.5, padding=0)
            self.fit_rows()
        return longest

    def fit_rows(self) -> None:
        """Label the rows, thinned so that no two labels overlap at this size."""
        _, per_row = px_per_unit(self.plot)
        self.plot.getAxis("left").setTicks([fitting_ticks(self.rows, per_row, vertical=True)])


class WebFetchChart(ScenarioChart):
    """Above, side by side on one time scale from each way's start: the server's view —
    requests in flight at it, a line per way — and the clients' view — each lane's fetches,
    row by row. Below, each way's wall time, the pools' with their speedups over serial.
    All of it live: the lines and rows grow while the pages are fetched."""

    READS = Reads(
        series=(ARRIVAL, REQUEST),
        series_prefixes=(WALL_PREFIX,),
        phases=PHASES,
        metrics=METRICS,
        tasks=True,  # the lanes' fetches
        clock_s=0.2,  # a fetch still on grows while you watch
    )
    #: Serial (muted) and the two pools (categorical colours).
    MEANINGS: ClassVar[tuple[str, ...]] = ("muted", "categories")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.server = ServerPlot(self.addPlot(row=0, col=0))
        self.clients = ClientPlot(self.addPlot(row=0, col=1))
        palette = colors()
        bars_plot = self.addPlot(row=1, col=0, colspan=2)
        style_plot(bars_plot, "Wall time: fetching only", short="Wall time")
        bars_plot.hideAxis("bottom")  # each bar has its time written after it
        self.bars = LabelledBars(
            bars_plot,
            [WAY_NAMES[way] for way in WAYS],
            [palette[way] for way in WAYS],
            duration_text,
            1.0,
        )
        self._x = SteppedRange(1.0, factor=1.25)
        self.reset()

    def clear_run(self) -> None:
        self.server.clear()
        self.clients.clear()
        self.bars.reset()
        self._x.reset()
        self._set_x()

    def _set_x(self) -> None:
        """Both views on one time scale."""
        for plot in (self.server.plot, self.clients.plot):
            plot.setXRange(0, self._x.value, padding=0)

    def draw(self, state: RunState, now_ns: int) -> None:
        lines, rows = {}, {}
        for way in WAYS:
            span = phase_window(state, way, now_ns)
            if span is not None:
                lines[way] = in_flight(state, span, now_ns)
                rows[way] = fetches(state, span, now_ns)
        workers = int(state.spec.params.get("workers") or 1)
        longest = max(self.server.draw(lines, workers), self.clients.draw(rows))
        if self._x.fit(longest, 1.05):
            self._set_x()
        self.draw_times(state)

    def draw_times(self, state: RunState) -> None:
        """The wall-time bars: each way's figure once measured, the pools' with speedups."""
        values = [wall_time(state, way) for way in WAYS]
        self.bars.set(values)
        serial = values[0]
        for i, value in enumerate(values[1:], start=1):
            if value and serial:
                # The same words as the readout's: "2.00×", or "— no faster" near 1.
                speedup = speedup_text(serial / value)
                self.bars.labels[i].setText(f" {duration_text(value)} {speedup}")

    def _show(self, plot: pg.PlotItem, col: int, show: bool) -> None:
        """Put `plot` (a view, in row 0 at `col`) in the layout, or take it out."""
        shown = plot in self.ci.items
        if show and not shown:
            self.addItem(plot, row=0, col=col)
        elif not show and shown:
            self.ci.removeItem(plot)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the bars keep their share. A tiny chart keeps only the server's view
        and the bars; a tinier one (presenting at 1024×768) the bars alone — the Timeline
        panel still shows every lane's fetches."""
        super().resizeEvent(event)
        if "bars" in vars(self) and not self.closed:
            height = self.height()
            bars_only = height < theme.px(BARS_ONLY_PX)
            self._show(self.clients.plot, 1, height >= theme.px(TINY_PX))
            self._show(self.server.plot, 0, not bars_only)
            share = 1.0 if bars_only else BARS_SHARE
            self.ci.layout.setRowMaximumHeight(1, max(theme.px(70), share * height))

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        palette = colors()
        parts = []
        for way, speedup in ((POOL, POOL_SPEEDUP), (THREADS, THREADS_SPEEDUP)):
            if metrics.get(speedup) is not None:
                text = speedup_text(metrics[speedup])
                parts.append(f"{WAY_NAMES[way]} {bold(text, palette[way])}")
        if metrics.get(MAX_IN_FLIGHT) is not None:
            parts.append(f"at most {bold(str(metrics[MAX_IN_FLIGHT]))} in flight at the server")
        counts = metrics.get(STATUS_COUNTS)
        if counts:
            parts.append(
                "statuses " + ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))
            )
        if metrics.get(POOL_START_MS) is not None and metrics.get(THREADS_START_MS) is not None:
            parts.append(
                f"start-up: Pool {duration_text(metrics[POOL_START_MS] / 1000)}, "
                f"ThreadPool {duration_text(metrics[THREADS_START_MS] / 1000)}"
            )
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = WebFetchChart
