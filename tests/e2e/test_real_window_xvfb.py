"""A real window on a real X server (Xvfb): run pool-map in it and check the picture."""

import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

pytestmark = pytest.mark.xvfb

XVFB_RUN = shutil.which("xvfb-run")


def _need_xvfb():
    if XVFB_RUN is None:
        if os.environ.get("CI"):
            pytest.fail("xvfb-run is missing: .ci/run must install xvfb")
        pytest.skip("xvfb-run is not installed")


def test_pool_map_in_a_real_x11_window_saves_a_live_picture(tmp_path, qapp):
    _need_xvfb()
    out = tmp_path / "window.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    proc = subprocess.run(
        [
            XVFB_RUN,
            "-a",
            "-s",
            "-screen 0 1600x1000x24",
            sys.executable,
            "-m",
            "mpgui",
            "screenshot",
            "pool-map",
            "--out",
            str(out),
            "--set",
            "workers=2",
            "--set",
            "tasks=8",
            "--set",
            "task_ms=20",
            "--size",
            "1440x900",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1440, 900)
    # A live window, not a blank one: many distinct colours (plots, text, core colours).
    colours = {image.pixel(x, y) for x in range(0, 1440, 7) for y in range(0, 900, 7)}
    assert len(colours) > 50
