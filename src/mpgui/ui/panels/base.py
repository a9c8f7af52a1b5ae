"""What every plot panel shares: titles, axis styling, ranges that grow in steps."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg

from mpgui.core.run_state import Lane
from mpgui.ui import theme


def lane_name(lane: Lane) -> str:
    """A lane's short name on an axis: "main" for the conductor, else the pid."""
    return lane.label if lane.role == "main" else str(lane.pid)


def style_plot(plot: pg.PlotItem, title: str, left: str = "", bottom: str = "") -> None:
    """Give `plot` mpgui's look: a title, labelled axes, no mouse menu, no auto-range.

    No grid: a grid belongs to its axis item, whose bounding rect then covers the whole plot,
    so every changed bar would make Qt repaint the axes too — the largest cost of a frame.
    """
    plot.setTitle(title, color=theme.FOREGROUND, size="11pt")
    if left:
        plot.setLabel("left", left, color=theme.MUTED)
    if bottom:
        plot.setLabel("bottom", bottom, color=theme.MUTED)
    for side in ("left", "bottom"):
        # Plain numbers: "seconds (x0.001)" or a "1e+06" tick puzzles more than it helps.
        plot.getAxis(side).enableAutoSIPrefix(False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    # Ranges are set by the panels, rarely: auto-ranging every frame costs time and jitters.
    plot.disableAutoRange()


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


def sparse_ticks(labels: list[str], most: int = 24) -> list[tuple[int, str]]:
    """Tick positions and labels for `labels`, thinned to at most about `most` of them."""
    step = max(1, -(-len(labels) // most))  # ceiling division
    return [(i, text) for i, text in enumerate(labels) if i % step == 0]


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
        self.bars = pg.BarGraphItem(
            x0=[0] * n,
            y=list(range(n)),
            width=[0] * n,
            height=0.6,
            pen=None,
            brushes=[pg.mkBrush(c) for c in colors],
        )
        plot.addItem(self.bars)
        self.labels = [pg.TextItem(anchor=(0, 0.5), color=theme.FOREGROUND) for _ in names]
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
        # Headroom for the value labels to the right of the bars.
        if self._range.fit(max(widths), headroom=1.7):
            self.plot.setXRange(0, self._range.value, padding=0)
