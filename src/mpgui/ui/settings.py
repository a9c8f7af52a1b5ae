"""What the window remembers between sessions: its size and place, theme and zoom.

An INI file at ``$XDG_CONFIG_HOME/mpgui/mpgui.ini`` (``~/.config`` when unset), found again
from the environment each time rather than through Qt's default path, which Qt works out once
per process: a test that points ``XDG_CONFIG_HOME`` at a fresh folder starts clean.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings


def settings_path() -> Path:
    """The settings file, under ``XDG_CONFIG_HOME`` (or ``~/.config``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "mpgui" / "mpgui.ini"


def open_settings() -> QSettings:
    """mpgui's settings, read from (and written back to) :func:`settings_path`."""
    return QSettings(str(settings_path()), QSettings.Format.IniFormat)
