"""Benchmarks that drive the real window: open it offscreen, run a scenario, wait for its end.

Import this module only inside a benchmark's ``main()``: it imports Qt, and the conductor (a
spawn child) re-imports the benchmark's main module, which must stay light.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402 - after choosing the platform
from PySide6.QtWidgets import QApplication  # noqa: E402

from mpgui.ui.app import make_app  # noqa: E402
from mpgui.ui.main_window import MainWindow  # noqa: E402


def app() -> QApplication:
    """The one QApplication, made with mpgui's own look."""
    return QApplication.instance() or make_app()


def open_window(scenario: str, params: dict[str, Any], start_method: str = "fork") -> MainWindow:
    """A shown 1440×900 window on `scenario`, its form filled in as a user would."""
    app()
    window = MainWindow(scenario, start_method, remember=False)  # not the user's look
    for name, value in params.items():
        window.set_param(name, value)
    window.resize(1440, 900)
    window.show()
    # As before a user's first click: the window has painted and its event loop ran once.
    app().processEvents()
    return window


def run_to_end(window: MainWindow, timeout_s: float = 120.0) -> dict[str, Any]:
    """Press Run and serve the event loop until the run ends; returns its result dict."""
    done: dict[str, Any] = {}
    loop = QEventLoop()
    window.runFinished.connect(lambda r: (done.update(r), loop.quit()))
    window.runFailed.connect(lambda r: (done.update(r), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    window.run_button.click()
    loop.exec()
    if not done:
        window.close()
        raise SystemExit(f"the run did not end within {timeout_s} s")
    return done


def close(window: MainWindow) -> None:
    """Close `window` (ending any run) and let Qt delete it."""
    window.close()
    window.deleteLater()
    app().processEvents()
