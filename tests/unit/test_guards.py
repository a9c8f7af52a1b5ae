"""The suite's own guards must be able to fail: prove they see what they look for."""

import subprocess
import sys

from PySide6.QtCore import QTimer

from tests import conftest


def test_the_leftover_check_sees_a_live_child_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert any(str(child.pid) in line for line in conftest._leftover_processes())
    finally:
        child.kill()
        child.wait()
    assert not any(str(child.pid) in line for line in conftest._leftover_processes())


def test_the_qt_check_sees_an_active_timer(qapp):
    timer = QTimer()
    timer.setObjectName("forgotten")
    timer.start(1000)
    try:
        assert "QTimer 'forgotten' still active" in conftest._running_qt_objects()
    finally:
        timer.stop()
    assert "QTimer 'forgotten' still active" not in conftest._running_qt_objects()


def test_the_cli_names_the_windows_themes_zoom_and_minimum_size_as_the_window_does():
    # The CLI names them itself so that `mpgui run` loads no Qt; they must not drift apart.
    from mpgui import cli
    from mpgui.ui import main_window, theme

    assert cli.THEMES == tuple(theme.THEMES)
    assert cli.ZOOM_RANGE == (theme.ZOOM_MIN, theme.ZOOM_MAX)
    assert cli.MIN_SHOT_SIZE == (main_window.MIN_WIDTH, main_window.MIN_HEIGHT)
