"""The shared-memory chart: the Array as a strip of cells filling live, coloured by the worker
that wrote each; the parent's plain list beside it, a strip that stays empty."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QSizePolicy

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.scenarios.shared_memory.model import (
    ARRAY_FILLED,
    ARRAY_PREFIX,
    CHILD_PLAIN_PREFIX,
    EXPECTED,
    FILL,
    PLAIN_FILLED_IN_CHILDREN,
    PLAIN_FILLED_IN_PARENT,
    SERIES_PLAIN_IN_PARENT,
    SERIES_VALUE,
    VALUE_EXPECTED,
    VALUE_FINAL,
    array_series,
    child_plain_series,
    slice_of,
)
from mpgui.ui import theme
from mpgui.ui.panels.base import PointLabels, style_plot, tick_font
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold, latest, styled

#: Text size (pt at 100 %) of the key under the strips.
KEY_PT = 10
#: Where the two strips lie on the plot's y axis (bottom, top): the Array above, the plain
#: list below.
ARRAY_Y, PLAIN_Y = (1.2, 1.9), (0.15, 0.85)
Y_RANGE = (0.0, 2.0)
#: The most columns a strip is drawn with: more cells than that are sampled (a strip is never
#: wider than a few hundred pixels; each column shows the cell at its middle).
MAX_COLUMNS = 2048
#: The most of the chart's height the full key may take; beyond it, the short key.
KEY_MAX_SHARE = 0.33
#: The least height (px at 100 %) of the strips' view: the key never squeezes them away.
STRIPS_MIN_PX = 60


#: How far (0..1) towards the background every other round of the categorical colours is
#: drawn: with 3 colours and 4 workers, w3 is w0's hue but clearly darker (or lighter).
ROUND_TINT = 0.5


def worker_color(worker: int) -> str:
    """Worker `worker`'s colour: the theme's categorical colours in turn, every other round
    of them tinted towards the background, so that no two of the first workers look alike
    (each slice also carries its worker's name, w0, w1…)."""
    t = theme.current()
    turn, k = divmod(worker, len(t.categories))
    if turn % 2 == 0:
        return t.categories[k]
    return theme.blend(t.categories[k], t.background, ROUND_TINT).name()


def unwritten_color() -> str:
    """The colour of a cell nobody wrote: a background tone, inside the strip's frame."""
    return theme.current().button


def cell_marks(counts: list[int], workers: int, length: int) -> np.ndarray:
    """Every cell's writer as the parent read it: 0 unwritten, k + 1 for worker k.

    `counts[k]` is how many cells of worker k's slice held its mark; a worker fills its
    slice from the start, so those are the slice's first `counts[k]` cells.
    """
    marks = np.zeros(length, dtype=np.int16)
    for k, count in enumerate(counts[:workers]):
        mine = slice_of(k, workers, length)
        marks[mine.start : mine.start + max(0, min(int(count), len(mine)))] = k + 1
    return marks


def strip_image(marks: np.ndarray, workers: int) -> np.ndarray:
    """`marks` as an RGBA strip one pixel high, at most :data:`MAX_COLUMNS` wide."""
    table = np.array(
        [QColor(unwritten_color()).getRgb()]
        + [QColor(worker_color(k)).getRgb() for k in range(workers)],
        dtype=np.uint8,
    )
    n = len(marks)
    if n > MAX_COLUMNS:
        marks = marks[((np.arange(MAX_COLUMNS) + 0.5) * n / MAX_COLUMNS).astype(int)]
    return table[marks][:, np.newaxis, :]  # ImageItem's order: image[x, y]


class SharedMemoryChart(ScenarioChart):
    """Two strips of `length` cells, as the parent reads them while the workers write.

    Above, the shared Array: each cell coloured by the worker whose mark it holds, each
    worker's slice named under its frame (w0, w1…), so the strip fills in four (or more)
    places at once. Below, the parent's plain list: it stays empty, and says so. The key under
    them gives the figures: cells the parent sees, what each child saw in its own copy of the
    plain list, and the Value's total against what the workers added.
    """

    READS = Reads(
        series=(SERIES_PLAIN_IN_PARENT, SERIES_VALUE),
        series_prefixes=(ARRAY_PREFIX, CHILD_PLAIN_PREFIX),
        phases=(FILL,),
        metrics=(
            ARRAY_FILLED,
            EXPECTED,
            PLAIN_FILLED_IN_PARENT,
            VALUE_FINAL,
            VALUE_EXPECTED,
            PLAIN_FILLED_IN_CHILDREN,
        ),
        tasks=True,  # the workers' lanes: which pid each slice's writer is
    )
    #: The workers' colours, told apart in the Array's strip.
    MEANINGS = ("categories",)

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self._shape = (0, 0)  # (workers, length) the frames are drawn for
        self.slice_pids: dict[int, int] = {}  # worker number → its pid (from its lane)
        self._figures: dict[str, Any] | None = None  # what the key says
        self.key_compact = False  # the key in short lines: the chart has little height
        self.plot = self.addPlot(row=0, col=0)
        style_plot(
            self.plot,
            "Who wrote each cell — as the parent reads it",
            bottom="each worker's slice of the cells",
            short="Cells",
        )
        self.plot.setMouseEnabled(x=False, y=False)
        mid = (sum(ARRAY_Y) / 2, sum(PLAIN_Y) / 2)
        self.plot.getAxis("left").setTicks([[(mid[0], "Array"), (mid[1], "plain list")]])
        self.plot.setYRange(*Y_RANGE, padding=0)
        self.plot.vb.setMinimumHeight(theme.px(STRIPS_MIN_PX))
        self.array_img = pg.ImageItem(axisOrder="col-major")
        self.plain_img = pg.ImageItem(axisOrder="col-major")
        # Each strip's frame, and the borders between the Array's slices.
        self.frames = self.plot.plot(pen=theme.pen(theme.MUTED, 1), connect="pairs")
        self.borders = self.plot.plot(pen=theme.pen(theme.FOREGROUND, 2), connect="pairs")
        for z, item in enumerate((self.array_img, self.plain_img, self.frames, self.borders)):
            item.setZValue(z)
        self.plot.addItem(self.array_img)
        self.plot.addItem(self.plain_img)
        # The plain list's count inside its strip. Each slice's name is a tick of the x axis
        # under its middle: the axis always has room for its labels, where text over the
        # strip would run into the title on a short chart.
        self.plain_label = PointLabels(anchor=(0.5, 0.5), color=theme.FOREGROUND)
        self.plain_label.setZValue(10)
        self.plot.addItem(self.plain_label)
        self.slice_names: list[str] = []  # the x axis's labels, w0, w1… ("" where too narrow)
        self.plot.getViewBox().sigResized.connect(self._label_slices)
        # The key in its own row, wrapped to the chart's width.
        self.key = pg.LabelItem("", justify="left")
        self.key.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(self.key, row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 1)
        self.reset()

    # -- drawing ---------------------------------------------------------------------------
    def clear_run(self) -> None:
        self.array_img.clear()
        self.plain_img.clear()
        self.frames.setData([], [])
        self.borders.setData([], [])
        self.slice_names = []
        self.plot.getAxis("bottom").setTicks([[]])
        self.plain_label.set_labels([], [])
        self._shape = (0, 0)
        self.slice_pids = {}
        self.plot.setXRange(0, 1, padding=0)
        self._set_key(None)

    def _frame(self, workers: int, length: int) -> None:
        """The strips' frames, the slices' borders and the x range, for this run's shape."""
        self._shape = (workers, length)
        self.plot.setXRange(0, length, padding=0)
        xs, ys = [], []
        for y0, y1 in (ARRAY_Y, PLAIN_Y):
            for a, b in (((0, y0), (length, y0)), ((0, y1), (length, y1))):
                xs += [a[0], b[0]]
                ys += [a[1], b[1]]
            for x in (0, length):
                xs += [x, x]
                ys += [y0, y1]
        self.frames.setData(xs, ys)
        bx, by = [], []
        for k in range(1, workers):
            x = slice_of(k, workers, length).start
            bx += [x, x]
            by += [ARRAY_Y[0], ARRAY_Y[1]]
        self.borders.setData(bx, by)

    @staticmethod
    def _show(item: pg.ImageItem, image: np.ndarray, ys: tuple[float, float], length: int) -> None:
        """Show `image` in `item`, stretched over cells 0..`length` between heights `ys`.

        The rect is set after the image: it scales by the image's own size in pixels.
        """
        item.setImage(image, autoLevels=False, levels=(0, 255))
        item.setRect(QRectF(0, ys[0], length, ys[1] - ys[0]))

    def _label_slices(self) -> None:
        """Name each slice under its middle; where slices are too narrow for their names,
        every second (third…) one, so the names never run into each other."""
        workers, length = self._shape
        if not length:
            return
        vb = self.plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        slice_px = vb.width() / max(x1 - x0, 1e-9) * length / workers
        metrics = QFontMetricsF(tick_font())
        widest = max(metrics.horizontalAdvance(f"w{k}") for k in range(workers)) + theme.px(6)
        step = max(1, math.ceil(widest / max(slice_px, 1e-9)))
        ticks, names = [], []
        for k in range(workers):
            mine = slice_of(k, workers, length)
            names.append(f"w{k}" if k % step == 0 else "")
            ticks.append(((mine.start + mine.stop) / 2, names[-1]))
        if names != self.slice_names:
            self.slice_names = names
            self.plot.getAxis("bottom").setTicks([ticks])

    def draw(self, state: RunState, now_ns: int) -> None:
        params = state.spec.params
        workers, length = int(params.get("workers", 0)), int(params.get("length", 0))
        if not workers or not length or not state.phases:
            return
        if self._shape != (workers, length):
            self._frame(workers, length)
        self.slice_pids = {
            int(lane.label[1:]): lane.pid
            for lane in state.workers()
            if lane.label.startswith("w") and lane.label[1:].isdigit()
        }
        counts = [int(latest(state, array_series(k)) or 0) for k in range(workers)]
        marks = cell_marks(counts, workers, length)
        self._show(self.array_img, strip_image(marks, workers), ARRAY_Y, length)
        plain = latest(state, SERIES_PLAIN_IN_PARENT)
        parent_count = int(plain) if plain is not None else None
        # The parent's own list, drawn from its own count: written cells would show from the
        # left (there are none).
        plain_marks = np.zeros(length, dtype=np.int16)
        plain_marks[: parent_count or 0] = 1
        self._show(self.plain_img, strip_image(plain_marks, 1), PLAIN_Y, length)
        if parent_count is not None:
            text = f"parent's list: {parent_count:,} of {length:,} written"
            self.plain_label.set_labels([(length / 2, sum(PLAIN_Y) / 2)], [text])
        self._label_slices()
        children = [latest(state, child_plain_series(k)) for k in range(workers)]
        value = latest(state, SERIES_VALUE)
        figures = {
            "filled": sum(counts),
            "length": length,
            "parent": parent_count,
            "children": int(sum(c or 0 for c in children)),
            "value": None if value is None else int(value),
            "over": state.finished,
            "stopped": state.status == ev.STATUS_STOPPED,
            "value_expected": state.metrics.get(VALUE_EXPECTED),
        }
        self._set_key(figures)

    # -- the key ---------------------------------------------------------------------------
    def _key_lines(self, f: dict[str, Any] | None, compact: bool = False) -> list[str]:
        """The key's lines (HTML): the workers' colours, then the three lessons' figures.

        `compact`: no colour key (the slices' names say whose they are) and short lines, for
        a chart with little height (a projector's zoom).
        """
        swatches = []
        workers = self._shape[0]
        for k in range(workers):
            pid = self.slice_pids.get(k)
            who = f"w{k}" + (f" (pid {pid})" if pid else "")
            # An entry never breaks between its swatch, its name and its pid.
            entry = f"{styled('■', color=worker_color(k))} {who}"
            swatches.append(styled(entry, nowrap=True))
        swatches.append(styled(f"{styled('□', color=theme.MUTED)} unwritten", nowrap=True))
        out = ["written by: " + " &nbsp; ".join(swatches)] if workers and not compact else []
        if f is None:
            return [*out, "the Array and the plain list fill here while the workers write"]
        filled = bold(f"{f['filled']:,}")
        full = " ✓" if f["filled"] == f["length"] else ""
        parent = bold("—" if f["parent"] is None else f"{f['parent']:,}")
        verdict = ""
        if f["value"] is not None and f["over"] and f["value_expected"] is not None:
            exact = f["value"] == f["value_expected"]
            verdict = f" of {f['value_expected']:,} added — " + (
                "exact ✓" if exact else "NOT exact ✗"
            )
        value = "—" if f["value"] is None else bold(f"{f['value']:,}")
        if compact:
            out.append(f"Array in the parent {filled} / {f['length']:,}{full}")
            out.append(f"plain list in the parent {parent} (children's copies {f['children']:,})")
            out.append(f"Value {value}{verdict}")
        else:
            out.append(f"Array in the parent: {filled} / {f['length']:,} cells{full}")
            out.append(
                f"plain list: the children wrote {f['children']:,} cells in their own copies; "
                f"the parent's has {parent}"
            )
            out.append(f"Value total (+= under get_lock()): {value}{verdict}")
        if f["stopped"]:
            out.append("stopped early: the workers wrote only part of their slices")
        return out

    def _set_key(self, figures: dict[str, Any] | None, width: float | None = None) -> None:
        """Show the key for `figures` under the strips, wrapped to the chart's `width` (px;
        now); compact if the full key would take more than :data:`KEY_MAX_SHARE` of the
        chart's height."""
        self._figures = figures
        left, _, right, _ = self.ci.layout.getContentsMargins()
        room = (self.width() if width is None else width) - left - right - theme.px(12)
        self.key.item.setTextWidth(max(50.0, room))
        for compact in (False, True):
            lines_ = self._key_lines(figures, compact)
            self.key.setText(styled("<br>".join(lines_), size=KEY_PT, color=theme.FOREGROUND))
            tall = self.key.item.boundingRect().height()
            if tall <= KEY_MAX_SHARE * max(1, self.height()):
                break
        self.key_compact = compact

    def resizeEvent(self, event) -> None:  # noqa: N802, D102 - Qt's name
        # Re-wrapped before the view lays out at the new size (text wrapped for a wider
        # chart would hold the layout at that width); not once close() has deleted it.
        if "key" in vars(self) and not self.closed:
            self._set_key(self._figures, width=event.size().width())
        super().resizeEvent(event)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        filled, expected = metrics[ARRAY_FILLED], metrics[EXPECTED]
        exact = metrics[VALUE_FINAL] == metrics[VALUE_EXPECTED]
        return [
            f"Array: {bold(f'{filled:,}')} / {expected:,} cells in the parent",
            f"plain list: {bold(html.escape(f'{metrics[PLAIN_FILLED_IN_PARENT]:,}'))}",
            f"Value {'exact' if exact else 'NOT exact'} {bold(f'{metrics[VALUE_FINAL]:,}')}",
        ]


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = SharedMemoryChart
