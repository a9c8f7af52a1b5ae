"""The window's look: three themes, a zoom, and the one place colours, sizes and pens come from.

A :class:`Theme` names colours by what they mean (``good``, ``bad``, ``running``, ``ideal``…),
not by hue. The meaning colours are Okabe–Ito's colour-blind-safe set, chosen so that every
pair a chart must tell apart stays at least CIE76 ΔE 20 apart under protanopia, deuteranopia
and tritanopia simulations (``tests/unit/ui/test_colour_blind.py`` measures it for every
theme). Each chart adds a second channel too — a dash style, a marker, a label or a symbol.

The current theme and zoom are module state, set by :func:`use`: panels read them when they
are built (the window rebuilds its panels after a change), and ``theme.BAD``-style names read
the current theme's colour at the moment they are used. Sizes go through :func:`pt` (fonts, in
points) and :func:`width` (lines, in pixels), so one zoom scales text, lines and markers
together; :func:`pen` is the one way a plot line gets its colour, width and dash.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette, QPen
from PySide6.QtWidgets import QApplication

#: The zoom range (a factor: 1.0 is 100 %) and the step Ctrl++ / Ctrl+- move by.
ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 0.5, 3.0, 0.1
#: The window's base text size (px) at 100 %; every other size is relative to it.
BASE_FONT_PX = 13

# Okabe & Ito (2008), "Color Universal Design": the hues mpgui's meanings are drawn in.
SKY_BLUE, ORANGE, BLUISH_GREEN, YELLOW = "#56b4e9", "#e69f00", "#009e73", "#f0e442"
BLUE, VERMILLION, REDDISH_PURPLE = "#0072b2", "#d55e00", "#cc79a7"


@dataclass(frozen=True)
class Theme:
    """A complete set of colours, by role, plus how thick lines are drawn in it.

    Chrome: `background` (plots, text fields), `panel` (the window), `button`, `foreground`,
    `muted` (secondary text, "nothing yet"), `accent` (selection, focus). Meanings: `good`
    (the right answer: a locked count, a task that returned), `bad` (the wrong one: lost
    updates, a task that went wrong), `running`, `ideal` (a reference line) and `limit` (a
    second reference: Amdahl's ceiling). `categories` tell apart things of one kind (the
    start methods) and `cores` colour CPU cores — always beside the core's number.
    """

    name: str
    dark: bool
    background: str
    panel: str
    button: str
    foreground: str
    muted: str
    accent: str
    good: str
    bad: str
    running: str
    ideal: str
    limit: str
    categories: tuple[str, ...]
    cores: tuple[str, ...]
    unknown_core: str
    #: Lines are this much thicker than in the dark theme (high contrast: bolder strokes).
    line_scale: float = 1.0


_DARK_CORES = (
    SKY_BLUE, ORANGE, BLUISH_GREEN, YELLOW, REDDISH_PURPLE, VERMILLION, "#3d9be0", "#9edae5",
    "#bcbd22", "#ff9896", "#c5b0d5", "#c49c94", "#17becf", "#aec7e8", "#98df8a", "#ffbb78",
)  # fmt: skip
_LIGHT_CORES = (
    BLUE, ORANGE, BLUISH_GREEN, "#b8a000", REDDISH_PURPLE, VERMILLION, "#1f77b4", "#8c564b",
    "#7f7f00", "#d62728", "#9467bd", "#5a5a5a", "#17a2b8", "#2ca02c", "#e377c2", "#bd6500",
)  # fmt: skip

DARK = Theme(
    name="dark",
    dark=True,
    background="#1b1d23",
    panel="#23262e",
    button="#2d313a",
    foreground="#d7dae0",
    muted="#8a8f98",
    accent="#4fa3ff",
    good=SKY_BLUE,
    bad=VERMILLION,
    running=YELLOW,
    # Not reddish purple: beside the muted grey, a deuteranope sees the two as one (ΔE 4).
    ideal=BLUE,
    limit="#d7dae0",
    categories=(SKY_BLUE, VERMILLION, YELLOW),
    cores=_DARK_CORES,
    unknown_core="#7f7f7f",
)
LIGHT = Theme(
    name="light",
    dark=False,
    background="#ffffff",
    panel="#f2f2f4",
    button="#e3e4e8",
    foreground="#1a1a1a",
    # Dark enough that the reddish-purple ideal line stays apart from it (ΔE ≥ 22 in every
    # simulation; #6b6f76 gave 17).
    muted="#5a5e64",
    accent="#0060c0",
    good=BLUE,
    bad=VERMILLION,
    running=SKY_BLUE,
    ideal=REDDISH_PURPLE,
    limit="#1a1a1a",
    categories=(BLUE, VERMILLION, REDDISH_PURPLE),
    cores=_LIGHT_CORES,
    unknown_core="#8a8a8a",
)
HIGH_CONTRAST = replace(
    DARK,
    name="high-contrast",
    background="#000000",
    panel="#000000",
    button="#1e1e1e",
    foreground="#ffffff",
    muted="#bdbdbd",
    accent="#ffd700",
    limit="#ffffff",
    line_scale=1.6,
)

#: Every theme by name, in the order the View menu offers them.
THEMES: dict[str, Theme] = {t.name: t for t in (DARK, LIGHT, HIGH_CONTRAST)}


@dataclass
class _Look:
    theme: Theme = DARK
    zoom: float = 1.0


_look = _Look()


def clamp_zoom(factor: float) -> float:
    """`factor` within :data:`ZOOM_MIN`..:data:`ZOOM_MAX`, rounded to a whole percent (100 %
    for what is no number at all: NaN from a damaged settings file, say)."""
    factor = float(factor)
    if not math.isfinite(factor):
        return 1.0
    return round(min(max(factor, ZOOM_MIN), ZOOM_MAX), 2)


def use(name: str | None = None, zoom: float | None = None) -> None:
    """Make theme `name` and/or `zoom` current (KeyError for an unknown theme name).

    Only what is built or drawn afterwards sees it: call :func:`apply` for the application's
    palette and style sheet, and rebuild the plots.
    """
    if name is not None:
        _look.theme = THEMES[name]
    if zoom is not None:
        _look.zoom = clamp_zoom(zoom)


def current() -> Theme:
    """The current theme."""
    return _look.theme


def zoom() -> float:
    """The current zoom factor (1.0 is 100 %)."""
    return _look.zoom


def pt(size: float) -> float:
    """A font size of `size` pt at 100 %, at the current zoom."""
    return size * _look.zoom


def px(size: float) -> int:
    """A length of `size` px at 100 % (a marker, a margin), at the current zoom."""
    return max(1, round(size * _look.zoom))


def width(size: float) -> float:
    """A line `size` px wide at 100 % in the dark theme, at the current zoom and theme."""
    return max(1.0, size * _look.zoom * _look.theme.line_scale)


def pen(color: str, size: float = 1.0, style: Qt.PenStyle | None = None) -> QPen:
    """The pen of a plot line: `color`, :func:`width` (`size`), and a dash `style`."""
    kwargs: dict[str, Any] = {"width": width(size)}
    if style is not None:
        kwargs["style"] = style
    return pg.mkPen(color, **kwargs)


def blend(a: str, b: str, f: float) -> QColor:
    """Colour `a` moved a fraction `f` of the way to colour `b` (opaque): a tint of a role's
    colour over the background, say, where one more shade is needed than the theme has."""
    ca, cb = QColor(a), QColor(b)
    return QColor.fromRgbF(
        ca.redF() + (cb.redF() - ca.redF()) * f,
        ca.greenF() + (cb.greenF() - ca.greenF()) * f,
        ca.blueF() + (cb.blueF() - ca.blueF()) * f,
    )


def core_color(cpu: int) -> str:
    """The colour of CPU core `cpu` (the theme's grey when unknown, i.e. negative)."""
    theme = _look.theme
    if cpu < 0:
        return theme.unknown_core
    return theme.cores[cpu % len(theme.cores)]


#: ``theme.BAD`` and the like: the current theme's colour of that role, read when used.
_ROLE_NAMES = {
    "BACKGROUND": "background",
    "PANEL": "panel",
    "FOREGROUND": "foreground",
    "MUTED": "muted",
    "ACCENT": "accent",
    "GOOD": "good",
    "BAD": "bad",
    "RUNNING": "running",
    "IDEAL": "ideal",
    "LIMIT": "limit",
}


def __getattr__(name: str) -> str:
    """``theme.GOOD`` → the current theme's ``good``: a colour always read at its use."""
    role = _ROLE_NAMES.get(name)
    if role is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_look.theme, role)


