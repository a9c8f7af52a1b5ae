"""The file-processing chart: each file's size and how long its count took, by who counted it;
the throughput of each pass (warm and cold, serial and parallel); the memory a count took."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pyqtgraph as pg

from mpgui.core.model.run_state import RunState
from mpgui.scenarios.file_processing.model import (
    COLD_DISK_BOUND,
    COLD_PARALLEL,
    COLD_SERIAL,
    COLD_SPEEDUP,
    COUNT_MEM_MB,
    FILE_BYTES,
    FILE_LINES,
    FILE_MEM_MB,
    FILE_MS,
    FILE_PID,
    FILESYSTEM,
    LINES_MATCH,
    MB_PER_S,
    NO_DISK,
    PARALLEL,
    PARALLEL_S,
    PASS_S,
    PHASES,
    READLINES,
    SERIAL,
    SERIAL_S,
    SPEEDUP,
    STREAM,
    TOTAL_LINES,
    WORKER_PEAK_RSS_MB,
    file_series,
    pass_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import (
    Bars,
    LabelledBars,
    PointLabels,
    SteppedRange,
    label_step,
    px_per_unit,
    style_plot,
)
from mpgui.ui.panels.scenario_chart import (
    NOTE_PT,
    Reads,
    ScenarioChart,
    bold,
    duration_text,
    newest,
    series_median,
    styled,
)

#: The passes in the throughput plot, top to bottom, with their names there.
PASS_ROWS = (
    (SERIAL, "serial"),
    (PARALLEL, "parallel"),
    (COLD_SERIAL, "cold serial"),
    (COLD_PARALLEL, "cold parallel"),
)
#: The least height (px at 100 %) of the throughput plot's view: its four rows' names one
#: above the other, not on top of each other (a smaller panel is scaled down instead).
SPEED_MIN_VIEW_PX = 4 * 16
#: The same for the memory plot's two rows, and for the count times' bars (their names over
#: them, and three ticks).
MEMORY_MIN_VIEW_PX = 2 * 16 + 8
TIMES_MIN_VIEW_PX = SPEED_MIN_VIEW_PX
#: What a finished run is remembered as in the session: the memory a count took, by method.
MEMORY = "memory_by_method"
#: The name of the conductor's counts (the serial passes) above their bars.
SERIAL_NAME = "main"


@dataclass
class FileRow:
    """What is known of one file: as written, and from its latest count."""

    mb: float | None = None
    lines: int | None = None
    ms: float | None = None
    pid: int | None = None
    mem_mb: float | None = None


def file_rows(state: RunState, files: int) -> list[FileRow]:
    """Each file's :class:`FileRow`, from the run's per-file series."""
    rows = []
    for i in range(files):
        size, lines, ms, pid, mem = (
            newest(state, file_series(prefix, i))
            for prefix in (FILE_BYTES, FILE_LINES, FILE_MS, FILE_PID, FILE_MEM_MB)
        )
        rows.append(
            FileRow(
                mb=None if size is None else size / 1e6,
                lines=None if lines is None else int(lines),
                ms=ms,
                pid=None if pid is None else int(pid),
                mem_mb=mem,
            )
        )
    return rows


def counter_names(state: RunState) -> dict[int, str]:
    """Who counted: the conductor's pid as "main", each pool worker's as w0, w1… (in the
    order the workers said hello)."""
    names = {lane.pid: SERIAL_NAME for lane in state.lanes if lane.role == "main"}
    names.update({lane.pid: f"w{k}" for k, lane in enumerate(state.workers())})
    return names


def key_entries(names: dict[int, str]) -> tuple[tuple[str, int], ...]:
    """The key's (name, pid) pairs: main first, then w0, w1… in order."""
    return tuple(
        sorted(((name, pid) for pid, name in names.items()), key=lambda e: (e[0][0] == "w", e))
    )


