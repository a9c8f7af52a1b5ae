"""What every plot panel shares: titles, axis styling, ranges that grow in steps, text that
is painted from a pixmap, and layers that draw only what is new."""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsTextItem,
    QGraphicsWidget,
    QStyleOptionGraphicsItem,
    QWidget,
)

from mpgui.core.model.run_state import Lane
from mpgui.ui import theme


def lane_name(lane: Lane) -> str:
    """A lane's short name on an axis: a worker process's pid, else the lane's label ("main"
    for the conductor, "thread 2" for a thread lane, "server" for a page server, "fork" for
    start-methods' lane of fork's children)."""
    return str(lane.pid) if lane.role == "worker" and not lane.tid else lane.label


def paint_from_pixmap(item: QGraphicsItem) -> None:
    """Have Qt paint `item` from a pixmap it keeps until the item changes.

    For text and axes: each paint of a text item lays its text out again, and an axis replays
    every tick label, though they rarely change. Whenever a frame repaints the area they are
    in (a bar that grew under a label, a whole panel exposed), a cached item costs a blit.
    The pixmap is in device pixels, so the text is as sharp as when painted directly.
    """
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def text_item(text: str = "", **kwargs: Any) -> pg.TextItem:
    """A ``pg.TextItem`` (same arguments) painted from a pixmap while its text is unchanged."""
    item = pg.TextItem(text, **kwargs)
    paint_from_pixmap(item.textItem)  # the QGraphicsTextItem inside does the painting
    return item


def color_index(cpus: np.ndarray) -> np.ndarray:
    """For each core in `cpus`, the lowest core of the same colour (-1 stays -1): cores that
    share a colour can share a brush and a draw call."""
    count = len(theme.current().cores)
    return np.where(cpus < 0, -1, cpus % count)


class Bars(pg.BarGraphItem):
    """A ``pg.BarGraphItem`` that works out its bounds once per change, not per question.

    pyqtgraph pads a bar item's bounds by half a pen width in pixels, which takes a
    pixel-size computation every time Qt asks for them: several times per item per paint.
    The bounds only change with the bars or the view, so they are kept until either does.
    """

    _bounds: QRectF | None = None

    def setOpts(self, **opts: Any) -> None:  # noqa: N802 - pyqtgraph's name
        """As ``BarGraphItem.setOpts``; the bounds are worked out again."""
        self._bounds = None
        super().setOpts(**opts)

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's name
        """The view zoomed or was resized: a pixel of padding covers other data now."""
        self._bounds = None
        super().viewTransformChanged()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """``BarGraphItem.boundingRect``, kept until the bars or the view change."""
        if self._bounds is None:
            self._bounds = super().boundingRect()
        return QRectF(self._bounds)


#: Plot title and axis label sizes (pt at 100 % zoom).
TITLE_PT, AXIS_LABEL_PT, TICK_PT = 11, 9.5, 9


def tick_font() -> QFont:
    """The font of axis tick labels, at the current zoom."""
    font = QFont()
    font.setPointSizeF(theme.pt(TICK_PT))
    return font


def style_plot(
    plot: pg.PlotItem, title: str, left: str = "", bottom: str = "", short: str = ""
) -> None:
    """Give `plot` mpgui's look: a title, labelled axes, no mouse menu, no auto-range.

    Where the title does not fit (a narrow panel, a big zoom) the plot shows `short` instead,
    and where that does not fit either, as much of it as does, with "…".

    No grid: a grid belongs to its axis item, whose bounding rect then covers the whole plot,
    so every changed bar would make Qt repaint the axes too — the largest cost of a frame.
    """
    plot.setTitle(title, color=theme.FOREGROUND, size=f"{theme.pt(TITLE_PT):g}pt")
    _fit_title(plot, title, short or title)
    label_style = {"color": theme.MUTED, "font-size": f"{theme.pt(AXIS_LABEL_PT):g}pt"}
    for side, text in (("left", left), ("bottom", bottom)):
        if text:
            plot.setLabel(side, text, **label_style)
            _fit_axis_label(plot, side, text, label_style)
    # Tick labels in the window's font (which carries the zoom), the pen as thick as a line.
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(theme.pen(theme.MUTED))
        axis.setTextPen(theme.FOREGROUND)
        axis.setStyle(tickFont=tick_font(), tickLength=-theme.px(5))
    for side in ("left", "bottom"):
        # Plain numbers: "seconds (x0.001)" or a "1e+06" tick puzzles more than it helps.
        plot.getAxis(side).enableAutoSIPrefix(False)
    for side in ("left", "bottom", "top", "right"):
        axis = plot.getAxis(side)
        paint_from_pixmap(axis)
        paint_from_pixmap(axis.label)
    paint_from_pixmap(plot.titleLabel.item)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    # Ranges are set by the panels, rarely: auto-ranging every frame costs time and jitters.
    plot.disableAutoRange()


