"""The when-not-to chart: where the time goes in each part, and the chunksize sweep."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.when_not_to.model import (
    BEST_CHUNKSIZE,
    DIRECT_CALL_MS,
    MEASURED_PREFIX,
    PHASES,
    POOL_SHUTDOWN_MS,
    POOL_STARTUP_MS,
    STARTUP_BEGAN_MS,
    STARTUP_TASK_MS,
    SWEEP_PREFIX,
    TINY_CHUNK1_PICKLE_S,
    TINY_CHUNKED_PICKLE_S,
    TINY_POOL_CHUNK1_S,
    TINY_POOL_CHUNKED_S,
    TINY_SERIAL,
    TINY_SERIAL_S,
    TRANSFER_MB,
    TRANSFER_PICKLE_S,
    TRANSFER_POOL,
    TRANSFER_POOL_S,
    TRANSFER_SERIAL,
    TRANSFER_SERIAL_S,
    TRANSFER_WORK_S,
    WORKERS,
    measured_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import Bars, SteppedRange, style_plot, text_item
from mpgui.ui.panels.scenario_chart import (
    NOTE_PT,
    Reads,
    ScenarioChart,
    bold,
    duration_text,
    lines,
    series_median,
    speedup_text,
    styled,
)


@dataclass(frozen=True)
class Part:
    """One kind of time in a bar: its words, its theme role and its fill pattern (a second
    channel beside the colour)."""

    name: str
    role: str
    pattern: Qt.BrushStyle


COMPUTING = Part("computing", "good", Qt.BrushStyle.SolidPattern)
PICKLING = Part("pickling", "ideal", Qt.BrushStyle.BDiagPattern)
SENDING = Part("sending & waiting", "bad", Qt.BrushStyle.Dense4Pattern)
STARTING = Part("starting workers", "limit", Qt.BrushStyle.CrossPattern)
STOPPING = Part("closing the pool", "muted", Qt.BrushStyle.HorPattern)
#: Below this speedup a pool is slower than serial (as :func:`speedup_text` says it).
SLOWER_BELOW = 0.95
#: Below this (and from SLOWER_BELOW) it is no faster than serial, as speedup_text says too.
NO_FASTER_BELOW = 1.15
#: A bar measured but not split yet (live, before the run's figures).
SO_FAR = Part("measured so far", "muted", Qt.BrushStyle.Dense6Pattern)


def brush(part: Part) -> QBrush:
    """The fill of `part`'s segments: its role's colour in its pattern."""
    return QBrush(QColor(getattr(theme.current(), part.role)), part.pattern)


def sweep_points(state: RunState) -> list[tuple[int, float]]:
    """(chunksize, median seconds so far) for every chunksize measured, smallest first."""
    points = []
    for name in state.series:
        if name.startswith(SWEEP_PREFIX):
            value = series_median(state, name)
            if value is not None:
                points.append((int(name[len(SWEEP_PREFIX) :]), value))
    return sorted(points)


def split_parts(metrics: dict[str, Any], workers: int) -> dict[str, list[tuple[Part, float]]]:
    """Each bar of a finished run as its parts (seconds, or ms for the start-up plot).

    A pool bar: the work as the parent did it shared among the workers (or as the workers
    timed it), the pickling measured in the parent, and the rest of its wall time, which is
    sending through pipes and waiting (the pool's threads handing out tasks, locks, wake-ups).
    """

    def rest(total: float, *known: float) -> float:
        return max(0.0, total - sum(known))

    out: dict[str, list[tuple[Part, float]]] = {}
    serial = metrics.get(TINY_SERIAL_S)
    if serial is not None:
        share = serial / max(1, workers)
        out["tiny"] = [[(COMPUTING, serial)]]
        for total_key, pickle_key in (
            (TINY_POOL_CHUNK1_S, TINY_CHUNK1_PICKLE_S),
            (TINY_POOL_CHUNKED_S, TINY_CHUNKED_PICKLE_S),
        ):
            total, pickled = metrics[total_key], metrics[pickle_key]
            pickled = min(pickled, rest(total, share))
            out["tiny"].append(
                [(COMPUTING, share), (PICKLING, pickled), (SENDING, rest(total, share, pickled))]
            )
    if metrics.get(TRANSFER_SERIAL_S) is not None:
        total = metrics[TRANSFER_POOL_S]
        work = min(metrics[TRANSFER_WORK_S] / max(1, workers), total)
        pickled = min(metrics[TRANSFER_PICKLE_S], rest(total, work))
        out["transfer"] = [
            [(COMPUTING, metrics[TRANSFER_SERIAL_S])],
            [(COMPUTING, work), (PICKLING, pickled), (SENDING, rest(total, work, pickled))],
        ]
    if metrics.get(POOL_STARTUP_MS) is not None:
        began, task = metrics[STARTUP_BEGAN_MS], metrics[STARTUP_TASK_MS]
        out["startup"] = [
            [(COMPUTING, metrics[DIRECT_CALL_MS])],
            [
                (STARTING, began),
                (COMPUTING, task),
                (SENDING, rest(metrics[POOL_STARTUP_MS], began, task)),
                (STOPPING, metrics[POOL_SHUTDOWN_MS]),
            ],
        ]
    return out


class StackedBars:
    """Horizontal bars made of parts, one row per way, the total written after each."""

    def __init__(self, plot: pg.PlotItem, names: list[str], fmt) -> None:
        self.plot, self.fmt, self.rows = plot, fmt, len(names)
        plot.setMouseEnabled(x=False, y=False)
        plot.getAxis("left").setTicks([list(enumerate(names))])
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        plot.invertY(True)  # the first way on top
        self.bars = Bars(x0=[], y=[], width=[], height=0.6, pen=theme.pen(theme.FOREGROUND, 0.5))
        plot.addItem(self.bars)
        self.labels = [text_item(anchor=(0, 0.5), color=theme.FOREGROUND) for _ in names]
        for label in self.labels:
            plot.addItem(label)
        self.range = SteppedRange(0.01, factor=2.0)
        self.shown: list[list[tuple[Part, float]] | None] = [None] * len(names)

    def set(self, rows: list[list[tuple[Part, float]] | None]) -> None:
        """Show each row's parts (None: no bar)."""
        self.shown = list(rows)
        x0, y, width, brushes = [], [], [], []
        top = 0.0
        for i, parts in enumerate(rows):
            x = 0.0
            for part, value in parts or ():
                x0.append(x)
                y.append(i)
                width.append(value)
                brushes.append(brush(part))
                x += value
            self.labels[i].setText("" if parts is None else " " + self.fmt(x))
            self.labels[i].setPos(x, i)
            top = max(top, x)
        self.bars.setOpts(x0=x0, y=y, width=width, brushes=brushes)
        if self.range.fit(top, headroom=1.8):
            self.plot.setXRange(0, self.range.value, padding=0)

    def reset(self) -> None:
        """No bars, the first range."""
        self.range.reset()
        self.set([None] * self.rows)
        self.plot.setXRange(0, self.range.value, padding=0)


def millis_text(ms: float) -> str:
    """A duration given in ms (the start-up part's figures), written as every chart does."""
    return duration_text(ms / 1000.0)


def versus_serial(pool_s: float, serial_s: float) -> tuple[str, str]:
    """How a pool's time compares with serial, and the colour to write it in.

    A slowdown is written "N× slower", not as a speedup: chunksize 1 is hundreds of times
    slower, a speedup of 0.003×, which :func:`speedup_text` would write as "0.00×". A pool
    no slower than that threshold of :func:`speedup_text` is written by it.
    """
    speedup = serial_s / pool_s
    if speedup < SLOWER_BELOW:
        slower = pool_s / serial_s
        return f"{slower:.0f}× slower" if slower >= 10 else f"{slower:.1f}× slower", theme.BAD
    # Within speedup_text's "no faster" band the pool neither wins nor loses: no verdict colour.
    return speedup_text(speedup), theme.GOOD if speedup >= NO_FASTER_BELOW else theme.FOREGROUND


class WhenNotToChart(ScenarioChart):
    """Four plots: where the time goes in tiny tasks, in sending data, in starting a pool
    (stacked bars: computing, pickling, sending & waiting, starting, closing), and the
    chunksize sweep (seconds against chunksize, both logarithmic, serial as a dashed line).

    While the run is on, each bar is the median of its measurements so far (not split yet)
    and the sweep grows point by point; once the run's figures are in, the bars split.
    """

    READS = Reads(
        series_prefixes=(MEASURED_PREFIX, SWEEP_PREFIX),
        phases=PHASES,
        metrics=(
            TINY_SERIAL_S,
            TINY_POOL_CHUNK1_S,
            TINY_POOL_CHUNKED_S,
            BEST_CHUNKSIZE,
            TRANSFER_SERIAL_S,
            TRANSFER_POOL_S,
            POOL_STARTUP_MS,
        ),
    )
    MEANINGS: ClassVar[tuple[str, ...]] = ("good", "bad", "ideal", "limit", "muted")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        t = theme.current()
        self.tiny_plot = self.addPlot(row=0, col=0)
        style_plot(
            self.tiny_plot, "Tiny tasks: where the time goes", bottom="seconds", short="Tiny tasks"
        )
        self.tiny = StackedBars(self.tiny_plot, ["serial", "chunk 1", "best chunk"], duration_text)

        self.sweep_plot = self.addPlot(row=0, col=1)
        style_plot(
            self.sweep_plot,
            "Pool.map time by chunksize",
            left="seconds",
            bottom="chunksize",
            short="Chunksize",
        )
        self.sweep_plot.setMouseEnabled(x=False, y=False)
        self.sweep_plot.setLogMode(x=True, y=True)
        self.serial_line = pg.InfiniteLine(
            angle=0, pen=theme.pen(t.good, 1.5, Qt.PenStyle.DashLine)
        )
        self.sweep_plot.addItem(self.serial_line)
        self.serial_line.setVisible(False)
        self.curve = self.sweep_plot.plot(
            pen=theme.pen(t.bad, 1.5),
            symbol="o",
            symbolSize=theme.px(7),
            symbolBrush=pg.mkBrush(t.bad),
            symbolPen=None,
        )
        self.best = pg.ScatterPlotItem(
            size=theme.px(16), symbol="star", pen=theme.pen(t.foreground), brush=pg.mkBrush(t.good)
        )
        self.sweep_plot.addItem(self.best)
        self.best_label = text_item(anchor=(0.5, 1.2), color=t.good)
        self.sweep_plot.addItem(self.best_label)
        self.sweep_key = pg.TextItem(anchor=(1, 0))
        self.sweep_plot.addItem(self.sweep_key)

        self.transfer_plot = self.addPlot(row=1, col=0)
        style_plot(
            self.transfer_plot,
            "Sending data: where the time goes",
            bottom="seconds",
            short="Sending data",
        )
        self.transfer = StackedBars(self.transfer_plot, ["parent", "pool"], duration_text)

        self.startup_plot = self.addPlot(row=1, col=1)
        style_plot(self.startup_plot, "One task on a new pool", bottom="ms", short="New pool")
        self.startup = StackedBars(self.startup_plot, ["direct", "new pool"], millis_text)

        self.key = pg.LabelItem("", justify="left")
        self.addItem(self.key, row=2, col=0, colspan=2)
        self.key.setText(
            styled(
                "   ".join(
                    styled(f"{self._swatch(p)} {p.name}", color=getattr(t, p.role))
                    for p in (COMPUTING, PICKLING, SENDING, STARTING, STOPPING, SO_FAR)
                ),
                size=NOTE_PT,
            )
        )
        self.clear_run()

    @staticmethod
    def _swatch(part: Part) -> str:
        """A mark for `part` in the key that differs by shape as well as by colour."""
        return {
            Qt.BrushStyle.SolidPattern: "■",
            Qt.BrushStyle.BDiagPattern: "▨",
            Qt.BrushStyle.Dense4Pattern: "▒",
            Qt.BrushStyle.CrossPattern: "▦",
            Qt.BrushStyle.HorPattern: "▤",
            Qt.BrushStyle.Dense6Pattern: "░",
        }[part.pattern]

    def clear_run(self) -> None:
        for bars in (self.tiny, self.transfer, self.startup):
            bars.reset()
        self.curve.setData([], [])
        self.best.setData([], [])
        self.best_label.setText("")
        self.serial_line.setVisible(False)
        self.sweep_key.setText("")
        self.points: list[tuple[int, float]] = []

    def draw(self, state: RunState, now_ns: int) -> None:
        workers = int(state.metrics.get(WORKERS) or state.spec.params.get(WORKERS, 2))
        split = split_parts(state.metrics, workers) if state.finished else {}
        live = {
            name: series_median(state, measured_series(name))
            for name in (TINY_SERIAL, TRANSFER_SERIAL, TRANSFER_POOL)
        }
        self.points = sweep_points(state)
        by_size = dict(self.points)
        chunked = min((v for c, v in self.points if c > 1), default=None)

        def so_far(value: float | None) -> list[tuple[Part, float]] | None:
            return None if value is None else [(SO_FAR, value)]

        self.tiny.set(
            split.get("tiny")
            or [so_far(live[TINY_SERIAL]), so_far(by_size.get(1)), so_far(chunked)]
        )
        self.transfer.set(
            split.get("transfer") or [so_far(live[TRANSFER_SERIAL]), so_far(live[TRANSFER_POOL])]
        )
        self.startup.set(split.get("startup") or [None, None])
        self._draw_sweep(live[TINY_SERIAL], state.metrics.get(BEST_CHUNKSIZE))

    def _draw_sweep(self, serial: float | None, best: int | None) -> None:
        t = theme.current()
        if not self.points:
            return
        xs = [c for c, _ in self.points]
        ys = [v for _, v in self.points]
        self.curve.setData(xs, ys)
        low = min(ys + ([serial] if serial else []))
        high = max(ys + ([serial] if serial else []))
        self.sweep_plot.setXRange(
            math.log10(min(xs)) - 0.3, math.log10(max(max(xs), 10)) + 0.3, padding=0
        )
        self.sweep_plot.setYRange(math.log10(low) - 0.3, math.log10(high) + 0.5, padding=0)
        key = [styled("● Pool.map", color=t.bad)]
        if serial:
            self.serial_line.setPos(math.log10(serial))
            self.serial_line.setVisible(True)
            key.append(styled("- - serial", color=t.good))
        if best is not None and best in dict(self.points):
            value = dict(self.points)[best]
            self.best.setData([math.log10(best)], [math.log10(value)])
            self.best_label.setText(f"best {best:,}")
            self.best_label.setPos(math.log10(best), math.log10(value))
            # Written leftwards from a point at the right end: it would run out of the plot.
            self.best_label.setAnchor((1, 1.2) if best == xs[-1] else (0.5, 1.2))
            key.append(styled("★ best chunksize", color=t.good))
        self.sweep_key.setHtml(styled(lines(*key), size=NOTE_PT))
        self.sweep_key.setPos(math.log10(max(max(xs), 10)) + 0.3, math.log10(high) + 0.5)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        t = theme.current()
        parts = []
        serial = metrics.get(TINY_SERIAL_S)
        if serial:
            text, color = versus_serial(metrics[TINY_POOL_CHUNK1_S], serial)
            than = " than serial" if text.endswith("slower") else " (against serial)"
            parts.append(f"chunksize 1: {bold(text, color)}{than}")
            text, color = versus_serial(metrics[TINY_POOL_CHUNKED_S], serial)
            parts.append(f"chunksize {metrics[BEST_CHUNKSIZE]:,}: {bold(text, color)}")
        if metrics.get(TRANSFER_SERIAL_S):
            text, color = versus_serial(metrics[TRANSFER_POOL_S], metrics[TRANSFER_SERIAL_S])
            workers = max(1, int(metrics.get(WORKERS) or 1))
            # The counting itself, as the workers timed it, shared among them: what the pool
            # saves on the work, against what the data's journey costs.
            share = duration_text(metrics[TRANSFER_WORK_S] / workers)
            parts.append(
                f"sending {metrics[TRANSFER_MB]} MB: {bold(text, color)} "
                f"(counting: {share} a worker vs "
                f"{duration_text(metrics[TRANSFER_SERIAL_S])} serially)"
            )
        if metrics.get(POOL_STARTUP_MS) is not None:
            parts.append(
                f"a new pool: {bold(millis_text(metrics[POOL_STARTUP_MS]), t.limit)} for one task"
            )
        return parts


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = WhenNotToChart
