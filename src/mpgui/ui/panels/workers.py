"""The Workers panel: one bar per process, tasks done, coloured by the core it is on now."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.ui import theme

from .base import (
    Bars,
    SteppedRange,
    lane_name,
    paint_from_pixmap,
    sparse_ticks,
    style_plot,
    text_item,
)

#: Bars with a count-and-core label above them; more bars go unlabelled.
MAX_LABELLED_BARS = 16


def _short_exit(exitcode: int) -> str:
    """``SIGSEGV`` or ``code 3``: how a dead worker ended, short enough for a bar label."""
    return ev.signal_name(-exitcode) if exitcode < 0 else f"code {exitcode}"


class WorkersPanel(pg.PlotWidget):
    """Bars of tasks done per process; a dashed line at each worker's fair share.

    The conductor's own lane ("main") runs the serial baseline; pool workers follow, labelled
    with their pid. A bar's colour is the core its process was last seen on. A frame touches
    only the labels whose text, colour or place changed: each change re-lays out text.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("workersPlot")
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Workers — tasks done (colour = core)", left="tasks", short="Workers")
        self.plot.setMouseEnabled(x=False, y=False)
        self.bars = Bars(x=[], height=[], width=0.7, pen=None)
        self.plot.addItem(self.bars)
        self.fair = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(theme.IDEAL, width=1, style=Qt.PenStyle.DashLine),
        )
        self.fair.setVisible(False)
        self.plot.addItem(self.fair)
        # The key for the dashed line, pinned to the plot's top-left corner.
        self.fair_key = pg.LabelItem("- - fair share per worker", color=theme.IDEAL, size="9pt")
        paint_from_pixmap(self.fair_key.item)
        self.fair_key.setParentItem(self.plot.getViewBox())
        self.fair_key.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 2))
        self.fair_key.setVisible(False)
        self._labels: list[pg.TextItem] = []
        self._label_state: list[tuple] = []  # (text, colour, height) each label shows
        self._brushes: dict[int, pg.QtGui.QBrush] = {}
        self._bar_cores: tuple[int, ...] | None = None  # each bar's core, as coloured
        self._y = SteppedRange(5.0)
        self.plot.setYRange(0, self._y.value, padding=0)
        self._shown = None  # what was drawn last, to skip identical redraws

    def reset(self) -> None:
        """Clear for a new run."""
        self.bars.setOpts(x=[], height=[], brushes=None)
        self._bar_cores = None
        for label in self._labels:
            self.plot.removeItem(label)
        self._labels.clear()
        self._label_state.clear()
        self.fair.setVisible(False)
        self.fair_key.setVisible(False)
        self._y.reset()
        self._shown = None
        self.plot.setYRange(0, self._y.value, padding=0)

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw `state`'s lanes."""
        lanes = state.lanes
        shown = tuple((lane.tasks_done, lane.current_core, lane.exitcode) for lane in lanes)
        fair = None
        workers = state.plan.get("workers", 0)
        if state.plan.get("tasks") and workers > 1:
            fair = state.plan["tasks"] / workers
        if (shown, fair) == self._shown:
            return
        self._shown = (shown, fair)
        heights = [lane.tasks_done for lane in lanes]
        cores = tuple(lane.current_core for lane in lanes)
        if cores != self._bar_cores:  # new lanes, or a process moved: new colours
            self._bar_cores = cores
            brushes = [self._brush(core) for core in cores]
            self.bars.setOpts(x=list(range(len(lanes))), height=heights, brushes=brushes)
        else:
            self.bars.setOpts(height=heights)
        if len(lanes) != len(self._labels):
            ticks = sparse_ticks([lane_name(lane) for lane in lanes], most=8)
            self.plot.getAxis("bottom").setTicks([ticks])
            self.plot.setXRange(-0.6, max(len(lanes), 2) - 0.4, padding=0)
        while len(self._labels) < len(lanes):
            label = text_item(anchor=(0.5, 1.0), color=theme.FOREGROUND)
            label.setVisible(False)  # until it has something to say
            self.plot.addItem(label)
            self._labels.append(label)
            self._label_state.append(("", theme.FOREGROUND, None))
        # Past 16 bars the numbers would overlap; the bars and the axis still tell the story.
        show_labels = len(lanes) <= MAX_LABELLED_BARS
        for i, lane in enumerate(lanes):
            if lane.died:  # a dead worker says so, whatever the crowding
                text, color = f"{lane.tasks_done}\n✗ {_short_exit(lane.exitcode)}", theme.BAD
            else:
                core = f"core {lane.current_core}" if lane.current_core >= 0 else ""
                text = f"{lane.tasks_done}\n{core}" if show_labels else ""
                color = theme.FOREGROUND
            self._set_label(i, text, color, lane.tasks_done)
        if fair is not None:
            self.fair.setPos(fair)
        self.fair.setVisible(fair is not None)
        self.fair_key.setVisible(fair is not None)
        if self._y.fit(max([*heights, fair or 0]), headroom=1.25):
            self.plot.setYRange(0, self._y.value, padding=0)

    def _set_label(self, i: int, text: str, color: str, height: float) -> None:
        """Label bar `i`, touching only what changed (and a hidden label not at all)."""
        label = self._labels[i]
        old_text, old_color, old_height = self._label_state[i]
        if text != old_text:
            label.setText(text)
            label.setVisible(bool(text))  # an empty label still costs a paint every frame
        if not text:  # colour and place are the label's last shown ones
            self._label_state[i] = (text, old_color, old_height)
            return
        if color != old_color:
            label.setColor(color)
        if height != old_height:
            label.setPos(i, height)
        self._label_state[i] = (text, color, height)

    def _brush(self, cpu: int) -> pg.QtGui.QBrush:
        brush = self._brushes.get(cpu)
        if brush is None:
            brush = self._brushes[cpu] = pg.mkBrush(theme.core_color(cpu))
        return brush
