"""Starting the application: the QApplication, the window, and headless screenshots."""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mpgui.core.protocol.run_spec import RunSpec
from mpgui.ui import theme
from mpgui.ui.main_window import MainWindow
from mpgui.ui.wording import failure_line


def make_app() -> QApplication:
    """The QApplication (created once), themed."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("mpgui")
        app.setApplicationDisplayName("mpgui")
    theme.apply(app)
    return app


@dataclass(frozen=True)
class Look:
    """How the window should look as it opens: a theme, a zoom, presentation mode. None
    keeps what the window remembers from the last session."""

    theme: str | None = None
    zoom: float | None = None
    present: bool = False

    def put_on(self, window: MainWindow) -> None:
        """Give `window` this look (presentation first, so a theme given with it wins)."""
        if self.present:
            window.set_presentation(True)
        if self.theme is not None:
            window.set_theme(self.theme)
        if self.zoom is not None:
            window.set_zoom(self.zoom)


def _dispose(window: MainWindow) -> None:
    """Delete `window` and everything in it now, while the interpreter is whole.

    Closures connected to its signals (and signal handlers that close it) keep the window
    alive past ``app.exec()``. Left to interpreter exit, PySide deletes such leftovers in no
    particular order while Python is being torn down; pyqtgraph's items then run Python
    overrides against half-deleted objects, and now and then the process dies with SIGSEGV.
    """
    window.close()
    shiboken6.delete(window)


@contextmanager
def _unhandled_errors_shown(
    window: MainWindow, also: Callable[[], None] | None = None
) -> Iterator[None]:
    """Show an exception that escapes a Qt slot in the window, instead of losing it.

    PySide hands such exceptions to ``sys.excepthook`` and carries on; by default the
    traceback goes to stderr and the window silently misses whatever the slot should have
    done. Here it still goes to stderr, and the status bar and log say so too. `also` runs
    after (a screenshot gives up instead of waiting for a run that will never come).
    """
    previous = sys.excepthook
    # The hook may outlive this block (PySide keeps a reference to it), so it reaches the
    # window only through this list, emptied on the way out: it must not keep the window.
    targets: list[Any] = [window, also]

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        traceback.print_exception(kind, exc, tb)
        if targets:
            targets[0].report_internal_error(f"{kind.__name__}: {exc}")
            if targets[1] is not None:
                targets[1]()

    sys.excepthook = hook
    try:
        yield
    finally:
        sys.excepthook = previous
        targets.clear()


def _quit_on_ctrl_c(window: MainWindow) -> dict[int, Any]:
    """Let Ctrl+C (and SIGTERM, SIGHUP) close the window cleanly, ending any run.

    Python only runs signal handlers between bytecodes; while Qt's C++ event loop waits, none
    run. A short no-op timer hands control back to Python often enough to notice. Returns the
    handlers it replaced, to put back once the window is gone.
    """

    def close(signum: int, _frame: Any) -> None:
        window.setProperty("closedBySignal", signum)
        window.close()

    previous = {
        sig: signal.signal(sig, close) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    tick = QTimer(window)
    tick.setObjectName("signalTick")
    tick.timeout.connect(lambda: None)
    tick.start(200)
    return previous


def run_app(
    scenario: str | None = None,
    start_method: str | None = None,
    run: bool = False,
    params: dict[str, Any] | None = None,
    look: Look | None = None,
) -> int:
    """Open the window on `scenario` with `params` in its form, in `look` (and with `run`,
    start it at once); the exit code."""
    app = make_app()
    window = MainWindow(scenario=scenario, start_method=start_method, params=params)
    (look or Look()).put_on(window)
    previous = _quit_on_ctrl_c(window)
    window.show()
    if run:
        QTimer.singleShot(0, window.start_run)
    with _unhandled_errors_shown(window):
        code = app.exec()
    for sig, handler in previous.items():  # the handlers would close a window about to go
        signal.signal(sig, handler)
    _dispose(window)
    return code


def screenshot(
    spec: RunSpec,
    out: str,
    size: tuple[int, int] = (1440, 900),
    at_s: float | None = None,
    look: Look | None = None,
) -> int:
    """Run `spec` in the window, in `look`, and save a PNG of it exactly `size` big — after
    the run, or `at_s` s into it. The window does not read or change the user's settings.

    Returns 0 when the picture was saved (and, without `at_s`, the run succeeded), else 1.
    """
    app = make_app()
    window = MainWindow(
        scenario=spec.scenario, start_method=spec.start_method, params=spec.params, remember=False
    )
    (look or Look()).put_on(window)
    window.resize(*size)
    window.show()
    outcome = {"saved": False, "ok": at_s is not None}

    def grab() -> None:
        if outcome.get("grabbed"):
            return
        outcome["grabbed"] = True
        window._redraw()  # noqa: SLF001 - the frame must show the latest state
        app.processEvents()
        outcome["saved"] = window.grab().save(out, "PNG")
        window.close()  # ends the run, if any
        app.quit()

    def on_over(result: dict) -> None:
        outcome["ok"] = outcome["ok"] or result["ok"]
        if not result["ok"] and at_s is None:
            outcome["failed"] = failure_line(result)
        if at_s is None:
            QTimer.singleShot(100, grab)

    window.runFinished.connect(on_over)
    window.runFailed.connect(on_over)
    if at_s is not None:
        QTimer.singleShot(int(at_s * 1000), grab)

    def give_up() -> None:
        outcome["ok"] = False
        QTimer.singleShot(0, grab)

    previous = _quit_on_ctrl_c(window)
    QTimer.singleShot(0, window.start_run)
    with _unhandled_errors_shown(window, also=give_up):
        app.exec()
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    interrupted = window.property("closedBySignal")
    _dispose(window)
    if interrupted:
        print("mpgui: interrupted; every process of the run was ended", file=sys.stderr)
        return 130
    if not outcome["saved"]:
        print(f"mpgui: could not save {out}", file=sys.stderr)
        return 1
    if outcome.get("failed"):
        print(outcome["failed"], file=sys.stderr)
    return 0 if outcome["ok"] else 1