#: The margin Qt's text item keeps around its text (px), on each side.
DOCUMENT_MARGIN = 4


def _fit_title(plot: pg.PlotItem, title: str, short: str) -> None:
    """Fit `plot`'s title to the plot's width, as often as the plot is resized: `title` if it
    fits, else `short`, else `short` elided.

    A ``pg.LabelItem`` makes its text's width its minimum width, and a plot cannot be laid
    out narrower than its title: in a narrow panel (1024 px wide, a big zoom) the whole
    scene is then wider than its view and its right side is cut off — axis, labels and all.
    Here the title asks for no width; it is shortened with "…" to the room it has instead.
    """
    # Weak references: the label keeps the closures, and a strong one back would make a
    # cycle that outlives the window once gc.freeze() has frozen it (see settle_after_start).
    label_ref, plot_ref = weakref.ref(plot.titleLabel), weakref.ref(plot)
    font = QFont()
    font.setPointSizeF(theme.pt(TITLE_PT))
    metrics = QFontMetrics(font)
    style = {"color": theme.FOREGROUND, "size": f"{theme.pt(TITLE_PT):g}pt"}
    shown = [title]
    original_update_min = type(plot.titleLabel).updateMin

    def update_min() -> None:
        label = label_ref()
        if label is not None:
            original_update_min(label)
            label.setMinimumWidth(0)  # the height stays the text's

    def refit() -> None:
        label = label_ref()
        if label is None or plot_ref() is None or not shiboken6.isValid(label):
            return
        # The label's cell (above the plot's view, beside the axes), less the text's margins.
        room = int(label.width()) - 2 * DOCUMENT_MARGIN - 2
        text = title
        if metrics.horizontalAdvance(title) > room:
            text = metrics.elidedText(short, Qt.TextElideMode.ElideRight, max(room, 0))
        if text != shown[0]:
            shown[0] = text
            label.setText(html.escape(text), **style)

    plot.titleLabel.updateMin = update_min
    update_min()
    plot.titleLabel.geometryChanged.connect(refit)


def _fit_axis_label(plot: pg.PlotItem, side: str, text: str, style: dict[str, str]) -> None:
    """Fit the `side` axis label to the axis's length, as often as the plot is resized:
    `text` if it fits, else its unit alone ("run time (s)" → "(s)"), else elided."""
    axis_ref, plot_ref = weakref.ref(plot.getAxis(side)), weakref.ref(plot)  # see _fit_title
    font = QFont()
    font.setPointSizeF(float(style["font-size"].removesuffix("pt")))
    metrics = QFontMetrics(font)
    unit = text[text.rfind("(") :] if text.endswith(")") and "(" in text else ""
    shown = [text]

    def refit() -> None:
        axis, plot = axis_ref(), plot_ref()
        if axis is None or plot is None or not shiboken6.isValid(axis):
            return
        length = axis.height() if side in ("left", "right") else axis.width()
        room = int(length) - 2 * DOCUMENT_MARGIN - 2
        choice = text
        if metrics.horizontalAdvance(text) > room:
            choice = unit if unit and metrics.horizontalAdvance(unit) <= room else text
            choice = metrics.elidedText(choice, Qt.TextElideMode.ElideRight, max(room, 0))
        if choice != shown[0]:
            shown[0] = choice
            plot.setLabel(side, html.escape(choice), **style)

    plot.getAxis(side).geometryChanged.connect(refit)


