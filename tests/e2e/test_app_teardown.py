"""The app deletes its window before the interpreter exits.

Left to interpreter exit, PySide deletes leftover widgets in no particular order while Python
is being torn down, and pyqtgraph items then crash the process now and then (SIGSEGV). The
window must be gone by the time ``screenshot`` (and ``run_app``) return.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc
    from PySide6.QtWidgets import QGraphicsObject, QWidget
    from mpgui.scenarios import make_spec
    from mpgui.ui.app import screenshot

    spec = make_spec("counter-race", {{"increments": 2000000}}, "fork")
    code = screenshot(spec, {out!r}, at_s=0.8)  # closed mid-run
    gc.collect()
    qt = (QWidget, QGraphicsObject)
    alive = sorted({{type(o).__name__ for o in gc.get_objects() if isinstance(o, qt)}})
    print(code, alive)
    """
)


def test_a_screenshot_mid_run_deletes_its_window_before_returning(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(out=str(out))],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0 []"  # no widget, no plot item left
    assert out.stat().st_size > 10_000
    assert "leaked" not in proc.stderr and "Traceback" not in proc.stderr