def style_sheet(theme: Theme, factor: float) -> str:
    """mpgui's style sheet for `theme` at zoom `factor`.

    ``style.qss`` writes sizes in px at 100 % and colours as ``@role``; both are filled in
    here, so the sheet has one copy of every rule whatever the theme and zoom.
    """
    text = resources.files("mpgui.resources").joinpath("style.qss").read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # comments may name @roles too
    text = re.sub(r"(\d+(?:\.\d+)?)px", lambda m: f"{max(1, round(float(m[1]) * factor))}px", text)
    return re.sub(r"@([a-z_]+)", lambda m: getattr(theme, m[1]), text)


def apply(app: QApplication) -> None:
    """Give `app` the current theme and zoom: Fusion style, palette, font, style sheet."""
    theme, factor = _look.theme, _look.zoom
    if app.style().name().lower() != "fusion":  # setting it again re-polishes every widget
        app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.panel,
        QPalette.ColorRole.WindowText: theme.foreground,
        QPalette.ColorRole.Base: theme.background,
        QPalette.ColorRole.AlternateBase: theme.panel,
        QPalette.ColorRole.Text: theme.foreground,
        QPalette.ColorRole.Button: theme.button,
        QPalette.ColorRole.ButtonText: theme.foreground,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: theme.background,
        QPalette.ColorRole.ToolTipBase: theme.panel,
        QPalette.ColorRole.ToolTipText: theme.foreground,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Link: theme.accent,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    app.setPalette(pal)
    # The application font carries the zoom into what style sheets do not reach: the plots'
    # axes and text items take the scene's font, which is the application's.
    font = QFont(app.font())
    font.setPixelSize(max(6, round(BASE_FONT_PX * factor)))
    app.setFont(font)
    app.setStyleSheet(style_sheet(theme, factor))
    configure_pyqtgraph()


def configure_pyqtgraph() -> None:
    """pyqtgraph's defaults for plots made from now on: the theme's background and text, no
    antialiasing (cheaper, and a crisp 1 px line)."""
    theme = _look.theme
    pg.setConfigOptions(background=theme.background, foreground=theme.foreground, antialias=False)