def counter_color(name: str) -> str:
    """A counter's colour: the theme's categorical colours for w0, w1…, muted for main."""
    if not name.startswith("w"):
        return theme.MUTED
    categories = theme.current().categories
    return categories[int(name[1:]) % len(categories)]


def pass_throughput(state: RunState, total_mb: float) -> list[float | None]:
    """Each pass's throughput (MB/s, median of its measured rounds), in :data:`PASS_ROWS`
    order; None for a pass not measured yet."""
    out: list[float | None] = []
    for name, _ in PASS_ROWS:
        median = series_median(state, pass_series(name))
        out.append(total_mb / median if median and median > 0 and total_mb else None)
    return out


def mb_text(value: float) -> str:
    """Megabytes, short."""
    return f"{value:.1f} MB" if value < 100 else f"{value:,.0f} MB"


class FileProcessingChart(ScenarioChart):
    """Four plots. Left, one bar per file: above, its size as written (its lines over the
    bar); below, how long its latest count took, coloured and named by who counted it (main
    for the serial passes, w0, w1… for the pool's workers). Right: each pass's throughput
    (MB/s; a cold pass reads from the disk), and the most memory one count took, for the
    method of this run and of earlier runs in the session (readlines against stream)."""

    READS = Reads(
        series_prefixes=(FILE_BYTES, FILE_LINES, FILE_MS, FILE_PID, FILE_MEM_MB, PASS_S),
        phases=PHASES,
        metrics=(
            SERIAL_S,
            PARALLEL_S,
            SPEEDUP,
            MB_PER_S,
            LINES_MATCH,
            TOTAL_LINES,
            WORKER_PEAK_RSS_MB,
            COUNT_MEM_MB,
            COLD_SPEEDUP,
            COLD_DISK_BOUND,
            FILESYSTEM,
        ),
        tasks=True,  # the lanes: which pid is which worker
    )
    #: The counters' colours (the workers', main's muted); the passes and the methods are told
    #: apart by their axis names, in two greys (serial and stream muted).
    MEANINGS: ClassVar[tuple[str, ...]] = ("categories", "muted", "foreground")

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        t = theme.current()
        self.sizes = self.addPlot(row=0, col=0)
        style_plot(self.sizes, "Each file: its size", left="MB", short="File sizes")
        self.times = self.addPlot(row=1, col=0)
        style_plot(
            self.times,
            "How long its count took, and who counted it",
            left="ms",
            bottom="file",
            short="Count time",
        )
        self.times.setXLink(self.sizes)
        for plot in (self.sizes, self.times):
            plot.setMouseEnabled(x=False, y=False)
        self.size_bars = Bars(x=[], height=[], width=0.7, pen=None, brush=pg.mkBrush(t.muted))
        self.time_bars = Bars(x=[], height=[], width=0.7, pen=None, brushes=[])
        self.sizes.addItem(self.size_bars)
        self.times.addItem(self.time_bars)
        self.line_labels = PointLabels(anchor=(0.5, 1.0), color=theme.FOREGROUND)
        self.who_labels = PointLabels(anchor=(0.5, 1.0), color=theme.FOREGROUND)
        self.sizes.addItem(self.line_labels)
        self.times.addItem(self.who_labels)
        self.size_range = SteppedRange(1.0, factor=2.0)
        self.time_range = SteppedRange(10.0, factor=2.0)

        self.speed = self.addPlot(row=0, col=1)
        style_plot(self.speed, "Throughput of each pass", bottom="MB/s", short="Throughput")
        colors = [t.muted, t.foreground, t.muted, t.foreground]
        self.speed_bars = LabelledBars(
            self.speed, [label for _, label in PASS_ROWS], colors, lambda v: f"{v:,.0f}", 100.0
        )
        self.speed.vb.setMinimumHeight(theme.px(SPEED_MIN_VIEW_PX))
        self.memory = self.addPlot(row=1, col=1)
        style_plot(
            self.memory,
            "Memory one count took",
            bottom="MB above the worker's RSS",
            short="Memory",
        )
        self.memory_bars = LabelledBars(
            self.memory,
            [READLINES, STREAM],
            [t.foreground, t.muted],
            lambda v: f"+{v:.1f} MB",
            10.0,
        )
        self.memory.vb.setMinimumHeight(theme.px(MEMORY_MIN_VIEW_PX))
        self.times.vb.setMinimumHeight(theme.px(TIMES_MIN_VIEW_PX))
        # Who counted: the key to the count bars' colours (each bar's name is over some).
        self.key = pg.LabelItem("", justify="left")
        self.addItem(self.key, row=2, col=0, colspan=2)
        self._key_for: tuple[tuple[str, int], ...] | None = None
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 2)
        self.session.setdefault(MEMORY, {})
        self.rows: list[FileRow] = []
        self.who: list[str] = []  # each file's counter's name ("" for not counted yet)
        self.names: dict[int, str] = {}
        self.sizes.vb.sigResized.connect(self._label_bars)
        self._files = 0
        self._phases = 0  # the phases the count times' axis was fitted in
        self._method = READLINES

    # -- drawing ---------------------------------------------------------------------------
    def clear_run(self) -> None:
        self.size_bars.setOpts(x=[], height=[])
        self.time_bars.setOpts(x=[], height=[], brushes=[])
        self.line_labels.set_labels([], [])
        self.who_labels.set_labels([], [])
        self.size_range.reset()
        self.time_range.reset()
        self.speed_bars.reset()
        self.memory_bars.reset()
        self.rows = []
        self.who = []
        self._files = 0
        self._phases = 0
        self._show_memory(None)
        self._show_key(())

    def _frame(self, files: int) -> None:
        """The file axis for `files` files."""
        self._files = files
        # Room beside the end bars for the names over them ("main" is wider than a bar).
        self.sizes.setXRange(-1.0, files, padding=0)
        self.sizes.setYRange(0, self.size_range.value, padding=0)
        self.times.setYRange(0, self.time_range.value, padding=0)

    def draw(self, state: RunState, now_ns: int) -> None:
        params = state.spec.params
        files = int(params.get("files", 0))
        if not files or not state.phases:
            return
        if files != self._files:
            self._frame(files)
        if len(state.phases) != self._phases:
            # A new phase (the cold passes take longer): the count times' axis fits afresh.
            self._phases = len(state.phases)
            self.time_range.reset()
            self.times.setYRange(0, self.time_range.value, padding=0)
        self._method = str(params.get("method", READLINES))
        self.rows = rows = file_rows(state, files)
        self.names = counter_names(state)
        xs = list(range(files))
        self.size_bars.setOpts(x=xs, height=[r.mb or 0.0 for r in rows])
        if self.size_range.fit(max(r.mb or 0.0 for r in rows), headroom=1.25):
            self.sizes.setYRange(0, self.size_range.value, padding=0)
        who = [self.names.get(r.pid, "?") if r.pid is not None else "" for r in rows]
        brushes = [pg.mkBrush(counter_color(name)) for name in who]
        self.time_bars.setOpts(x=xs, height=[r.ms or 0.0 for r in rows], brushes=brushes)
        if self.time_range.fit(max(r.ms or 0.0 for r in rows), headroom=1.3):
            self.times.setYRange(0, self.time_range.value, padding=0)
        self.who = who
        self._label_bars()
        total_mb = sum(r.mb or 0.0 for r in rows)
        self.speed_bars.set(pass_throughput(state, total_mb))
        counted = [r.mem_mb for r in rows if r.mem_mb is not None]
        self._show_memory(max(counted) if counted else None)
        self._show_key(key_entries(self.names))

    def _label_bars(self) -> None:
        """Name the bars — lines over the sizes, the counter over the times — every k-th one
        where the bars are too narrow for all, those between the ticks, so that the first
        and the last never run off the plot. Again whenever the plot is resized."""
        rows, n = self.rows, len(self.rows)
        step = label_step(px_per_unit(self.sizes)[0], theme.px(34))
        shown = [i % step == step // 2 for i in range(n)]
        lines = [
            f"{r.lines / 1e3:.0f}k" if r.lines is not None and shown[i] else ""
            for i, r in enumerate(rows)
        ]
        self.line_labels.set_labels([(i, r.mb or 0.0) for i, r in enumerate(rows)], lines)
        names = [name if shown[i] else "" for i, name in enumerate(self.who)]
        self.who_labels.set_labels([(i, r.ms or 0.0) for i, r in enumerate(rows)], names)
        ticks = [(i, str(i)) for i in range(n) if i % step == 0]
        self.times.getAxis("bottom").setTicks([ticks])
        self.sizes.getAxis("bottom").setTicks([ticks])

    def _show_key(self, entries: tuple[tuple[str, int], ...]) -> None:
        """The key under the plots: each counter's colour, name and pid (the pid the Workers
        panel and the Timeline name it by)."""
        if entries == self._key_for:
            return
        self._key_for = entries

        def entry(name: str, pid: int) -> str:
            return styled(
                f"{styled('■', color=counter_color(name))} {name} = pid {pid}", nowrap=True
            )

        # Short, to fit one line beside two workers: the notice says main counts serially.
        text = "counted by " + " &nbsp; ".join(entry(*e) for e in entries) if entries else ""
        self.key.setText(styled(text, size=NOTE_PT, color=theme.MUTED))
        self.wrap_to_width(self.key)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: the key wraps to the new width."""
        super().resizeEvent(event)
        if "key" in vars(self) and not self.closed:
            self.wrap_to_width(self.key)

    def _show_memory(self, this_run: float | None) -> None:
        """The memory bars: this run's method live, the other from the session's last run."""
        known = dict(self.session.get(MEMORY, {}))
        if this_run is not None:
            known[self._method] = this_run
        self.memory_bars.set([known.get(READLINES), known.get(STREAM)])

    def run_finished(self, result: dict[str, Any]) -> None:
        metrics = result.get("metrics") or {}
        memory = metrics.get(COUNT_MEM_MB)
        method = (result.get("params") or {}).get("method", self._method)
        if result.get("ok") and memory is not None:
            self.session.setdefault(MEMORY, {})[method] = memory

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        out = []
        if metrics.get(SPEEDUP) is not None:
            out.append(
                f"speedup {bold(f'{metrics[SPEEDUP]:.2f}×')} "
                f"({duration_text(metrics[SERIAL_S])} → {duration_text(metrics[PARALLEL_S])}, "
                f"{metrics[MB_PER_S]:,.0f} MB/s)"
            )
        if metrics.get(LINES_MATCH) is not None:
            mark = "✓" if metrics[LINES_MATCH] else "✗ MISMATCH"
            out.append(f"{bold(f'{metrics[TOTAL_LINES]:,}')} lines {mark}")
        if metrics.get(WORKER_PEAK_RSS_MB) is not None:
            out.append(
                f"worker peak RSS {bold(mb_text(metrics[WORKER_PEAK_RSS_MB]))} "
                f"(a count +{metrics[COUNT_MEM_MB]:.1f} MB)"
            )
        kind = metrics.get(FILESYSTEM)
        if metrics.get(COLD_SPEEDUP) is not None:
            cold = f"cold {bold(f'{metrics[COLD_SPEEDUP]:.2f}×')}"
            if kind in NO_DISK:
                # Dropping a tmpfs file's pages does nothing (they are the file): the cold
                # pass read memory, and says nothing of a disk, nor of what the limit was.
                out.append(f"{cold}: files on a {kind} (memory), no disk for the cold pass to show")
            else:
                limit = "the disk" if metrics[COLD_DISK_BOUND] else "the CPU"
                out.append(f"{cold}, {limit} was the limit")
        elif kind in NO_DISK:
            out.append(f"files on a {kind}: in memory, no disk under them")
        return out


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = FileProcessingChart