class ShowsFocus:
    """Mixin for a pyqtgraph view: an accent frame round the view while it has the keyboard
    focus (the panels are Tab stops), drawn over the plots.

    Not a style-sheet border: a border on a ``QGraphicsView`` changes its margins whenever
    the application's sheet is set again (every zoom or theme change), and laying plots out
    again from inside that has crashed Qt. Put it first among the bases.
    """

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt's
        """Draw the scene's foreground, then the focus frame if the view has the focus."""
        super().drawForeground(painter, rect)
        if not self.hasFocus():
            return
        painter.save()
        painter.resetTransform()
        frame = theme.width(3)
        painter.setPen(QPen(QColor(theme.ACCENT), frame))
        inset = int(frame / 2) + 1
        painter.drawRect(self.viewport().rect().adjusted(inset, inset, -inset, -inset))
        painter.restore()

    def focusInEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Show the frame."""
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Hide the frame."""
        super().focusOutEvent(event)
        self.viewport().update()


class FitsItsView:
    """Mixin for a pyqtgraph view (``PlotWidget``, ``GraphicsLayoutWidget``): when the plots
    cannot be laid out in the room the view has (a small panel at a big zoom), draw them at
    the smallest size they can take and scale that down to the view, instead of cutting
    their right and bottom edges off.

    Put it first among the bases. :meth:`fit_view` runs after every resize; call it after a
    change that may make the contents need more room (a longer label).
    """

    def fit_view(self) -> None:
        """Scale the scene down just enough for the plots' minimum size to fit the view."""
        central = self.centralWidget
        if central is None:
            return
        need = central.effectiveSizeHint(Qt.SizeHint.MinimumSize)
        width, height = max(self.width(), 1), max(self.height(), 1)
        scale = max(need.width() / width, need.height() / height)
        # What the layout really placed: a row's minimum is not always all it takes.
        placed = QRectF()
        todo = list(central.childItems())
        while todo:
            item = todo.pop()
            if isinstance(item, QGraphicsWidget) and item.isVisible():
                placed |= central.mapRectFromItem(item, item.rect())
                todo += item.childItems()
        if not placed.isNull():
            scale = max(scale, placed.right() / width, placed.bottom() / height)
        if scale > 1.0:
            rect = QRectF(0, 0, width * scale, height * scale)
            if rect != self.range:
                pg.GraphicsView.setRange(self, rect, padding=0, disableAutoPixel=True)
        elif not self.autoPixelRange:
            self.autoPixelRange = True
            pg.GraphicsView.setRange(
                self, QRectF(0, 0, width, height), padding=0, disableAutoPixel=False
            )

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Lay out at the new size (1:1 if the plots fit), then fit."""
        self.autoPixelRange = True  # the base lays out 1:1 at the new size first
        super().resizeEvent(event)
        self.fit_view()
        # Items resized with the view lay themselves out again in posted events: fit again
        # once they have.
        QTimer.singleShot(0, self, self.fit_view)  # dropped if the panel has gone


class SteppedRange:
    """An axis maximum that grows in steps (×`factor`) and never shrinks mid-run.

    Moving a range regenerates its axis; growing in steps keeps the axis still between steps,
    so a frame repaints only the items that changed. :meth:`fit` says whether it moved.
    """

    def __init__(self, initial: float, factor: float = 1.5) -> None:
        self.initial = initial
        self.factor = factor
        self.value = initial

    def reset(self) -> None:
        """Back to the initial maximum."""
        self.value = self.initial

    def fit(self, needed: float, headroom: float = 1.0) -> bool:
        """Grow until `needed` × `headroom` fits; True if the maximum changed."""
        changed = False
        while needed * headroom > self.value:
            self.value *= self.factor
            changed = True
        return changed


class Throttle:
    """True at most every `interval_ns`: for parts of a frame that move with the clock."""

    def __init__(self, interval_ns: int = 100_000_000) -> None:
        self.interval_ns = interval_ns
        self._last = -interval_ns

    def due(self, now_ns: int) -> bool:
        """True (and restart the interval) when the interval has passed."""
        if now_ns - self._last >= self.interval_ns:
            self._last = now_ns
            return True
        return False

    def reset(self) -> None:
        """Make the next :meth:`due` true."""
        self._last = -self.interval_ns


def label_step(px_per_item: float, label_px: float) -> int:
    """Label every k-th item, k a power of two: the smallest k whose labels, each `label_px`
    long, leave a gap between them when items are `px_per_item` apart.

    Powers of two keep the labelled items where a reader expects them (core 0, 8, 16 …) and
    each halving of the room doubles k, so labels do not jump about as a panel is resized.
    """
    need = label_px + theme.px(6)  # about half an em between two labels
    step = 1
    while step * px_per_item < need and step < 1 << 20:
        step *= 2
    return step


def fitting_ticks(
    labels: list[str], px_per_item: float, vertical: bool = False
) -> list[tuple[int, str]]:
    """Tick positions and labels for items `px_per_item` apart on an axis, thinned by
    :func:`label_step` so that no two labels overlap in the tick font at the current zoom.

    Along a `vertical` axis a label takes a line's height, along a horizontal one its width.
    """
    if not labels:
        return []
    metrics = QFontMetricsF(tick_font())
    if vertical:
        size = metrics.height()
    else:
        size = max(metrics.horizontalAdvance(text) for text in labels)
    step = label_step(px_per_item, size)
    return [(i, text) for i, text in enumerate(labels) if i % step == 0]


def px_per_unit(plot: pg.PlotItem) -> tuple[float, float]:
    """How many pixels one data unit spans in `plot`'s view, along x and along y."""
    view = plot.getViewBox()
    (x0, x1), (y0, y1) = view.viewRange()
    rect = view.boundingRect()
    return rect.width() / max(x1 - x0, 1e-12), rect.height() / max(y1 - y0, 1e-12)


