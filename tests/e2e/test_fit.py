"""The window fits a projector: at 1024×768 and 1280×720, at 100 % and 200 % zoom, in every
theme and in presentation mode, every control a class needs is on screen and whole, and no
plot title or axis label is cut off — with a real run of each scenario on show."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtWidgets import QWidget

from mpgui.scenarios import listed
from mpgui.ui import MainWindow, theme

SIZES = ((1024, 768), (1280, 720))
ZOOMS = (1.0, 2.0)
#: Controls that must be on screen and whole whatever the size (the tabs' pages may hide).
ALWAYS = (
    "scenarioList",
    "runButton",
    "stopButton",
    "scenarioTitle",
    "readout",
    "workersPlot",
    "coresPlot",
    "timelinePlot",
    "scenarioPlot",
)
#: Shown where they fit whole, else stepped aside (never squeezed).
WHERE_THEY_FIT = ("infoTabs", "paramsBox")


def _clipped_controls(window: MainWindow) -> list[str]:
    """Named controls that are hidden, outside the window, or partly covered/clipped."""
    names = list(ALWAYS) + [n for n in WHERE_THEY_FIT if window.findChild(QWidget, n).isVisible()]
    names += [
        w.objectName()
        for w in window.form.findChildren(QWidget)
        if w.objectName().startswith("param_") and w.isVisibleTo(window)
    ]
    inside = QRect(QPoint(0, 0), window.size())
    bad = []
    for name in names:
        widget = window.findChild(QWidget, name)
        if widget is None or not widget.isVisible():  # (old panels are renamed when replaced)
            bad.append(f"{name}: not shown")
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not inside.contains(rect):
            bad.append(f"{name}: {rect} outside the window {inside}")
        else:
            # A scroll area's (a list's, a plot's) own region is covered by its viewport.
            seen = widget.viewport() if hasattr(widget, "viewport") else widget
            visible = seen.visibleRegion().boundingRect()
            if visible != seen.rect() or seen.height() < min(seen.sizeHint().height(), 8):
                bad.append(f"{name}: only {visible} of {seen.rect()}")
    return bad


def _clipped_plot_text(window: MainWindow) -> list[str]:
    """Plot titles, axes and their labels (and charts' label items) not wholly in their view."""
    bad = []
    views = [window.workers_panel, window.cores_panel, window.timeline_panel, window.chart]
    for view in views:
        # A text item keeps a 4 px blank margin around its text: that may fall outside.
        slack = 5
        shown = QRectF(view.mapToScene(view.rect()).boundingRect())
        shown = shown.adjusted(-slack, -slack, slack, slack)
        for item in view.scene().items():
            if not item.isVisible():
                continue
            parts = []
            if isinstance(item, pg.PlotItem):
                if item.titleLabel.isVisible() and item.titleLabel.text:
                    parts.append(("title", item.titleLabel.item))
                for side in ("left", "bottom"):
                    axis = item.getAxis(side)
                    if axis.isVisible():
                        parts.append((f"{side} axis", axis))
                        if axis.label.isVisible() and axis.labelText:
                            parts.append((f"{side} axis label", axis.label))
            elif isinstance(item, pg.LabelItem) and item.text:
                parts.append(("label", item.item))
            for what, part in parts:
                rect = part.sceneBoundingRect()
                if rect.width() > 0 and not shown.contains(rect):
                    bad.append(f"{view.objectName()} {what} {rect} outside {shown}")
    return bad


def _problems(window: MainWindow, size: tuple[int, int]) -> list[str]:
    if window.size().toTuple() != size:
        return [f"the window is {window.size().toTuple()}, not {size}"]
    return _clipped_controls(window) + _clipped_plot_text(window)


def _settled_problems(qtbot, window: MainWindow, size: tuple[int, int]) -> list[str]:
    """What is clipped once the layouts have settled (they move in posted events): none, or
    what still is after a second."""
    try:
        qtbot.waitUntil(lambda: not _problems(window, size), timeout=1000)
    except qtbot.TimeoutError:
        return _problems(window, size)
    return []


@pytest.mark.parametrize("scenario", [s.id for s in listed()])
def test_every_control_and_label_fits_at_projector_sizes(qtbot, scenario):
    scen = next(s for s in listed() if s.id == scenario)
    window = MainWindow(scenario, remember=False)
    qtbot.addWidget(window)
    for name, value in scen.small_params.items():
        window.set_param(name, value)
    window.resize(*SIZES[0])
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignals([window.runFinished], timeout=60_000):
        assert window.start_run()
    problems = []
    for name in theme.THEMES:
        window.set_theme(name)
        for factor in ZOOMS:
            window.set_zoom(factor)
            for size in SIZES:
                window.resize(*size)
                look = f"{name} {round(factor * 100)} % {size[0]}x{size[1]}"
                problems += [f"{look}: {p}" for p in _settled_problems(qtbot, window, size)]
    window.set_presentation(True)
    for size in SIZES:
        window.resize(*size)
        look = f"presenting {size[0]}x{size[1]}"
        problems += [f"{look}: {p}" for p in _settled_problems(qtbot, window, size)]
    assert not problems, "\n".join(problems[:40])
