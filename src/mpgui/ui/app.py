"""Starting the application: the QApplication, the window, and headless screenshots."""

from __future__ import annotations

import signal
import sys
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mpgui.core.conductor import RunSpec
from mpgui.ui import theme
from mpgui.ui.main_window import MainWindow


def make_app() -> QApplication:
    """The QApplication (created once), themed."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("mpgui")
        app.setApplicationDisplayName("mpgui")
    theme.apply(app)
    return app


def _dispose(window: MainWindow) -> None:
    """Delete `window` and everything in it now, while the interpreter is whole.

    Closures connected to its signals (and signal handlers that close it) keep the window
    alive past ``app.exec()``. Left to interpreter exit, PySide deletes such leftovers in no
    particular order while Python is being torn down; pyqtgraph's items then run Python
    overrides against half-deleted objects, and now and then the process dies with SIGSEGV.
    """
    window.close()
    shiboken6.delete(window)


def _quit_on_ctrl_c(window: MainWindow) -> dict[int, Any]:
    """Let Ctrl+C (and SIGTERM, SIGHUP) close the window cleanly, ending any run.

    Python only runs signal handlers between bytecodes; while Qt's C++ event loop waits, none
    run. A short no-op timer hands control back to Python often enough to notice. Returns the
    handlers it replaced, to put back once the window is gone.
    """
    previous = {
        sig: signal.signal(sig, lambda *_: window.close())
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    tick = QTimer(window)
    tick.setObjectName("signalTick")
    tick.timeout.connect(lambda: None)
    tick.start(200)
    return previous


def run_app(scenario: str | None = None, start_method: str | None = None) -> int:
    """Open the window and run the event loop; the exit code."""
    app = make_app()
    window = MainWindow(scenario=scenario, start_method=start_method)
    previous = _quit_on_ctrl_c(window)
    window.show()
    code = app.exec()
    for sig, handler in previous.items():  # the handlers would close a window about to go
        signal.signal(sig, handler)
    _dispose(window)
    return code


def screenshot(
    spec: RunSpec, out: str, size: tuple[int, int] = (1440, 900), at_s: float | None = None
) -> int:
    """Run `spec` in the window and save a PNG of it — after the run, or `at_s` s into it.

    Returns 0 when the picture was saved (and, without `at_s`, the run succeeded), else 1.
    """
    app = make_app()
    window = MainWindow(scenario=spec.scenario, start_method=spec.start_method)
    for name, value in spec.params.items():
        window.set_param(name, value)
    window.resize(*size)
    window.show()
    outcome = {"saved": False, "ok": at_s is not None}

    def grab() -> None:
        window._redraw()  # noqa: SLF001 - the frame must show the latest state
        app.processEvents()
        outcome["saved"] = window.grab().save(out, "PNG")
        window.close()  # ends the run, if any
        app.quit()

    def on_over(result: dict) -> None:
        outcome["ok"] = outcome["ok"] or result["ok"]
        if at_s is None:
            QTimer.singleShot(100, grab)

    window.runFinished.connect(on_over)
    window.runFailed.connect(on_over)
    if at_s is not None:
        QTimer.singleShot(int(at_s * 1000), grab)
    QTimer.singleShot(0, window.start_run)
    app.exec()
    _dispose(window)
    if not outcome["saved"]:
        print(f"mpgui: could not save {out}", file=sys.stderr)
        return 1
    return 0 if outcome["ok"] else 1
