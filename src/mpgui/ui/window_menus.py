"""The window's menu bar and keys: File, Run, View, Help, and the dialogs Help opens.

Every command is a ``QAction`` with an objectName (``actionRun``, ``actionStop``,
``actionZoomIn``, ``actionZoomOut``, ``actionFullScreen``, ``actionPresentation``…), in the
menu bar so its key works anywhere in the window and the menu shows the key beside it.
"""

from __future__ import annotations

import platform
import sys
import weakref
from typing import TYPE_CHECKING, Protocol

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mpgui import __version__
from mpgui.ui import theme

if TYPE_CHECKING:
    from mpgui.core.scenario import Scenario


class MenuOwner(Protocol):
    """What the menus ask of their window (the main window; named so this module needs
    nothing from it, and imports no cycle)."""

    def start_run(self) -> bool: ...
    def stop_run(self) -> None: ...
    def is_running(self) -> bool: ...
    def param_errors(self) -> dict[str, str]: ...
    def zoom(self) -> float: ...
    def zoom_in(self) -> None: ...
    def zoom_out(self) -> None: ...
    def set_zoom(self, factor: float) -> None: ...
    def theme_name(self) -> str: ...
    def set_theme(self, name: str) -> None: ...
    def is_presenting(self) -> bool: ...
    def set_presentation(self, on: bool) -> None: ...
    def set_full_screen(self, on: bool) -> None: ...
    def scenario(self) -> Scenario: ...