#: A view narrower than this (px) is not laid out yet: labelled bars use a fixed headroom.
MIN_LAID_OUT_PX = 120
#: The least share of a labelled bars view a bar keeps, however long its label.
MIN_BAR_SHARE = 0.3


class LabelledBars:
    """Horizontal bars, one per category, each with its value written after it.

    Used for the few big figures a scenario compares (serial vs parallel wall time, Manager
    proxy vs Queue rate). The value axis grows in steps, with room for the labels.
    """

    def __init__(
        self,
        plot: pg.PlotItem,
        names: list[str],
        colors: list[str],
        fmt: Callable[[float], str],
        initial: float,
    ) -> None:
        self.plot = plot
        self.fmt = fmt
        plot.setMouseEnabled(x=False, y=False)
        plot.getAxis("left").setTicks([list(enumerate(names))])
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        plot.invertY(True)  # the first category on top
        n = len(names)
        self.bars = Bars(
            x0=[0] * n,
            y=list(range(n)),
            width=[0] * n,
            height=0.6,
            pen=None,
            brushes=[pg.mkBrush(c) for c in colors],
        )
        plot.addItem(self.bars)
        self.labels = [text_item(anchor=(0, 0.5), color=theme.FOREGROUND) for _ in names]
        for label in self.labels:
            plot.addItem(label)
        self._range = SteppedRange(initial, factor=2.0)
        self.reset()

    def reset(self) -> None:
        """Empty bars, the initial range."""
        self.set([None] * len(self.labels))
        self._range.reset()
        self.plot.setXRange(0, self._range.value, padding=0)

    def set(self, values: list[float | None]) -> None:
        """Show `values` (None: no bar, no label)."""
        widths = [v or 0.0 for v in values]
        self.bars.setOpts(width=widths)
        for i, value in enumerate(values):
            self.labels[i].setText("" if value is None else " " + self.fmt(value))
            self.labels[i].setPos(value or 0.0, i)
        if self._range.fit(self._room_for_labels(widths)):
            self.plot.setXRange(0, self._range.value, padding=0)

    def _room_for_labels(self, widths: list[float]) -> float:
        """The axis maximum that leaves room for each value label right of its bar.

        A label takes a share of the view's pixels, so its bar may take at most the rest of
        the range: ``value / (1 - share)``. In a small chart (presentation mode at 1024×768)
        a fixed headroom cut the labels off. Before the view is laid out, 1.7× the longest.
        """
        view_px = self.plot.getViewBox().boundingRect().width()
        if view_px < MIN_LAID_OUT_PX:
            return 1.7 * max(widths)
        needed = 0.0
        for value, label in zip(widths, self.labels, strict=True):
            share = (label.boundingRect().width() + theme.px(4)) / view_px
            needed = max(needed, value / max(MIN_BAR_SHARE, 1.0 - share))
        return needed


