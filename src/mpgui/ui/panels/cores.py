"""The Cores panel: each CPU core's load now and over the last 30 s, at 2 cores or 128.

Few cores (up to :data:`BAR_CORES`) are bars side by side with their history, one line per
core. More are laid out as a grid above the history: htop-like meters, each with its core's
number, while a meter and its number fit; past that (128 cores in a laptop-sized panel) a heat
strip of cells coloured by load, not by core, whose rows and columns are numbered on the
axes. The history of many cores is their mean with a min–max band: 64 lines are a smear.
Wherever a core's colour is drawn, its number is written beside it (the colour is never the
only clue); who sits on a core (pids) is written only where there is room for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPen, QTransform

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.ui import theme

from .base import (
    AXIS_LABEL_PT,
    Bars,
    FitsItsView,
    GrowingLayer,
    PointLabels,
    ShowsFocus,
    SteppedRange,
    fitting_ticks,
    lane_name,
    px_per_unit,
    style_plot,
)

#: Seconds of history on the right-hand plot.
HISTORY_S = 30.0
#: Once the history is full it scrolls in jumps of this many seconds (a still axis between).
SCROLL_STEP_S = 5.0
#: Up to this many cores: bars beside the history, and a line per core in it.
BAR_CORES = 8
#: Columns a meter grid may have (htop's layouts), fewest first: the widest meters that fit.
METER_COLUMNS = (1, 2, 4, 8)
#: Columns a heat strip may have: the one whose cells come out squarest is taken.
HEAT_COLUMNS = (4, 8, 16, 32)
#: A meter's track is at least this wide (px at 100 %), or the grid is a heat strip.
MIN_TRACK_PX = 18
#: Loads are drawn in heat-strip colours of this many steps (a brush kept for each).
HEAT_STEPS = 20
#: The meter track and heat cell height within a grid row (rows are 1.0 apart).
ROW_FILL = 0.64


def heat_color(load: float) -> QColor:
    """A load's colour in the heat strip: from the theme's idle control colour (0 %) to its
    running colour (100 %). Lightness changes monotonically, so it reads without hue too."""
    step = min(max(round(load / 100 * HEAT_STEPS), 0), HEAT_STEPS)
    return theme.blend(theme.current().button, theme.RUNNING, step / HEAT_STEPS)


@dataclass(frozen=True)
class Grid:
    """How `cores` cores are laid out in the "now" plot: see :func:`grid_layout`.

    `kind` is "bars", "meters" or "heat". For meters, each cell is [number | track | text]:
    `number` and `track` are the fractions of a cell they take, `text` what is written after
    the track ("load+pids", "load" or "").
    """

    kind: str
    cores: int
    cols: int = 1
    rows: int = 1
    number: float = 0.0
    track: float = 0.0
    text: str = ""

    def cell(self, cpu: int) -> tuple[int, int]:
        """(column, row) of core `cpu`: meters run down the columns (as htop's), a heat
        strip along the rows (its rows are numbered by their first core)."""
        if self.kind == "meters":
            return cpu // self.rows, cpu % self.rows
        return cpu % self.cols, cpu // self.cols


def grid_layout(cores: int, width_px: float, height_px: float, metrics: QFontMetricsF) -> Grid:
    """The layout of `cores` cores in a view of `width_px` × `height_px`, for text measured
    by `metrics`: bars for few cores; else the widest meters whose rows hold a digit's height
    and whose cells hold the number and a track; else the squarest heat strip."""
    if cores <= BAR_CORES:
        return Grid("bars", cores)
    digit_h = metrics.tightBoundingRect("0123456789").height()
    number_px = metrics.horizontalAdvance(str(cores - 1)) + theme.px(4)
    for cols in METER_COLUMNS:
        rows = math.ceil(cores / cols)
        if height_px / rows < digit_h + theme.px(3):
            continue  # too many rows for a number each: try more columns
        cell_px = width_px / cols
        track_px = cell_px - number_px - theme.px(4)
        if track_px < theme.px(MIN_TRACK_PX):
            break  # more columns only make the cells narrower
        text = ""
        for kind, sample in (("load+pids", "100% 000000"), ("load", "100%")):
            need = metrics.horizontalAdvance(sample) + theme.px(6)
            if track_px - need >= theme.px(MIN_TRACK_PX + 16):
                text, track_px = kind, track_px - need
                break
        return Grid("meters", cores, cols, rows, number_px / cell_px, track_px / cell_px, text)

    def squareness(cols: int) -> float:
        rows = math.ceil(cores / cols)
        return abs(math.log((width_px / cols) / max(height_px / rows, 1e-6)))

    cols = min((c for c in HEAT_COLUMNS if c <= cores), key=squareness, default=cores)
    return Grid("heat", cores, cols, math.ceil(cores / cols))


#: The load axes' ticks (a short plot with pyqtgraph's own would pile six into a blob).
PERCENT_TICKS = [(0, "0"), (50, "50"), (100, "100")]
#: The width (px at 100 %) a plot of this panel needs to stay readable side by side.
PLOT_ROOM_PX = 150


class LoadHistory(GrowingLayer):
    """The cores' load over run time: a line per core in its colour, or for many cores
    (`summary`) their mean as a line over a band from the least to the most loaded.

    Telemetry adds one sample (a load per core) every 100 ms. As a :class:`GrowingLayer`, a
    paint draws only the newest segment, not whole lines (and pyqtgraph's per-curve
    bookkeeping for each). A summary keeps three columns (min, max, mean), not one per core.
    """

    def __init__(self, summary: bool = False) -> None:
        super().__init__()
        self.summary = summary
        self._t = np.empty(0)  # seconds since the run began
        self._loads = np.empty((0, 0))  # one row per sample: per core, or (min, max, mean)
        self._pens: list[QPen] = []
        self._mean_pen = theme.pen(theme.FOREGROUND, 2)
        # Opaque: neighbouring segments' polygons share an edge, which a translucent band
        # would paint twice, as a stripe every sample.
        self._band = QBrush(theme.blend(theme.BACKGROUND, theme.MUTED, 0.55))

    def __len__(self) -> int:
        return len(self._t)

    def clear(self) -> None:
        """Remove every sample."""
        self.keep_from(math.inf)

    def append(self, t: np.ndarray, loads: np.ndarray) -> None:
        """Add samples: times `t` (s) and `loads`, a row of per-core percentages per sample."""
        if not len(t):
            return
        if self.summary:
            loads = np.column_stack((loads.min(axis=1), loads.max(axis=1), loads.mean(axis=1)))
        if self._loads.shape[1] != loads.shape[1]:  # another machine's run: start over
            self.clear()
            self._loads = np.empty((0, loads.shape[1]))
        self._t = np.concatenate([self._t, t])
        self._loads = np.concatenate([self._loads, loads])
        # The first new segment starts at the sample before.
        self._grown(self._extent(max(len(self) - len(t) - 1, 0), len(self)))

    def keep_from(self, t_s: float) -> None:
        """Drop the samples before `t_s` (scrolled out of view)."""
        cut = int(np.searchsorted(self._t, t_s))
        if cut:
            self._t, self._loads = self._t[cut:], self._loads[cut:]
            self._restart(self._extent(0, len(self)))

    def last(self) -> tuple[float, np.ndarray] | None:
        """The newest sample: its time and its row of loads (None before any)."""
        if not len(self):
            return None
        return float(self._t[-1]), self._loads[-1]

    def _extent(self, lo: int, hi: int) -> QRectF:
        if hi <= lo:
            return QRectF()
        x0, x1 = float(self._t[lo]), float(self._t[hi - 1])
        y0, y1 = float(self._loads[lo:hi].min()), float(self._loads[lo:hi].max())
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    def _draw(self, painter: QPainter, t: QTransform, lo: int, hi: int, width: int) -> None:
        lo = max(lo - 1, 0)  # a new sample's segment starts at the one before it
        if hi - lo < 2:
            return
        xs = self._t[lo:hi] * t.m11() + t.dx()
        ys = self._loads[lo:hi] * t.m22() + t.dy()
        if self.summary:
            band = np.concatenate([xs, xs[::-1]]), np.concatenate([ys[:, 1], ys[::-1, 0]])
            painter.setPen(QPen(self._band.color(), 1))  # a band one sample wide still shows
            painter.setBrush(self._band)
            painter.drawPolygon(pg.functions.arrayToQPolygonF(*band))
            painter.setPen(self._mean_pen)
            painter.drawPolyline(pg.functions.arrayToQPolygonF(xs, ys[:, 2]))
            return
        while len(self._pens) < ys.shape[1]:
            self._pens.append(theme.pen(theme.core_color(len(self._pens))))
        for core in range(ys.shape[1]):
            painter.setPen(self._pens[core])
            painter.drawPolyline(pg.functions.arrayToQPolygonF(xs, ys[:, core]))


def spread_labels(ys: list[float], gap: float, lo: float, hi: float) -> list[float | None]:
    """Places for labels at heights `ys` (the ends of lines), at least `gap` apart within
    [`lo`, `hi`]: moved apart as little as may be when they all fit, else as many as fit at
    their own heights, top down, and None for the rest (a label is never printed over)."""
    order = sorted(range(len(ys)), key=lambda i: -ys[i])
    placed: list[float | None] = [None] * len(ys)
    if (len(ys) - 1) * gap <= hi - lo:
        ceiling = hi
        for i in order:  # from the top down, each at least `gap` under the one above
            placed[i] = ceiling = min(ys[i], ceiling)
            ceiling -= gap
        overshoot = lo - min(y for y in placed if y is not None)
        if overshoot > 0:  # the lowest fell under the floor: lift the whole stack
            placed = [y + overshoot for y in placed if y is not None]
        return placed
    last = math.inf
    for i in order:
        y = min(max(ys[i], lo), hi)
        if last - y >= gap:
            placed[i] = last = y
    return placed


class CoresPanel(ShowsFocus, FitsItsView, pg.GraphicsLayoutWidget):
    """Per-core load now (bars, meters or a heat strip, by core count and room), who sits on
    each core where there is room, and a load history.

    Telemetry arrives at 10 Hz, so the panel redraws only when a new sample has arrived, or
    when its view was resized (the layout depends on the room; a finished run's window no
    longer ticks, so the panel draws its last state again itself).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("coresPlot")
        self.now_plot = self.addPlot(row=0, col=0)
        style_plot(self.now_plot, "Cores — load now", left="%", short="Cores")
        self.now_plot.setMouseEnabled(x=False, y=False)
        self.now_plot.setYRange(0, 100, padding=0.02)
        self.bars = Bars(x=[], height=[], width=0.75, pen=None)
        self.now_plot.addItem(self.bars)
        # Each core's load and who sits on it: inside the top of its bar, in the background's
        # colour (which reads on every core colour), or above a bar too short to hold it.
        self.labels = PointLabels(anchor=(0.5, 0.0), color=theme.BACKGROUND)
        self.labels_above = PointLabels(anchor=(0.5, 1.0), color=theme.FOREGROUND)
        self.now_plot.addItem(self.labels)
        self.now_plot.addItem(self.labels_above)
        # The grid of many cores: a track per core, the load filled over it, the core's
        # number before it and what is written after it.
        self.tracks = Bars(x0=[], y=[], width=[], height=ROW_FILL, pen=None)
        self.fills = Bars(x0=[], y=[], width=[], height=ROW_FILL, pen=None)
        self.numbers = PointLabels(anchor=(1.0, 0.5), color=theme.FOREGROUND)
        self.texts = PointLabels(anchor=(0.0, 0.5), color=theme.FOREGROUND)
        for item in (self.tracks, self.fills, self.numbers, self.texts):
            item.setVisible(False)
            self.now_plot.addItem(item)
        self.history_plot = self.addPlot(row=0, col=1)
        # "Cores —" is said once, by the plot on the left (or above).
        style_plot(self.history_plot, "last 30 s", left="%", bottom="run time (s)")
        self.history_plot.setMouseEnabled(x=False, y=False)
        self.history_plot.setYRange(0, 100, padding=0.02)
        # Three ticks say enough of a percentage, and stay apart in a short plot at any zoom.
        self.history_plot.getAxis("left").setTicks([PERCENT_TICKS])
        self.ci.layout.setColumnStretchFactor(0, 2)
        self.ci.layout.setColumnStretchFactor(1, 3)
        self.history = LoadHistory()
        self.history_plot.addItem(self.history)
        # Few cores: each line's core number at its end (the colour is not the only clue).
        self.line_numbers = PointLabels(anchor=(1.0, 0.5), color=theme.FOREGROUND)
        self.history_plot.addItem(self.line_numbers)
        self.legend: pg.LegendItem | None = None
        self._history_t = -1  # the newest sample in the history (ns)
        self._cores = 0  # cores the items are built for
        self.grid = Grid("bars", 0)
        self._grid_for: tuple | None = None  # (cores, view size) the grid was laid out for
        self._x = SteppedRange(5.0)
        self._drawn_sample: tuple[int, bool] | None = None
        self._drawn_window: tuple[float, float] | None = None
        self._state: RunState | None = None
        self._resizing = False
        self._heat_brushes: dict[int, QBrush] = {}
        self._stacked = False
        self._loads_shown: tuple[float, ...] = ()
        self.now_plot.getViewBox().sigResized.connect(self._view_resized)
        self.history_plot.getViewBox().sigResized.connect(self._view_resized)

    def reset(self) -> None:
        """Clear for a new run."""
        if self.grid.kind == "bars":
            self.bars.setOpts(height=[0] * self._cores)
        self.history.clear()
        self._history_t = -1
        self.labels.set_labels([], [])
        self.labels_above.set_labels([], [])
        self.numbers.set_labels([], [])
        self.texts.set_labels([], [])
        self.line_numbers.set_labels([], [])
        if self.grid.kind != "bars":
            self.fills.setOpts(width=[0.0] * self._cores)
        self._x.reset()
        self._drawn_sample = None
        self._drawn_window = None
        self._state = None
        self._loads_shown = ()

    def _view_resized(self) -> None:
        """The room changed: lay the cores out again and draw the last state."""
        if self._state is None or self._resizing:
            return
        self._resizing = True  # a new layout can resize the views again: once is enough
        try:
            self._drawn_sample = None
            self.redraw(self._state, ev.now_ns())
        finally:
            self._resizing = False

    def _ensure_cores(self, n: int) -> None:
        """Build what does not depend on the room: done once, for the machine's core count."""
        if self._cores:  # the core count is fixed for the machine
            return
        self._cores = n
        # Moving the plots resizes their views: no drawing in the middle of the move.
        self._resizing = True
        try:
            self._build_for(n)
        finally:
            self._resizing = False

    def _build_for(self, n: int) -> None:
        many = n > BAR_CORES
        if many:
            self.history_plot.removeItem(self.history)
            self.history = LoadHistory(summary=True)
            self.history_plot.addItem(self.history)
            self._add_legend(n)
            self.now_plot.invertY(True)
        for item in (self.bars, self.labels, self.labels_above):
            item.setVisible(not many)
        for item in (self.tracks, self.fills, self.numbers, self.texts):
            item.setVisible(many)
        self._arrange()
        self._grid_for = None

    def _arrange(self) -> None:
        """The "now" plot beside the history, or above it: above for many cores (a narrow
        column would leave a meter no room for its number), and for few when the panel is
        narrower than the two plots' minimum widths side by side (their titles and axes)."""
        # Not the plots' minimum widths: their titles ask for none (they shorten to fit), so
        # the minimum says nothing of what stays readable. A plot needs about this much.
        need = sum(
            max(plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width(), theme.px(PLOT_ROOM_PX))
            for plot in (self.now_plot, self.history_plot)
        )
        stacked = self._cores > BAR_CORES or self.width() < need + theme.px(12)
        if stacked == self._stacked:
            return
        self._stacked = stacked
        self.ci.removeItem(self.history_plot)
        if stacked:
            self.ci.addItem(self.history_plot, row=1, col=0)
            self.ci.layout.setColumnStretchFactor(1, 0)
            self.ci.layout.setRowStretchFactor(0, 1)
            self.ci.layout.setRowStretchFactor(1, 1)
        else:
            self.ci.addItem(self.history_plot, row=0, col=1)
            self.ci.layout.setRowStretchFactor(1, 0)
            self.ci.layout.setColumnStretchFactor(0, 2)
            self.ci.layout.setColumnStretchFactor(1, 3)
        # Side by side the layout may have been wider than the view (the two plots' minimum
        # widths add up); arranged anew it fits, but only a resize would tell it so.
        self.ci.setGeometry(self.range)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Resized: maybe stack the plots (or put them side by side again)."""
        super().resizeEvent(event)
        # Also called while the panel is built, and while it is torn down (its plots gone).
        if (
            getattr(self, "_cores", 0) and not self._resizing and shiboken6.isValid(self.ci)
        ):  # (also called while built)
            self._resizing = True
            try:
                self._arrange()
            finally:
                self._resizing = False
            self._view_resized()

    def _add_legend(self, n: int) -> None:
        """The key to a summarised history: the mean's line and the min–max band."""
        self.legend = pg.LegendItem(
            offset=(theme.px(6), -theme.px(4)),
            labelTextColor=theme.FOREGROUND,
            labelTextSize=f"{theme.pt(8.5):g}pt",
            colCount=2,
            brush=pg.mkBrush(theme.BACKGROUND),
        )
        self.legend.setParentItem(self.history_plot.getViewBox())
        self.legend.addItem(pg.PlotDataItem(pen=self.history._mean_pen), f"mean of {n}")
        band = pg.PlotDataItem(pen=None, fillLevel=0, fillBrush=self.history._band)
        self.legend.addItem(band, "min–max")

    def _layout_grid(self) -> None:
        """Lay out the "now" plot for its current room (only when the room changed)."""
        view = self.now_plot.getViewBox()
        # The room is the plot's, less its title: meters hide the axes and take it all (a
        # heat strip's axes take some back, which only its cells' squareness feels).
        area = self.now_plot.boundingRect()
        area_w = area.width() - theme.px(4)
        area_h = area.height() - self.now_plot.titleLabel.boundingRect().height() - theme.px(4)
        key = (self._cores, round(area_w), round(area_h), round(view.width()), round(view.height()))
        if key == self._grid_for:
            return
        self._grid_for = key
        n = self._cores
        metrics = QFontMetricsF(self.numbers.font())
        self.grid = grid = grid_layout(n, area_w, area_h, metrics)
        bottom, left = self.now_plot.getAxis("bottom"), self.now_plot.getAxis("left")
        if grid.kind == "bars":
            self.now_plot.setXRange(-0.6, n - 0.4, padding=0)
            self.bars.setOpts(
                x=list(range(n)),
                height=[0] * n,
                brushes=[pg.mkBrush(theme.core_color(i)) for i in range(n)],
            )
            px_x = px_per_unit(self.now_plot)[0]
            bottom.setTicks([fitting_ticks([f"cpu{i}" for i in range(n)], px_x)])
            left.setTicks([PERCENT_TICKS])
            return
        self.now_plot.setXRange(0, grid.cols, padding=0)
        self.now_plot.setYRange(0, grid.rows, padding=0)
        cells = [grid.cell(i) for i in range(n)]
        rows = [r + 0.5 for _, r in cells]
        if grid.kind == "meters":
            for axis in (bottom, left):
                axis.setTicks([[]])
                axis.setStyle(showValues=False)
            self.now_plot.showAxis("left", False)
            self.now_plot.showAxis("bottom", False)
            self.tracks.setOpts(height=ROW_FILL)
            self.fills.setOpts(height=ROW_FILL)
            starts = [c + grid.number for c, _ in cells]
            self.tracks.setOpts(
                x0=starts, y=rows, width=[grid.track] * n, brush=theme.current().button
            )
            self.fills.setOpts(
                x0=starts,
                y=rows,
                width=[0.0] * n,
                brushes=[pg.mkBrush(theme.core_color(i)) for i in range(n)],
            )
            self.numbers.set_labels(
                list(zip(starts, rows, strict=True)), [str(i) for i in range(n)]
            )
        else:
            # Cells coloured by load: the axes number them, row by first core, column by
            # how many cores on from it.

            self.now_plot.showAxis("left", True)
            self.now_plot.showAxis("bottom", True)
            label_style = {"color": theme.MUTED, "font-size": f"{theme.pt(AXIS_LABEL_PT):g}pt"}
            # Short labels: an axis label's width is a minimum width for the whole panel.
            self.now_plot.setLabel("left", "core", **label_style)
            self.now_plot.setLabel("bottom", "brighter = busier", **label_style)
            for axis in (bottom, left):
                axis.setStyle(showValues=True)
            px_x, px_y = px_per_unit(self.now_plot)
            row_ticks = fitting_ticks([str(r * grid.cols) for r in range(grid.rows)], px_y, True)
            left.setTicks([[(i + 0.5, text) for i, text in row_ticks]])
            col_ticks = fitting_ticks([f"+{c}" for c in range(grid.cols)], px_x)
            bottom.setTicks([[(i + 0.5, text) for i, text in col_ticks]])
            self.tracks.setOpts(x0=[], y=[], width=[])
            self.fills.setOpts(
                x0=[c + 0.04 for c, _ in cells], y=rows, width=[0.92] * n, height=0.9
            )
            self.numbers.set_labels([], [])
        self.texts.set_labels([], [])

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw the latest CPU sample, who sits where, and the history window."""
        if not state.cpu_loads:
            return
        self._state = state
        sample = state.cpu_t[-1]
        if (sample, state.finished) == self._drawn_sample:
            return
        self._drawn_sample = (sample, state.finished)
        latest = state.cpu_loads[-1]
        self._loads_shown = tuple(latest)
        n = len(latest)
        self._ensure_cores(n)
        self._layout_grid()
        on_core: list[list[str]] = [[] for _ in range(n)]
        if not state.finished:  # once the run is over, nobody sits on a core any more
            for lane in state.lanes:
                # The conductor mostly waits for its pool; name it only while it works.
                if lane.role == "main" and lane.open_task is None:
                    continue
                if 0 <= lane.current_core < n:
                    on_core[lane.current_core].append(lane_name(lane))
        if self.grid.kind == "bars":
            self._draw_bars(latest, on_core)
        elif self.grid.kind == "meters":
            self._draw_meters(latest, on_core)
        else:
            self.fills.setOpts(brushes=[self._heat_brush(load) for load in latest])

        self._add_history(state)
        lo, hi = self._window((sample - state.t0_ns) / 1e9)
        if (lo, hi) != self._drawn_window:
            self._drawn_window = (lo, hi)
            self.history.keep_from(lo)
            self.history_plot.setXRange(lo, hi, padding=0)
        self._number_lines(hi)

    def _draw_bars(self, latest: tuple[float, ...], on_core: list[list[str]]) -> None:
        """Bars of the load, each labelled with it and its pids, as far as the bar is wide."""
        self.bars.setOpts(height=list(latest))
        metrics = QFontMetricsF(self.labels.font())
        px_x, px_y = px_per_unit(self.now_plot)
        room = px_x * 0.75 - theme.px(2)  # the bar: the text is drawn in it (and must stay in)
        # "97%" where it fits, else "97" (the axis says %), else nothing.
        unit = "%" if room >= metrics.horizontalAdvance("100%") else ""
        show_load = room >= metrics.horizontalAdvance("100" + unit)
        line = metrics.height()
        top = self.now_plot.viewRange()[1][1]
        inside, above = [], []
        for i, load in enumerate(latest):
            lines = [f"{load:.0f}{unit}"] if show_load else []
            if show_load:
                lines += [p for p in on_core[i][:4] if metrics.horizontalAdvance(p) <= room]
            # As many lines as fit where there is more room: in the bar, or above it.
            in_px = load * px_y - theme.px(4)
            over_px = (top - load) * px_y - theme.px(4)
            fit = int(max(in_px, over_px) // line)
            text = "\n".join(lines[: max(fit, 0)])
            inside.append(text if in_px >= over_px else "")
            above.append("" if in_px >= over_px else text)
        points = [(i, float(load)) for i, load in enumerate(latest)]
        self.labels.set_labels(points, inside)
        self.labels_above.set_labels(points, above)

    def loads_shown(self) -> tuple[float, ...]:
        """Each core's load as last drawn (bars, meters or heat strip alike); () before any."""
        return self._loads_shown

    def bar_texts(self) -> list[str]:
        """Each bar's label (load and pids), wherever it is drawn; "" for none."""
        return [a or b for a, b in zip(self.labels.texts(), self.labels_above.texts(), strict=True)]

    def _draw_meters(self, latest: tuple[float, ...], on_core: list[list[str]]) -> None:
        """Meters filled to the load; the load and pids after them where the grid has room."""
        grid = self.grid
        self.fills.setOpts(width=[grid.track * min(max(v, 0.0), 100.0) / 100 for v in latest])
        if not grid.text:
            return
        points, texts = [], []
        for i, load in enumerate(latest):
            c, r = grid.cell(i)
            text = f"{load:.0f}%"
            if grid.text == "load+pids" and on_core[i]:
                more = len(on_core[i]) - 1
                text += f" {on_core[i][0]}" + (f"+{more}" if more else "")
            points.append((c + grid.number + grid.track + 0.02, r + 0.5))
            texts.append(text)
        self.texts.set_labels(points, texts)

    def _heat_brush(self, load: float) -> QBrush:
        step = min(max(round(load / 100 * HEAT_STEPS), 0), HEAT_STEPS)
        brush = self._heat_brushes.get(step)
        if brush is None:
            brush = self._heat_brushes[step] = QBrush(heat_color(load))
        return brush

    def _number_lines(self, right: float) -> None:
        """Each history line's core number at the plot's right edge, at its line's height,
        spread apart where lines end close together."""
        last = self.history.last()
        if self.history.summary or last is None:
            self.line_numbers.set_labels([], [])
            return
        _, loads = last
        px_y = px_per_unit(self.history_plot)[1]
        gap = (QFontMetricsF(self.line_numbers.font()).height() + 1) / max(px_y, 1e-6)
        # Half a line from the top and bottom: a label centred there would be cut in half.
        ys = spread_labels([float(v) for v in loads], gap, gap / 2, 100.0 - gap / 2)
        self.line_numbers.set_labels(
            [(right, 0.0 if y is None else y) for y in ys],
            ["" if y is None else str(i) for i, y in enumerate(ys)],
        )

    def _add_history(self, state: RunState) -> None:
        """Hand the history the samples that are new since the last frame."""
        times: list[int] = []
        loads: list[tuple[float, ...]] = []
        for t, sample in zip(reversed(state.cpu_t), reversed(state.cpu_loads), strict=True):
            if t <= self._history_t:
                break
            times.append(t)
            loads.append(sample)
        if times:
            self._history_t = times[0]
            self.history.append(
                (np.array(times[::-1], dtype=np.int64) - state.t0_ns) / 1e9,
                np.array(loads[::-1], dtype=float),
            )

    def _window(self, t_s: float) -> tuple[float, float]:
        """The history's x range for a sample at `t_s`: grows to 30 s, then scrolls in steps."""
        if t_s <= HISTORY_S:
            self._x.fit(min(t_s, HISTORY_S))
            return 0.0, min(self._x.value, HISTORY_S)
        hi = math.ceil(t_s / SCROLL_STEP_S) * SCROLL_STEP_S
        return hi - HISTORY_S, hi
