"""The process-basics chart: each process's lifeline, and where the parent waited in join()."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QSizePolicy

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.cpu import usable_cores
from mpgui.core.protocol.events import OUTPUT_LEVEL
from mpgui.scenarios.process_basics.model import (
    CPU,
    MOMENTS,
    ONE_BY_ONE,
    ONE_BY_ONE_S,
    PARENT_WAITED_MS,
    PHASES,
    RATIO,
    START_RETURN_MS,
    TOGETHER,
    TOGETHER_S,
    lane_label,
    moment_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import Bars, fitting_ticks, px_per_unit, style_plot, tick_font
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    lines,
    phase_start,
    styled,
)

#: Each mode's plot title, and its short form for a narrow chart.
TITLES = {
    TOGETHER: "Together: start all, then join all",
    ONE_BY_ONE: "One by one: start, join, then the next",
}
SHORT_TITLES = {TOGETHER: "Together", ONE_BY_ONE: "One by one"}
#: The time axis's label (under the last plot).
TIME_AXIS = "seconds since the mode began"
#: The x axis ends this much past the length the run should take (its processes' tasks).
X_HEADROOM = 1.2
#: A mode's length is written over the end of the parent's row, not after it, past this
#: share of the time axis (it would not fit after it).
LENGTH_INSIDE = 0.75
#: A bar's height, as a share of its row.
BAR_FILL = 0.6
#: Text size (pt at 100 %) of the key and the latest output under the plot.
KEY_PT = 9
#: Lines of the children's output shown under the plot (the log has them all).
OUTPUT_LINES = 2
#: Markers (px at 100 %): start() returned, join() returned.
MARKER_PX = 9


@dataclass
class Lifeline:
    """One process's moments (seconds since its mode's phase began; None: not yet)."""

    created: float | None = None
    started: float | None = None
    running: float | None = None
    finished: float | None = None
    joining: float | None = None
    joined: float | None = None
    pid: int | None = None


def lifelines(state: RunState, mode: str, now_s: float | None) -> dict[int, Lifeline]:
    """Every process of `mode` seen so far, by index, with its moments and its pid.

    A child still running, or a parent still in ``join()``, has its segment end at `now_s`
    (None once the run is over: what did not happen then never will).
    """
    t0 = phase_start(state, mode)
    if t0 is None:
        return {}
    out: dict[int, Lifeline] = {}
    for moment in MOMENTS:
        for t, value in state.series.get(moment_series(mode, moment), ()):
            line = out.setdefault(int(value), Lifeline())
            setattr(line, moment, (t - t0) / 1e9)
    pids = {lane.label: lane.pid for lane in state.lanes}
    for i, line in out.items():
        line.pid = pids.get(lane_label(mode, i))
        if now_s is not None:
            if line.running is not None and line.finished is None:
                line.finished = now_s
            if line.joining is not None and line.joined is None:
                line.joined = now_s
    return out


def output_lines(state: RunState, count: int) -> list[str]:
    """The last `count` lines the run's processes printed, oldest first."""
    out = []
    for _, _, level, message in reversed(state.logs):
        if level == OUTPUT_LEVEL:
            out.append(message)
            if len(out) == count:
                break
    return out[::-1]