class GrowingLayer(pg.GraphicsObject):
    """Base of plot items whose data grows at the end, painted from an image they add to.

    A live plot gains a little data per frame on top of a lot it already shows. Such an item
    keeps what it has drawn in an image the size of its view, in device pixels; a paint draws
    only the records added since the last one, then blits the image. Everything is drawn
    again only when the view's transform or size changes (an axis steps, a resize, a pan) or
    when records are dropped.

    A subclass keeps its records (``len()`` counts them), calls :meth:`_grown` after
    appending and :meth:`_restart` after dropping, and implements :meth:`_draw`. The view
    must not rotate (plots never do).
    """

    def __init__(self) -> None:
        super().__init__()
        self._bounds = QRectF()
        self._image: QImage | None = None
        self._image_key: tuple | None = None
        self._in_image = 0  # records [0, _in_image) are drawn in the image

    def __len__(self) -> int:
        raise NotImplementedError

    def _draw(self, painter: QPainter, t: QTransform, lo: int, hi: int, width: int) -> None:
        """Draw records [lo, hi) with `painter` in device pixels, mapping data through `t`.

        `width` is the device's width in pixels: records beyond it need not be drawn.
        """
        raise NotImplementedError

    def _grown(self, area: QRectF) -> None:
        """Records covering `area` (data coordinates) were appended."""
        self._set_bounds(self._bounds.united(area) if not self._bounds.isNull() else area)
        self.update(area)  # only the new records' area needs repainting

    def _restart(self, bounds: QRectF) -> None:
        """Records were dropped; the rest cover `bounds`. The image is drawn again."""
        self._image_key = None
        self._set_bounds(bounds)
        self.update()

    def _set_bounds(self, bounds: QRectF) -> None:
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = QRectF(bounds)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """The records' extent in data coordinates (kept, not computed: Qt asks often)."""
        return QRectF(self._bounds)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        """Draw the new records into the image (all of them if the view changed), blit it."""
        t = painter.transform()
        if widget is None:  # an export, not a view: draw everything straight onto its device
            painter.save()
            painter.resetTransform()
            self._draw(painter, t, 0, len(self), painter.device().width())
            painter.restore()
            return
        dpr = widget.devicePixelRatioF()
        width, height = widget.width(), widget.height()
        key = (t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy(), width, height, dpr)
        if key != self._image_key or self._image is None:
            fmt = QImage.Format.Format_ARGB32_Premultiplied
            self._image = QImage(round(width * dpr), round(height * dpr), fmt)
            self._image.setDevicePixelRatio(dpr)
            self._image.fill(Qt.GlobalColor.transparent)
            self._image_key, self._in_image = key, 0
        if self._in_image < len(self):
            into = QPainter(self._image)
            self._draw(into, t, self._in_image, len(self), width)
            into.end()
            self._in_image = len(self)
        # Blit only the records' part of the image (plus a pixel or two of pen).
        area = t.mapRect(self._bounds).toAlignedRect().adjusted(-2, -2, 2, 2)
        area &= QRect(0, 0, width, height)
        if area.isEmpty():
            return
        source = QRectF(area.x() * dpr, area.y() * dpr, area.width() * dpr, area.height() * dpr)
        painter.save()
        painter.resetTransform()
        painter.drawImage(QRectF(area), self._image, source)
        painter.restore()


