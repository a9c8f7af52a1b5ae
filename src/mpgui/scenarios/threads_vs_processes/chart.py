"""The threads-vs-processes chart: wall times of both workloads serially, on threads and on
processes (with the speedups), and the computing tasks lane by lane — threads of one process
taking turns, processes side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from mpgui.core.model.run_state import Lane, RunState
from mpgui.core.protocol.cpu import usable_cores
from mpgui.scenarios.threads_vs_processes.model import (
    CPU,
    CPU_PROCESSES_SPEEDUP,
    CPU_THREADS_SPEEDUP,
    IO,
    IO_THREADS_SPEEDUP,
    METRICS,
    PHASES,
    PROCESSES,
    PROCESSES_START_MS,
    RUNNING_PREFIX,
    SAMPLE_PREFIX,
    SERIAL,
    THREADS,
    THREADS_START_MS,
    WAYS,
    measurement,
    most_at_once,
    running_series,
    sample_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import Bars, LabelledBars, fitting_ticks, px_per_unit, style_plot
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    duration_text,
    lines,
    phase_window,
    series_median,
    speedup_text,
    styled,
    task_spans,
)

#: Each workload's plot title, and its short form for a narrow chart.
TITLES = {IO: "Tasks that wait (I/O)", CPU: "Tasks that compute (CPU)"}
SHORT_TITLES = {IO: "I/O", CPU: "CPU"}
#: The bars' names, top to bottom (the ways).
WAY_NAMES = {SERIAL: "serial", THREADS: "threads", PROCESSES: "processes"}
#: A lane's row: the task's bar (begun, not yet over) and, inside it, the stretches it ran.
TASK_FILL, RUN_FILL = 0.8, 0.5
#: The bars' row takes at most this share of the chart's height: the lanes, a row each, need
#: the rest (a grid layout would share it out evenly).
BARS_SHARE = 0.3
#: Below this height (px at 100 %) the chart shows no key to the marks under the lanes.
SHORT_PX = 330
#: Below this height (px at 100 %), no lanes and no text under them: the bars take the chart
#: (presentation mode at 1024×768; the Timeline panel still shows every lane).
TINY_PX = 200
#: Text size (pt at 100 %) of the key under the plots.
KEY_PT = 9
#: The time axis's label.
TIME_AXIS = "seconds"


def colors() -> dict[str, str]:
    """Each way's colour: serial muted, threads and processes two categorical colours."""
    t = theme.current()
    return {SERIAL: t.muted, THREADS: t.categories[0], PROCESSES: t.categories[1]}


def way_lanes(state: RunState, way: str) -> list[Lane]:
    """The lanes that run `way`'s tasks: the thread lanes, or the pool's process lanes."""
    if way == THREADS:
        return [lane for lane in state.lanes if lane.tid]
    return [lane for lane in state.lanes if not lane.tid and lane.role == "worker" and lane.pid > 0]


def times(state: RunState) -> dict[str, float]:
    """Each timed region's figure: the result's median, or while the run is on the median
    of the rounds measured so far."""
    out = {}
    for work in (IO, CPU):
        for way in WAYS:
            name = measurement(work, way)
            final = state.metrics.get(f"{name}_s")
            figure = final if final is not None else series_median(state, sample_series(name))
            if figure is not None:
                out[name] = figure
    return out


@dataclass
class Lanes:
    """What one way's lane plot shows: a row per lane, its tasks' bars (start, end ns), the
    stretches it really computed, and how many computed at once."""

    rows: list[str]
    tasks: list[tuple[int, int, int]]  # (row, start, end)
    stretches: list[tuple[int, int, int]]  # (row, start, end)
    at_once: int
    process: int  # the threads' process (threads only)


def lanes_of(state: RunState, way: str, now_ns: int) -> Lanes | None:
    """`way`'s lanes in the latest round of its CPU phase (None before it began)."""
    span = phase_window(state, measurement(CPU, way), now_ns)
    if span is None:
        return None
    t0, t1 = span
    lanes = way_lanes(state, way)
    row_of = {lane.index: row for row, lane in enumerate(lanes)}
    rows = [lane.label if lane.tid else str(lane.pid) for lane in lanes]
    tasks = [(row_of[i], start, end) for i, start, end in task_spans(state, span, now_ns, row_of)]
    stretches = []
    for lane in lanes:
        for end, ms in state.series.get(running_series(way, lane.pid), ()):
            start = end - int(ms * 1e6)
            if t0 <= start < t1:
                stretches.append((row_of[lane.index], start, end))
    at_once = most_at_once([(s, e) for _, s, e in stretches])
    process = lanes[0].process if lanes and way == THREADS else 0
    return Lanes(rows, tasks, stretches, at_once, process)


#: The lanes plot's title, and its short form.
LANES_TITLE = "CPU tasks, latest round: threads of one process, then processes"
LANES_SHORT_TITLE = "CPU tasks by lane"


