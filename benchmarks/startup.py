"""Start-up: process start → the main window shown, and → its plots drawn; prints one JSON object.

Each sample starts a fresh ``python -m mpgui`` (offscreen) exactly as a user's ``mpgui`` does,
with one addition made from outside the package: before mpgui runs, ``QApplication.exec`` is
wrapped so that an event filter sees the window's paint events. It records (on the
system-wide monotonic clock the parent also reads) the first paint of the main window
("shown") and the first paint of the timeline plot ("plots"), then quits the app.
The clock starts just before the parent creates the process, so Python's own start-up is in.

    uv run python benchmarks/startup.py [--runs N] [--quick]

A first, unmeasured start warms the OS file cache and writes the ``.pyc`` files an installed
app would already have.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from _common import emit, machine, setup

FLOOR_S = 0.9

#: Runs mpgui's own entry point, after hooking the first paints. Prints "shown plots" (ns).
_CHILD = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

marks = {}

class FirstPaints(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "plots" not in marks:
            widget = obj
            while widget is not None:
                if isinstance(widget, QMainWindow):
                    marks.setdefault("shown", time.perf_counter_ns())
                if widget.objectName() == "timelinePlot" and "shown" in marks:
                    marks["plots"] = time.perf_counter_ns()
                    QApplication.instance().quit()
                    break
                widget = widget.parentWidget() if hasattr(widget, "parentWidget") else None
        return False

_exec = QApplication.exec
spy = FirstPaints()
def exec_hooked():  # QApplication.exec is static
    QApplication.instance().installEventFilter(spy)
    return _exec()
QApplication.exec = staticmethod(exec_hooked)

from mpgui.cli import main
code = main([])
print("MARKS", marks.get("shown", 0), marks.get("plots", 0), flush=True)
sys.exit(code)
"""


def one_start() -> tuple[float, float]:
    """Seconds from process creation to the window's first paint and to the plots' first."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    t0 = time.perf_counter_ns()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, timeout=60
    )
    if out.returncode != 0:
        raise SystemExit(f"mpgui did not start: {out.stderr.strip().splitlines()[-1:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("MARKS"))
    shown, plots = (int(x) for x in line.split()[1:])
    return (shown - t0) / 1e9, (plots - t0) / 1e9


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    one_start()  # warm: file cache, .pyc files
    shown, plots = [], []
    for _ in range(runs):
        s, p = one_start()
        shown.append(s)
        plots.append(p)
    median = statistics.median(shown)
    emit(
        "startup",
        {
            "machine": machine(),
            "runs": runs,
            "shown_s_median": round(median, 3),
            "plots_s_median": round(statistics.median(plots), 3),
            "shown_s": [round(x, 3) for x in shown],
            "plots_s": [round(x, 3) for x in plots],
            "floor_s": FLOOR_S,
            "meets_floor": median <= FLOOR_S,
        },
    )


if __name__ == "__main__":
    main()