#: What the keyboard does, as Help ▸ Keyboard shortcuts lists it.
SHORTCUTS = (
    ("Ctrl+R", "Run the scenario"),
    ("Esc", "Stop the run (with nothing running: leave full screen or presentation)"),
    ("Ctrl++ / Ctrl+- / Ctrl+0", "Zoom in, out, back to 100 % (50 %–300 %)"),
    ("F5", "Presentation mode: big, high contrast, only what a class needs"),
    ("F11", "Full screen"),
    ("Tab / Shift+Tab", "Scenarios → parameters → Run/Stop → panels → tabs"),
    ("← → ↑ ↓", "Choose a scenario (in the scenario list)"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)

#: The themes as the View menu names them.
THEME_TITLES = {"dark": "&Dark", "light": "&Light", "high-contrast": "&High contrast"}


def _object_name(theme_name: str) -> str:
    """``high-contrast`` → ``actionThemeHighContrast``."""
    return "actionTheme" + "".join(part.title() for part in theme_name.split("-"))


class TextDialog(QDialog):
    """A non-modal dialog of rich text with a Close button (a modal one would block a script
    or a test that opens it)."""

    def __init__(self, parent: QWidget, name: str, title: str, html: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.text = QTextBrowser()
        self.text.setObjectName(f"{name}Text")
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        col = QVBoxLayout(self)
        col.addWidget(self.text)
        col.addWidget(buttons)
        # As big as the zoom asks, but never bigger than the screen (Close must be on it).
        room = parent.screen().availableGeometry() if parent.screen() is not None else None
        width, height = theme.px(560), theme.px(420)
        if room is not None:
            width, height = min(width, room.width() - 40), min(height, room.height() - 40)
        self.resize(width, height)


class WindowMenus:
    """Builds `window`'s menu bar and actions, and keeps their state in step with it."""

    def __init__(self, window: QMainWindow) -> None:
        # A proxy: the window keeps its menus, and a strong reference back would be a cycle
        # that outlives the window once gc.freeze() has frozen it (see settle_after_start).
        self._window = weakref.ref(window)
        self._dialogs: dict[str, TextDialog] = {}
        bar = window.menuBar()
        bar.setObjectName("menuBar")

        file_menu = bar.addMenu("&File")
        self.quit = self._action("actionQuit", "&Quit", QKeySequence.StandardKey.Quit)
        self.quit.triggered.connect(self.window.close)
        file_menu.addAction(self.quit)

        run_menu = bar.addMenu("&Run")
        self.run = self._action("actionRun", "&Run", "Ctrl+R")
        self.run.triggered.connect(window.start_run)
        self.stop = self._action("actionStop", "&Stop", "Esc")
        self.stop.triggered.connect(self._escape)
        run_menu.addActions([self.run, self.stop])

        view = bar.addMenu("&View")
        self.zoom_in = self._action("actionZoomIn", "Zoom &in", "Ctrl++", "Ctrl+=")
        self.zoom_in.triggered.connect(window.zoom_in)
        self.zoom_out = self._action("actionZoomOut", "Zoom &out", "Ctrl+-")
        self.zoom_out.triggered.connect(window.zoom_out)
        self.zoom_reset = self._action("actionZoomReset", "&Actual size (100 %)", "Ctrl+0")
        self.zoom_reset.triggered.connect(lambda: window.set_zoom(1.0))
        view.addActions([self.zoom_in, self.zoom_out, self.zoom_reset])
        view.addSeparator()
        self.full_screen = self._action("actionFullScreen", "&Full screen", "F11")
        self.full_screen.setCheckable(True)
        self.full_screen.triggered.connect(window.set_full_screen)
        self.presentation = self._action("actionPresentation", "&Presentation mode", "F5")
        self.presentation.setCheckable(True)
        self.presentation.triggered.connect(window.set_presentation)
        view.addActions([self.full_screen, self.presentation])
        view.addSeparator()
        themes = view.addMenu("&Theme")
        self.theme_group = QActionGroup(window)
        self.themes: dict[str, QAction] = {}
        for name in theme.THEMES:
            action = self._action(_object_name(name), THEME_TITLES.get(name, name))
            action.setCheckable(True)
            action.triggered.connect(lambda _on, name=name: window.set_theme(name))
            self.theme_group.addAction(action)
            themes.addAction(action)
            self.themes[name] = action

        help_menu = bar.addMenu("&Help")
        self.shortcuts = self._action("actionShortcuts", "&Keyboard shortcuts", "F1")
        self.shortcuts.triggered.connect(self.show_shortcuts)
        self.notice = self._action("actionNotice", "What to &notice in this scenario")
        self.notice.triggered.connect(self.show_notice)
        self.about = self._action("actionAbout", "&About mpgui")
        self.about.triggered.connect(self.show_about)
        help_menu.addActions([self.shortcuts, self.notice, self.about])
        self.sync()

    @property
    def window(self) -> QMainWindow:
        """The window these menus belong to (a QMainWindow that is a :class:`MenuOwner`)."""
        window = self._window()
        assert window is not None, "the window has gone"
        return window

    def _action(self, name: str, text: str, *keys: str | QKeySequence.StandardKey) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        # Window-wide: the keys work whichever widget has the focus.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.window.addAction(action)
        return action

    def sync(self) -> None:
        """Checks and enabled states from the window: running, zoom limits, theme, modes."""
        w = self.window
        running = w.is_running()
        self.run.setEnabled(not running and not w.param_errors())
        self.stop.setEnabled(True)  # Esc also leaves full screen / presentation when idle
        self.zoom_in.setEnabled(w.zoom() < theme.ZOOM_MAX)
        self.zoom_out.setEnabled(w.zoom() > theme.ZOOM_MIN)
        self.full_screen.setChecked(w.isFullScreen())
        self.presentation.setChecked(w.is_presenting())
        self.themes[w.theme_name()].setChecked(True)

    def _escape(self) -> None:
        """Esc: stop the run; with none going, leave presentation mode or full screen."""
        w = self.window
        if w.is_running():
            w.stop_run()
        elif w.is_presenting():
            w.set_presentation(False)
        elif w.isFullScreen():
            w.set_full_screen(False)

    def _show(self, name: str, title: str, html: str) -> TextDialog:
        dialog = self._dialogs.get(name)
        if dialog is None:
            dialog = self._dialogs[name] = TextDialog(self.window, name, title, html)
        else:
            dialog.text.setHtml(html)
        dialog.show()
        if QGuiApplication.platformName() != "offscreen":  # there is no stack to raise it in
            dialog.raise_()
        return dialog

    def show_shortcuts(self) -> TextDialog:
        """Help ▸ Keyboard shortcuts."""
        rows = "".join(f"<tr><td><b>{key}</b></td><td>{what}</td></tr>" for key, what in SHORTCUTS)
        return self._show(
            "shortcutsDialog", "Keyboard shortcuts", f"<table cellpadding='4'>{rows}</table>"
        )

    def show_notice(self) -> TextDialog:
        """Help ▸ What to notice: the current scenario's notes."""
        dialog = self._show("noticeDialog", "What to notice", "")
        scenario = self.window.scenario()
        dialog.setWindowTitle(f"What to notice — {scenario.title}")
        dialog.text.setMarkdown(scenario.notice())
        return dialog

    def show_about(self) -> TextDialog:
        """Help ▸ About: mpgui's version and what it runs on."""
        about = (
            f"<h3>mpgui {__version__}</h3><p>See Python multiprocessing: real processes, "
            "plotted live.</p><table cellpadding='3'>"
            f"<tr><td>Python</td><td>{platform.python_version()} "
            f"({platform.python_implementation()})</td></tr>"
            f"<tr><td>PySide6</td><td>{PySide6.__version__} (Qt {qVersion()})"
            "</td></tr>"
            f"<tr><td>Platform</td><td>{platform.platform()}</td></tr>"
            f"<tr><td>Executable</td><td>{sys.executable}</td></tr></table>"
        )
        return self._show("aboutDialog", "About mpgui", about)

    def close_dialogs(self) -> None:
        """Close every dialog Help opened (the window is closing)."""
        for dialog in self._dialogs.values():
            dialog.close()