class Block:
    """One mode's plot: the parent's row on top, then a row per process, and what is drawn
    in them (see :class:`ProcessBasicsChart`)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        plot.setMouseEnabled(x=False, y=False)
        plot.invertY(True)  # the parent's row on top
        t = theme.current()
        self.startup = plot.plot(pen=theme.pen(t.muted, 1.5), connect="pairs")
        self.unjoined = plot.plot(pen=theme.pen(t.muted, 1.5, Qt.PenStyle.DotLine), connect="pairs")
        self.running = Bars(x0=[], y=[], width=[], height=BAR_FILL, pen=None, brush=t.running)
        self.waiting = Bars(x0=[], y=[], width=[], height=BAR_FILL, pen=None, brush=t.ideal)
        self.starts = pg.ScatterPlotItem(symbol="t1", pen=None, brush=pg.mkBrush(t.foreground))
        self.joins = pg.ScatterPlotItem(symbol="s", pen=None, brush=pg.mkBrush(t.foreground))
        # How long the mode took (so far), after the parent's last wait.
        self.length = pg.TextItem(anchor=(-0.1, 0.5), color=t.foreground)
        for item in (self.running, self.waiting, self.length):  # the lines are in already
            plot.addItem(item)
        for item in (self.starts, self.joins):
            item.setZValue(10)
            plot.addItem(item)
        self.rows: list[str] = []  # the y axis's labels, top to bottom
        plot.getViewBox().sigResized.connect(self.fit_rows)

    def clear(self) -> None:
        """Draw nothing."""
        self.draw([], [], [], [], [], [])
        self.length.setText("")
        self.rows = []
        self.plot.getAxis("left").setTicks([[]])
        self.plot.setYRange(-0.5, 0.5, padding=0)

    def draw(self, thin, dotted, run_bars, wait_bars, starts, joins) -> None:
        """Draw segments ((x0, y), (x1, y)), bars (x0, x1, y) and markers (x, y)."""
        for curve, segments in ((self.startup, thin), (self.unjoined, dotted)):
            points = np.array(segments, dtype=float).reshape(-1, 2)
            curve.setData(points[:, 0], points[:, 1])
        for bars, spans in ((self.running, run_bars), (self.waiting, wait_bars)):
            data = np.array(spans, dtype=float).reshape(-1, 3)
            bars.setOpts(x0=data[:, 0], width=np.maximum(data[:, 1] - data[:, 0], 0), y=data[:, 2])
        for markers, points in ((self.starts, starts), (self.joins, joins)):
            xy = np.array(points, dtype=float).reshape(-1, 2)
            markers.setData(xy[:, 0], xy[:, 1])

    def set_rows(self, rows: list[str]) -> None:
        """Show `rows` (their labels, top to bottom)."""
        if rows != self.rows:
            self.rows = rows
            self.plot.setYRange(-0.5, len(rows) - 0.5, padding=0)
            self.fit_rows()

    def fit_rows(self) -> None:
        """Label the rows, thinned so that no two labels overlap at this size (the parent's
        row always), and size the markers to the rows."""
        if not self.rows:
            return
        _, per_row = px_per_unit(self.plot)
        if per_row >= QFontMetricsF(tick_font()).height():  # every row's label fits
            ticks = dict(enumerate(self.rows))
        else:
            ticks = dict(fitting_ticks(self.rows, per_row, vertical=True))
        ticks[0] = self.rows[0]  # the parent's row: the lesson's other half
        self.plot.getAxis("left").setTicks([sorted(ticks.items())])
        size = max(3, min(theme.px(MARKER_PX), round(per_row * 0.9)))
        for markers in (self.starts, self.joins):
            markers.setSize(size)


class ProcessBasicsChart(ScenarioChart):
    """One plot per mode (together above, one by one below), on one time scale from each
    mode's start, so their lengths compare at a glance.

    A process's row: a thin muted line while it is being started (▲ where ``start()``
    returned to the parent), a thick bar while its own code runs, a dotted line from its end
    until the parent's ``join()`` returned (■). Each plot's top row, the parent's, is a bar
    wherever the parent sat in ``join()``, with the mode's length at its end. Under the
    plots: a key, and the last lines the children printed, each with its pid.
    """

    READS = Reads(
        series=tuple(moment_series(mode, moment) for mode in PHASES for moment in MOMENTS),
        phases=PHASES,
        metrics=(TOGETHER_S, ONE_BY_ONE_S, RATIO, START_RETURN_MS, PARENT_WAITED_MS),
        tasks=True,  # the lanes: each process's pid
        logs=True,  # what the children printed
        clock_s=0.1,  # running bars grow while you watch
    )
    #: Start-up and "not yet joined" (muted), the child running, the parent in join().
    MEANINGS = ("muted", "running", "ideal")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.blocks: dict[str, Block] = {}
        for row, mode in enumerate(PHASES):
            plot = self.addPlot(row=row, col=0)
            style_plot(plot, TITLES[mode], bottom=TIME_AXIS, short=SHORT_TITLES[mode])
            self.blocks[mode] = Block(plot)
        self._time_axis_on(PHASES[-1])
        self.blocks[ONE_BY_ONE].plot.setXLink(self.blocks[TOGETHER].plot)
        self.key = pg.LabelItem("", justify="left")
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(self.key, row=len(PHASES), col=0)
        self._shown = PHASES  # the modes whose plots are in the layout
        self._x_max = 0.0  # the x axis's end (s): set by the first frame of a run
        self._key_html = ""
        self._work = ""  # the run's kind of work: the readout notes the CPU case
        self.reset()

    def clear_run(self) -> None:
        for block in self.blocks.values():
            block.clear()
        self._x_max = 0.0
        self.blocks[TOGETHER].plot.setXRange(0, 1, padding=0)
        self._set_key([], {})

    @staticmethod
    def modes(params: dict[str, Any]) -> tuple[str, ...]:
        """The modes a run with `params` goes through, in order."""
        mode = params.get("mode", "both")
        return PHASES if mode == "both" else (mode,)

    def _show(self, modes: tuple[str, ...]) -> None:
        """Lay out the plots of `modes` only (the last one with the time axis's label)."""
        if modes == self._shown:
            return
        for mode in self._shown:
            self.ci.removeItem(self.blocks[mode].plot)
        for row, mode in enumerate(modes):
            self.ci.addItem(self.blocks[mode].plot, row=row, col=0)
        self._shown = modes
        self._time_axis_on(modes[-1])

    def _time_axis_on(self, mode: str) -> None:
        """The time axis under `mode`'s plot only: the plots share it, and the height."""
        for each, block in self.blocks.items():
            block.plot.showAxis("bottom", each == mode)

    def draw(self, state: RunState, now_ns: int) -> None:
        params = state.spec.params
        self._work = str(params.get("work", ""))
        n = int(params.get("processes", 1))
        modes = self.modes(params)
        self._show(modes)
        longest = 0.0
        for mode in modes:
            longest = max(longest, self._draw_mode(state, mode, n, now_ns))
        # The x axis: the run's expected length, then growing in steps if it takes longer.
        task_s = float(params.get("task_ms", 300)) / 1000
        expected = task_s * (n if ONE_BY_ONE in modes else 1)
        top = max(expected * X_HEADROOM, longest * 1.1)
        if top > self._x_max:
            # Past the expected length (a loaded machine, spawn's start-up): grow in steps.
            self._x_max = top if self._x_max == 0 else top * 1.25
            self.blocks[TOGETHER].plot.setXRange(0, self._x_max, padding=0)
        self._place_lengths()
        self._set_key(output_lines(state, OUTPUT_LINES), params)

    def _draw_mode(self, state: RunState, mode: str, n: int, now_ns: int) -> float:
        """Draw `mode`'s rows; return how long it has taken so far (s)."""
        block = self.blocks[mode]
        rows = ["parent"] + [f"#{i}" for i in range(n)]
        t0 = phase_start(state, mode)
        live = not state.finished and t0 is not None and state.current_phase() == mode
        now_s = (now_ns - t0) / 1e9 if live else None
        thin, dotted, run_bars, wait_bars, starts, joins = [], [], [], [], [], []
        length = 0.0
        for i, line in lifelines(state, mode, now_s).items():
            y = 1 + i
            if line.pid is not None:
                rows[y] = str(line.pid)
            begin = line.created if line.created is not None else line.started
            # Being started: until its first line runs (or now, or it never did).
            end = line.running if line.running is not None else now_s
            if begin is not None and end is not None:
                thin.append(((begin, y), (end, y)))
            if line.started is not None:
                starts.append((line.started, y))
            if line.running is not None and line.finished is not None:
                run_bars.append((line.running, line.finished, y))
            if line.finished is not None and line.joined is not None:
                dotted.append(((line.finished, y), (line.joined, y)))
            if line.joining is not None and line.joined is not None:
                wait_bars.append((line.joining, line.joined, 0))
            if line.joined is not None and line.joined != now_s:
                joins.append((line.joined, y))
            length = max([length] + [t for t in (line.joined, line.finished, now_s) if t])
        block.draw(thin, dotted, run_bars, wait_bars, starts, joins)
        block.set_rows(rows)
        measured = state.metrics.get(TOGETHER_S if mode == TOGETHER else ONE_BY_ONE_S)
        if measured is not None:
            block.length.setText(f"{measured:.2f} s")
            length = max(length, measured)
        elif length:
            block.length.setText(f"{length:.1f} s" + (" …" if live else ""))
        else:
            block.length.setText("")
        block.length.setPos(length, 0)
        return length

    def _place_lengths(self) -> None:
        """Each mode's length after its parent's row if there is room, else over its end."""
        for block in self.blocks.values():
            inside = block.length.pos().x() > LENGTH_INSIDE * self._x_max
            block.length.setAnchor((1.05, 0.5) if inside else (-0.1, 0.5))
            block.length.fill = pg.mkBrush(theme.BACKGROUND) if inside else pg.mkBrush(None)
            block.length.update()

    def _set_key(self, output: list[str], params: dict[str, Any]) -> None:
        """The key to the marks, a note for CPU work, and the children's latest lines."""
        t = theme.current()
        key = [
            f"{styled('▲', color=t.foreground)} start() returned · "
            f"{styled('━', color=t.muted)} starting · "
            f"{styled('██', color=t.running)} the child runs · "
            f"{styled('┈', color=t.muted)} exited, not yet joined · "
            f"{styled('■', color=t.foreground)} join() returned · "
            f"{styled('██', color=t.ideal)} parent waits in join()"
        ]
        if params.get("work") == CPU:
            key.append(
                f"work = cpu: at most {usable_cores()} tasks compute at once (cores), "
                "so one by one is at most that many times slower"
            )
        if output:
            key.append("latest output: " + " | ".join(html.escape(line) for line in output))
        text = styled(lines(*key), size=KEY_PT, color=t.foreground)
        if text != self._key_html:
            self._key_html = text
            self.key.setText(text)
            self.wrap_to_width(self.key)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the key wraps to the new width."""
        super().resizeEvent(event)
        if "key" in vars(self) and not self.closed:
            self.wrap_to_width(self.key)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        t = theme.current()
        parts = []
        if metrics.get(TOGETHER_S) is not None:
            parts.append(f"together {bold(f'{metrics[TOGETHER_S]:.2f} s', t.running)}")
        if metrics.get(ONE_BY_ONE_S) is not None:
            parts.append(f"one by one {bold(f'{metrics[ONE_BY_ONE_S]:.2f} s', t.running)}")
        if metrics.get(RATIO) is not None:
            ratio = f"{bold(f'{metrics[RATIO]:.1f}×')} as long one by one"
            if self._work == CPU:
                ratio += f" (cpu work: it stops at the {usable_cores()} cores)"
            parts.append(ratio)
        if metrics.get(START_RETURN_MS) is not None:
            parts.append(f"start() returned in {bold(f'{metrics[START_RETURN_MS]:.1f} ms')}")
        if metrics.get(PARENT_WAITED_MS) is not None:
            waited = metrics[PARENT_WAITED_MS] / 1000
            parts.append(f"the parent waited {bold(f'{waited:.2f} s', t.ideal)} in join()")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = ProcessBasicsChart