class PointLabels(pg.GraphicsObject):
    """Short texts pinned to points of a plot, unscaled, all painted by this one item.

    Placed as ``pg.TextItem`` places its text: the box around the text (with the same 4 px
    margin) is anchored to its point by `anchor` ((0.5, 0): top centre on the point), lines
    left-aligned. But one ``TextItem`` per label costs Python calls on every paint of its
    view (its transform re-checked, its bounds asked for), and a text layout per change;
    here each line is laid out once (``QStaticText``) and all labels paint in one call.
    """

    #: QGraphicsTextItem's document margin, so the text sits where a TextItem's would.
    MARGIN = 4.0
    #: Laid-out lines kept for reuse: labels repeat the same few ("97%", a pid).
    KEEP_LINES = 512

    def __init__(self, anchor: tuple[float, float], color: str) -> None:
        super().__init__()
        self.anchor = anchor
        self._pen = QPen(QColor(color))
        self._font = QGraphicsTextItem().font()  # the font a TextItem's text would have
        self._points: list[QPointF] = []
        self._texts: list[str] = []
        # Per label, its lines laid out, each with its offset from the point in pixels.
        self._lines: list[list[tuple[float, float, QStaticText]]] = []
        self._laid_out: dict[str, QStaticText] = {}
        self._bounds: QRectF | None = None

    def set_labels(self, points: list[tuple[float, float]], texts: list[str]) -> None:
        """Show `texts[i]` at data point `points[i]` ("" for none); only changes are laid out."""
        new_points = [QPointF(x, y) for x, y in points]
        changed = new_points != self._points
        if len(new_points) != len(self._points):
            self._texts = [""] * len(points)
            self._lines = [[] for _ in points]
        self._points = new_points
        for i, text in enumerate(texts):
            if text != self._texts[i]:
                self._texts[i] = text
                self._lines[i] = self._layout(text)
                changed = True
        if changed:
            self.update()

    def texts(self) -> list[str]:
        """The labels' texts, in point order."""
        return list(self._texts)

    def points(self) -> list[tuple[float, float]]:
        """The labels' points (data coordinates), in order."""
        return [(p.x(), p.y()) for p in self._points]

    def font(self) -> QFont:
        """The font the labels are drawn in (a copy): measure text with it."""
        return QFont(self._font)

    def _layout(self, text: str) -> list[tuple[float, float, QStaticText]]:
        """`text`'s lines, laid out, with their offsets from the label's point."""
        if not text:
            return []
        lines = [self._static(line) for line in text.split("\n")]
        width = max(line.size().width() for line in lines) + 2 * self.MARGIN
        height = sum(line.size().height() for line in lines) + 2 * self.MARGIN
        x = self.MARGIN - self.anchor[0] * width
        y = self.MARGIN - self.anchor[1] * height
        out = []
        for line in lines:
            out.append((x, y, line))
            y += line.size().height()
        return out

    def _static(self, line: str) -> QStaticText:
        """`line` laid out (once: kept for the next label that shows it)."""
        static = self._laid_out.get(line)
        if static is None:
            if len(self._laid_out) >= self.KEEP_LINES:
                self._laid_out.clear()
            static = self._laid_out[line] = QStaticText(line)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(font=self._font)
        return static

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's name
        """The view moved or was resized: the labels' pixel boxes cover other data now."""
        super().viewTransformChanged()
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """The whole view: labels are sized in pixels, and stay inside it."""
        if self._bounds is None:
            view = self.viewRect()
            self._bounds = QRectF(view) if view is not None else QRectF()
        return QRectF(self._bounds)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        """Draw every label in device pixels at its point's place."""
        t = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setPen(self._pen)
        painter.setFont(self._font)
        for point, lines in zip(self._points, self._lines, strict=True):
            if lines:
                at = t.map(point)
                for dx, dy, line in lines:
                    # Whole pixels: at a fractional place each glyph would be rounded on its
                    # own, and the text would look wider than a TextItem's.
                    painter.drawStaticText(QPointF(round(at.x() + dx), round(at.y() + dy)), line)
        painter.restore()
