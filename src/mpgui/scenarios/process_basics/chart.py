"""The process-basics chart: each process's lifeline, and where the parent waited in join()."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from mpgui.core.model.run_state import RunState
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
from mpgui.ui.panels.base import Bars, fitting_ticks, px_per_unit, style_plot
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    lines,
    phase_start,
    styled,
)

#: Each mode's heading over its block of rows.
HEADINGS = {
    TOGETHER: "together: start all, then join all",
    ONE_BY_ONE: "one by one: start, join, next",
}
#: The x axis ends this much past the length the run should take (its processes' tasks).
X_HEADROOM = 1.2
#: A bar's height, as a share of its row.
BAR_FILL = 0.6
#: Text size (pt at 100 %) of the key and the latest output under the plot.
KEY_PT = 9
#: Lines of the children's output shown under the plot (the log has them all).
OUTPUT_LINES = 3
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
        if level == "OUTPUT":
            out.append(message)
            if len(out) == count:
                break
    return out[::-1]


def cores() -> int:
    """The CPUs this process may run on (the conductor's are the same machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every OS
        return os.cpu_count() or 1


class ProcessBasicsChart(ScenarioChart):
    """One row per process, per mode (together above, one by one below), on one time scale
    from each mode's start, so their lengths compare at a glance.

    A process's row: a thin muted line while it is being started (▲ where ``start()``
    returned to the parent), a thick bar while its own code runs, a dotted line from its end
    until the parent's ``join()`` returned (■). Each block's "parent" row is a bar wherever
    the parent sat in ``join()``. Under the plot: a key, and the last lines the children
    printed, each with its pid.
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
        self.plot = self.addPlot(row=0, col=0)
        style_plot(
            self.plot, "Process lifelines", bottom="seconds since the mode began", short="Lifelines"
        )
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.invertY(True)  # the first row on top
        t = theme.current()
        self.startup = self.plot.plot(pen=theme.pen(t.muted, 1.5), connect="pairs")
        self.unjoined = self.plot.plot(
            pen=theme.pen(t.muted, 1.5, Qt.PenStyle.DotLine), connect="pairs"
        )
        self.running = Bars(x0=[], y=[], width=[], height=BAR_FILL, pen=None, brush=t.running)
        self.waiting = Bars(x0=[], y=[], width=[], height=BAR_FILL, pen=None, brush=t.ideal)
        self.starts = pg.ScatterPlotItem(
            size=theme.px(MARKER_PX), symbol="t1", pen=None, brush=pg.mkBrush(t.foreground)
        )
        self.joins = pg.ScatterPlotItem(
            size=theme.px(MARKER_PX), symbol="s", pen=None, brush=pg.mkBrush(t.foreground)
        )
        for item in (self.running, self.waiting):  # the lines are in the plot already
            self.plot.addItem(item)
        for item in (self.starts, self.joins):
            item.setZValue(10)
            self.plot.addItem(item)
        self.headings = {mode: pg.TextItem(anchor=(0, 0.5), color=t.foreground) for mode in PHASES}
        for item in self.headings.values():
            self.plot.addItem(item)
        self.key = pg.LabelItem("", justify="left")
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(self.key, row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 1)
        self._x_max = 0.0  # the x axis's end (s): set by the first frame of a run
        self._rows: list[str] = []  # the y axis's labels, top to bottom
        self._key_html = ""
        self._work = ""  # the run's kind of work: the readout notes the CPU case
        self.plot.getViewBox().sigResized.connect(self._label_rows)
        self.reset()

    def clear_run(self) -> None:
        for curve in (self.startup, self.unjoined):
            curve.setData([], [])
        for bars in (self.running, self.waiting):
            bars.setOpts(x0=[], y=[], width=[])
        for markers in (self.starts, self.joins):
            markers.setData([], [])
        for item in self.headings.values():
            item.setText("")
        self._x_max = 0.0
        self.plot.setXRange(0, 1, padding=0)
        self._rows = []
        self.plot.getAxis("left").setTicks([[]])
        self.plot.setYRange(-0.5, 1.5, padding=0)
        self._set_key([], {})

    @staticmethod
    def modes(params: dict[str, Any]) -> tuple[str, ...]:
        """The modes a run with `params` goes through, in order."""
        mode = params.get("mode", "both")
        return PHASES if mode == "both" else (mode,)

    def draw(self, state: RunState, now_ns: int) -> None:
        params = state.spec.params
        self._work = str(params.get("work", ""))
        n = int(params.get("processes", 1))
        modes = self.modes(params)
        # Rows: per mode a heading, the parent, then its processes.
        rows: list[str] = []
        starts_x, starts_y, joins_x, joins_y = [], [], [], []
        thin, dotted = [], []
        run_bars: list[tuple[float, float, float]] = []
        wait_bars: list[tuple[float, float, float]] = []
        longest = 0.0
        block_s: dict[str, float] = {}  # how long each mode has taken (so far)
        live_mode = None  # the mode under way
        for mode in modes:
            base = len(rows)
            rows += ["", "parent"] + [f"#{i}" for i in range(n)]
            t0 = phase_start(state, mode)
            live = not state.finished and t0 is not None and state.current_phase() == mode
            now_s = (now_ns - t0) / 1e9 if live else None
            self.headings[mode].setPos(0, base)
            for i, line in lifelines(state, mode, now_s).items():
                y = base + 2 + i
                if line.pid is not None:
                    rows[y] = str(line.pid)
                begin = line.created if line.created is not None else line.started
                if begin is not None:
                    # Being started: until its first line runs (or now, or it never did).
                    end = line.running if line.running is not None else now_s
                    if end is not None:
                        thin.append(((begin, y), (end, y)))
                if line.started is not None:
                    starts_x.append(line.started)
                    starts_y.append(y)
                if line.running is not None and line.finished is not None:
                    run_bars.append((line.running, line.finished, y))
                if line.finished is not None and line.joined is not None:
                    dotted.append(((line.finished, y), (line.joined, y)))
                if line.joining is not None and line.joined is not None:
                    wait_bars.append((line.joining, line.joined, base + 1))
                if line.joined is not None and line.joined != now_s:
                    joins_x.append(line.joined)
                    joins_y.append(y)
                for t in (line.joined, line.finished, now_s):
                    if t is not None:
                        longest = max(longest, t)
                        block_s[mode] = max(block_s.get(mode, 0.0), t)
            if now_s is not None:
                live_mode = mode
        self._set_pairs(self.startup, thin)
        self._set_pairs(self.unjoined, dotted)
        self._set_bars(self.running, run_bars)
        self._set_bars(self.waiting, wait_bars)
        self.starts.setData(starts_x, starts_y)
        self.joins.setData(joins_x, joins_y)
        metrics = state.metrics
        for mode in PHASES:
            figure = metrics.get(TOGETHER_S if mode == TOGETHER else ONE_BY_ONE_S)
            text = HEADINGS[mode] if mode in modes else ""
            if text and figure is not None:
                text += f" — {figure:.2f} s"
            elif text and mode in block_s:
                text += f" — {block_s[mode]:.1f} s" + (" …" if mode == live_mode else "")
            self.headings[mode].setText(text)
        # The x axis: each mode's expected length, then growing in steps if it takes longer.
        task_s = float(params.get("task_ms", 300)) / 1000
        expected = task_s * (n if ONE_BY_ONE in modes else 1)
        top = max(expected * X_HEADROOM, longest * 1.05)
        if top > self._x_max:
            # Past the expected length (a loaded machine, spawn's start-up): grow in steps.
            self._x_max = top if self._x_max == 0 else top * 1.25
            self.plot.setXRange(0, self._x_max, padding=0)
        if rows != self._rows:
            self._rows = rows
            self.plot.setYRange(-0.5, len(rows) - 0.5, padding=0)
            self._label_rows()
        self._set_key(output_lines(state, OUTPUT_LINES), params)

    @staticmethod
    def _set_pairs(curve: pg.PlotDataItem, segments: list) -> None:
        """Draw `segments` ((x0, y), (x1, y)) as separate lines."""
        if not segments:
            curve.setData([], [])
            return
        points = np.array(segments, dtype=float).reshape(-1, 2)
        curve.setData(points[:, 0], points[:, 1])

    @staticmethod
    def _set_bars(bars: Bars, spans: list[tuple[float, float, float]]) -> None:
        """Draw `spans` (x0, x1, row) as bars."""
        data = np.array(spans, dtype=float).reshape(-1, 3)
        bars.setOpts(x0=data[:, 0], width=np.maximum(data[:, 1] - data[:, 0], 0), y=data[:, 2])

    def _label_rows(self) -> None:
        """Label the rows (thinned so that no two labels overlap at this size)."""
        if not self._rows:
            return
        _, per_row = px_per_unit(self.plot)
        ticks = fitting_ticks(self._rows, per_row, vertical=True)
        # Thinning must never drop a parent's row: it is the lesson's other half.
        shown = {i for i, _ in ticks} | {i for i, r in enumerate(self._rows) if r == "parent"}
        self.plot.getAxis("left").setTicks(
            [[(i, self._rows[i]) for i in sorted(shown) if self._rows[i]]]
        )

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
                f"work = cpu: at most {cores()} tasks compute at once (cores), "
                "so one by one is at most that many times slower"
            )
        if output:
            key.append("latest output: " + " | ".join(html.escape(line) for line in output))
        text = styled(lines(*key), size=KEY_PT, color=t.foreground)
        if text != self._key_html:
            self._key_html = text
            self.key.setText(text)
            self._wrap_key()

    def _wrap_key(self) -> None:
        """Wrap the key to the chart's width (a LabelItem would widen the chart instead)."""
        left, _, right, _ = self.ci.layout.getContentsMargins()
        self.key.item.setTextWidth(max(50.0, self.width() - left - right - theme.px(12)))
        self.key.updateMin()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the key wraps to the new width."""
        super().resizeEvent(event)
        if "key" in vars(self) and not self.closed:
            self._wrap_key()

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
                ratio += f" (cpu work: it stops at the {cores()} cores)"
            parts.append(ratio)
        if metrics.get(START_RETURN_MS) is not None:
            parts.append(f"start() returned in {bold(f'{metrics[START_RETURN_MS]:.1f} ms')}")
        if metrics.get(PARENT_WAITED_MS) is not None:
            waited = metrics[PARENT_WAITED_MS] / 1000
            parts.append(f"the parent waited {bold(f'{waited:.2f} s', t.ideal)} in join()")
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = ProcessBasicsChart
