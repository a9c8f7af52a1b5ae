"""Suite-wide guards: offscreen Qt, and no test may leave a process, QThread or timer behind."""

from __future__ import annotations

import gc
import os
import sys
import time

import psutil
import pytest

# Before anything imports Qt: the suite runs without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: How long a test's processes get to disappear after it ends (the Stop budget is 2 s).
LEFTOVER_WAIT_S = 3.0


def _alive_groups() -> list[int]:
    """Process groups of conductors started in this process that still have live members."""
    launch = sys.modules.get("mpgui.core.host.handle")
    if launch is None:
        return []
    return [pgid for pgid in launch.started_groups if launch.live_group_members(pgid)]


#: multiprocessing's own per-process helpers: started once, they live as long as the test
#: process. Only these exact helpers of *this* process are exempt.
_HELPERS = (
    "from multiprocessing.resource_tracker import main",
    "from multiprocessing.forkserver import main",
)


def _is_own_helper(proc: psutil.Process) -> bool:
    try:
        cmd = " ".join(proc.cmdline())
        return proc.ppid() == os.getpid() and any(h in cmd for h in _HELPERS)
    except psutil.Error:
        return False


def _leftover_processes() -> list[str]:
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() == psutil.STATUS_ZOMBIE or _is_own_helper(p):
                continue
            out.append(f"child {p.pid} {' '.join(p.cmdline()[:4])}")
        except psutil.NoSuchProcess:
            continue
    out += [f"process group {g}" for g in _alive_groups()]
    return out


def _kill_leftovers() -> None:
    import signal

    for pgid in _alive_groups():
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for p in psutil.Process().children(recursive=True):
        if _is_own_helper(p):
            continue
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def _running_qt_objects() -> list[str]:
    """QThreads still running and QTimers still active (only if Qt was imported)."""
    if "PySide6.QtCore" not in sys.modules:
        return []
    import shiboken6
    from PySide6.QtCore import QThread, QTimer

    from mpgui.bridge import threads

    out = [f"QThread {t.objectName()!r} still running" for t in threads.running()]
    gc.collect()
    for obj in gc.get_objects():
        if isinstance(obj, QTimer) and shiboken6.isValid(obj) and obj.isActive():
            out.append(f"QTimer {obj.objectName()!r} still active")
        elif (
            isinstance(obj, QThread)
            and shiboken6.isValid(obj)
            and obj.isRunning()
            and obj is not QThread.currentThread()
        ):
            out.append(f"QThread {obj.objectName()!r} still running")
    return sorted(set(out))


@pytest.fixture(autouse=True)
def clean_settings(tmp_path, monkeypatch):
    """Every test starts with no remembered window settings, and the default look after.

    mpgui keeps its settings under ``XDG_CONFIG_HOME``; a test's own folder there means no
    test sees another's (or the user's) theme, zoom or window size. The current theme and zoom
    are module state of ``mpgui.ui.theme``: put back to dark, 100 %, for the next test.
    """
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield
    look = sys.modules.get("mpgui.ui.theme")
    if look is not None:
        look.use("dark", 1.0)
        look.configure_pyqtgraph()


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """Fail a test that leaves a child process, a QThread or an active QTimer behind."""
    yield
    deadline = time.monotonic() + LEFTOVER_WAIT_S
    left = _leftover_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # teardown only: waiting for the OS to reap, not for the app
        left = _leftover_processes()
    if left:
        _kill_leftovers()
        pytest.fail(f"test left processes behind: {left}", pytrace=False)
    qt_left = _running_qt_objects()
    if qt_left:
        pytest.fail(f"test left Qt objects running: {qt_left}", pytrace=False)


@pytest.fixture
def leftovers():
    """A callable listing this test's live descendant processes (helpers excluded)."""
    return _leftover_processes