def verdict(way: str, lanes: Lanes | None) -> str:
    """What `way`'s lanes showed: how many computed at once ("" before they ran)."""
    if lanes is None or not lanes.stretches:
        return ""
    if way == THREADS:
        why = " — the GIL" if lanes.at_once == 1 else ""
        return f"threads of pid {lanes.process}: at most {lanes.at_once} computing at once{why}"
    return f"processes: at most {lanes.at_once} at once — {usable_cores()} cores"


class LanePlot:
    """The threads' lanes above, the processes' below: each task's bar outlined from its start
    to its end, filled (in its way's colour) where the task really computed. Each way's time
    from the start of its own phase, so their lengths compare."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        plot.setMouseEnabled(x=False, y=False)
        plot.invertY(True)  # the threads on top
        t = theme.current()
        self.tasks = Bars(
            x0=[], y=[], width=[], height=TASK_FILL, pen=theme.pen(t.muted, 1), brush=None
        )
        plot.addItem(self.tasks)
        self.running = {
            way: Bars(x0=[], y=[], width=[], height=RUN_FILL, pen=None, brush=colors()[way])
            for way in (THREADS, PROCESSES)
        }
        for bars in self.running.values():
            plot.addItem(bars)
        # Between the threads' rows and the processes'.
        self.divider = pg.InfiniteLine(angle=0, pen=theme.pen(t.muted, 1, Qt.PenStyle.DashLine))
        plot.addItem(self.divider)
        style_plot(plot, LANES_TITLE, bottom=TIME_AXIS, short=LANES_SHORT_TITLE)
        self.rows: list[str] = []
        plot.getViewBox().sigResized.connect(self.fit_rows)

    def clear(self) -> None:
        """Draw nothing."""
        self.draw({})

    def draw(self, ways: dict[str, tuple[Lanes, int]]) -> float:
        """Draw each way's lanes (with its phase's start, ns), one group under the other;
        return how long the longer has run (s)."""
        rows: list[str] = []
        tasks, length = [], 0.0
        for way in (THREADS, PROCESSES):
            lanes, t0 = ways.get(way, (None, 0))
            offset = len(rows)
            if way == PROCESSES:
                self.divider.setPos(offset - 0.5)
            rows += lanes.rows if lanes else []
            spans = [(offset + r, s, e) for r, s, e in lanes.tasks] if lanes else []
            stretches = [(offset + r, s, e) for r, s, e in lanes.stretches] if lanes else []
            tasks += [(r, (s - t0) / 1e9, (e - t0) / 1e9) for r, s, e in spans]
            length = max([length] + [x1 for _, _, x1 in tasks])
            self._set(
                self.running[way], [(r, (s - t0) / 1e9, (e - t0) / 1e9) for r, s, e in stretches]
            )
        self._set(self.tasks, tasks)
        self.divider.setVisible(bool(ways.get(PROCESSES)) and len(rows) > 0)
        if rows != self.rows:
            self.rows = rows
            self.plot.setYRange(-0.5, max(1, len(rows)) - 0.5, padding=0)
            self.fit_rows()
        return length

    def fit_rows(self) -> None:
        """Label the rows, thinned so that no two labels overlap at this size."""
        _, per_row = px_per_unit(self.plot)
        self.plot.getAxis("left").setTicks([fitting_ticks(self.rows, per_row, vertical=True)])

    @staticmethod
    def _set(bars: Bars, spans: list[tuple[int, float, float]]) -> None:
        """Show `spans` (row, x0, x1 s) as `bars`."""
        data = np.array(spans, dtype=float).reshape(-1, 3)
        bars.setOpts(x0=data[:, 1], width=np.maximum(data[:, 2] - data[:, 1], 0), y=data[:, 0])


class ThreadsVsProcessesChart(ScenarioChart):
    """Above, one plot per workload: its wall time serially, on threads and on processes
    (the median of three rounds; while the run is on, of the rounds so far), each pool's bar
    with its speedup over serial. Below, the CPU tasks of the latest round on the threads'
    lanes and on the processes' lanes, on one time scale: an outlined bar from a task's start
    to its end, filled where it really computed — threads one at a time, processes as many at
    once as there are cores.
    """

    READS = Reads(
        series_prefixes=(SAMPLE_PREFIX, RUNNING_PREFIX),
        phases=PHASES,
        metrics=METRICS,
        tasks=True,  # the lanes, their spans and running tasks
        clock_s=0.2,  # a running task's bar grows while you watch
    )
    #: Serial (muted), threads and processes (categorical colours).
    MEANINGS: ClassVar[tuple[str, ...]] = ("muted", "categories")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        palette = colors()
        self.bars: dict[str, LabelledBars] = {}
        for col, work in enumerate((IO, CPU)):
            plot = self.addPlot(row=0, col=col)
            style_plot(plot, TITLES[work], short=SHORT_TITLES[work])
            # Each bar has its seconds written after it: no time axis, the room goes to the
            # lanes. The rows are the same in both plots: named on the left one only.
            plot.hideAxis("bottom")
            if work == CPU:
                plot.hideAxis("left")
            self.bars[work] = LabelledBars(
                plot,
                [WAY_NAMES[way] for way in WAYS],
                [palette[way] for way in WAYS],
                duration_text,
                1.0,
            )
        self.lanes = LanePlot(self.addPlot(row=1, col=0, colspan=2))
        self._key_html = ""
        self._verdicts: list[str] = []
        self.key = pg.LabelItem("", justify="left")
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(self.key, row=2, col=0, colspan=2)
        self._key_shown = True
        self._lanes_shown = True
        self._x_max = 0.0
        self.reset()

    def clear_run(self) -> None:
        for bars in self.bars.values():
            bars.reset()
        self.lanes.clear()
        self._x_max = 0.0
        self.lanes.plot.setXRange(0, 1, padding=0)
        self._set_key([])

    def draw(self, state: RunState, now_ns: int) -> None:
        figures = times(state)
        for work, bars in self.bars.items():
            values = [figures.get(measurement(work, way)) for way in WAYS]
            bars.set(values)
            serial = values[0]
            for i, value in enumerate(values[1:], start=1):
                if value is not None and serial:
                    text = f" {duration_text(value)} {serial / value:.1f}×"
                    bars.labels[i].setText(text)
        ways, verdicts = {}, []
        for way in (THREADS, PROCESSES):
            lanes = lanes_of(state, way, now_ns)
            span = phase_window(state, measurement(CPU, way), now_ns)
            if lanes is not None and span is not None:
                ways[way] = (lanes, span[0])
            verdicts.append(verdict(way, lanes))
        longest = self.lanes.draw(ways)
        if longest * 1.05 > self._x_max:
            self._x_max = longest * 1.25
            self.lanes.plot.setXRange(0, self._x_max, padding=0)
        self._set_key([v for v in verdicts if v])

    def _set_key(self, verdicts: list[str]) -> None:
        """What the lanes showed, and the key to their marks."""
        t = theme.current()
        palette = colors()
        key = (
            f"{styled('▭', color=t.muted)} a task · "
            f"{styled('██', color=palette[THREADS])}{styled('██', color=palette[PROCESSES])} "
            "computing · a gap: waiting for the GIL or a core"
        )
        self._verdicts = verdicts
        # A short chart (a projector) keeps the verdicts, which say what the lanes show,
        # and leaves the key to the marks to the notice: the lanes need the room.
        short, tiny = self._short()
        shown = ([] if tiny else [bold(v) for v in verdicts]) + ([] if short else [key])
        text = styled(lines(*shown), size=KEY_PT, color=t.foreground)
        if text != self._key_html:
            self._key_html = text
            self.key.setText(text)
            self.wrap_to_width(self.key)

    def _show_key(self, show: bool) -> None:
        """Put the key under the lanes, or take it out of the layout (its room to the lanes)."""
        if show != self._key_shown:
            if show:
                self.addItem(self.key, row=2, col=0, colspan=2)
            else:
                self.ci.removeItem(self.key)
            self._key_shown = show

    def _show_lanes(self, show: bool) -> None:
        """Put the lanes under the bars, or take them out (the bars get the whole chart)."""
        if show != self._lanes_shown:
            if show:
                self.addItem(self.lanes.plot, row=1, col=0, colspan=2)
            else:
                self.ci.removeItem(self.lanes.plot)
            self._lanes_shown = show

    def _short(self) -> tuple[bool, bool]:
        """Whether the chart is too short for the key to the marks, and for any text under
        the lanes (the readout has the figures; the notice, what the marks mean)."""
        return self.height() < theme.px(SHORT_PX), self.height() < theme.px(TINY_PX)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the key wraps to the new width."""
        super().resizeEvent(event)
        if "key" in vars(self) and not self.closed:
            tiny = self._short()[1]
            share = 1.0 if tiny else BARS_SHARE
            self.ci.layout.setRowMaximumHeight(0, max(theme.px(60), share * self.height()))
            self._set_key(self._verdicts)
            self.wrap_to_width(self.key)
            self._show_key(not tiny)
            self._show_lanes(not tiny)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        palette = colors()
        parts = []
        if metrics.get(IO_THREADS_SPEEDUP) is not None:
            speedup = speedup_text(metrics[IO_THREADS_SPEEDUP])
            parts.append(f"waiting tasks: threads {bold(speedup, palette[THREADS])}")
        if metrics.get(CPU_THREADS_SPEEDUP) is not None:
            speedup = speedup_text(metrics[CPU_THREADS_SPEEDUP])
            parts.append(f"computing tasks: threads {bold(speedup, palette[THREADS])}")
        if metrics.get(CPU_PROCESSES_SPEEDUP) is not None:
            speedup = speedup_text(metrics[CPU_PROCESSES_SPEEDUP])
            parts.append(f"processes {bold(speedup, palette[PROCESSES])}")
        if metrics.get(THREADS_START_MS) is not None and metrics.get(PROCESSES_START_MS):
            threads_s, processes_s = metrics[THREADS_START_MS], metrics[PROCESSES_START_MS]
            parts.append(
                f"start-up: threads {duration_text(threads_s / 1000)}, "
                f"processes {duration_text(processes_s / 1000)}"
            )
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = ThreadsVsProcessesChart
