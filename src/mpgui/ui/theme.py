"""Colours and the application style: one dark theme, readable on a projector.

Every panel colours by CPU core with :func:`core_color`, so a worker's bar, its spans on the
timeline and the core it sits on share one colour.
"""

from __future__ import annotations

from importlib import resources

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#1b1d23"
PANEL = "#23262e"
FOREGROUND = "#d7dae0"
MUTED = "#8a8f98"
ACCENT = "#4fa3ff"
GOOD = "#5fd38d"
BAD = "#ff6b6b"
IDEAL = "#e0c060"

# Distinct, colour-blind-friendlier hues (Okabe–Ito first, then tab10-like extras).
_CORE_COLORS = (
    "#56b4e9",
    "#e69f00",
    "#009e73",
    "#f0e442",
    "#cc79a7",
    "#d55e00",
    "#0072b2",
    "#9edae5",
    "#bcbd22",
    "#ff9896",
    "#c5b0d5",
    "#8c564b",
    "#17becf",
    "#aec7e8",
    "#98df8a",
    "#ffbb78",
)
UNKNOWN_CORE = "#7f7f7f"


def core_color(cpu: int) -> str:
    """The colour of CPU core `cpu` (grey when unknown, i.e. negative)."""
    if cpu < 0:
        return UNKNOWN_CORE
    return _CORE_COLORS[cpu % len(_CORE_COLORS)]


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options: dark background, no antialiasing (cheaper, crisp 1 px)."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=False)


def apply(app: QApplication) -> None:
    """Apply the Fusion style, a dark palette and mpgui's style sheet to `app`."""
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: PANEL,
        QPalette.ColorRole.WindowText: FOREGROUND,
        QPalette.ColorRole.Base: BACKGROUND,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.Text: FOREGROUND,
        QPalette.ColorRole.Button: "#2d313a",
        QPalette.ColorRole.ButtonText: FOREGROUND,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#000000",
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: FOREGROUND,
        QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(MUTED))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(MUTED))
    app.setPalette(pal)
    qss = resources.files("mpgui.resources").joinpath("style.qss").read_text(encoding="utf-8")
    app.setStyleSheet(qss)
    configure_pyqtgraph()
