"""What a chart's plot items draw, for tests that look at a chart without pixels."""

from __future__ import annotations


def points(curve) -> int:
    """How many points `curve` (a pyqtgraph ``PlotDataItem``) draws."""
    xs, _ = curve.getData()
    return 0 if xs is None else len(xs)
