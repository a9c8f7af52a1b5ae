"""The window when workers fail, and Stop at every moment: shown as such, nothing left behind,
and the next run works. Real runs, real crashes."""

import os
import signal
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.bridge import threads
from mpgui.scenarios.worker_failures.chart import task_states
from tests.e2e.driving import use
from tests.process_tree import HANG_BOUND_S, run_shm

QUICK = {"workers": 2, "tasks": 8, "fail_task": 3, "task_ms": 20.0, "timeout_s": 0.5}
LONG_POOL_MAP = {"workers": 2, "tasks": 5000, "task_ms": 50.0, "baseline": False}
FAST_POOL_MAP = {"workers": 2, "tasks": 6, "task_ms": 10.0, "baseline": False}


def _run(qtbot, window, signal_name="runFailed", timeout=30_000):
    with qtbot.waitSignal(getattr(window, signal_name), timeout=timeout) as blocker:
        assert window.start_run()
    return blocker.args[0]


def _all_gone(qtbot, leftovers):
    """No process of the run within 2 s, and its drain thread has finished."""
    qtbot.waitUntil(lambda: not leftovers(), timeout=2000)
    assert threads.running() == []


def test_a_segfaulting_worker_is_shown_dead_and_the_next_run_works(qtbot, window, leftovers):
    use(window, "worker-failures", {**QUICK, "failure": "segfault", "api": "Pool"})
    result = _run(qtbot, window)
    assert result["error"]["type"] == "WorkerFailed"
    assert result["error"]["signal"] == "SIGSEGV"
    # The dead worker's bar says how it died; its lost task is red on the timeline.
    labels = list(window.workers_panel.label_texts().values())
    assert any("✗ SIGSEGV" in text for text in labels), labels
    assert len(window.timeline_panel.lost.opts["x0"]) == 1
    assert "WorkerFailed" in window.readout.text() and "task 3" in window.readout.text()
    assert "killed by SIGSEGV while running task 3" in window.log_view.toPlainText()
    assert task_states(window.state)[3] == "went wrong"
    assert "Pool lost task 3" in window.chart.verdict.text
    _all_gone(qtbot, leftovers)

    window.set_param("failure", "none")
    result = _run(qtbot, window, "runFinished")
    assert result["metrics"]["tasks_returned"] == QUICK["tasks"]
    assert window.findChild(QPushButton, "runButton").isEnabled()


def test_a_raising_worker_shows_the_remote_traceback(qtbot, window, leftovers):
    use(window, "worker-failures", {**QUICK, "failure": "raise", "api": "ProcessPoolExecutor"})
    result = _run(qtbot, window)
    assert result["error"]["type"] == "ValueError"
    log = window.log_view.toPlainText()
    # The worker's own frames, carried back as text: where it raised, and why.
    assert "in go_wrong" in log
    assert "ValueError: task 3 failed on purpose" in log
    # mpgui's own frames and the executor's are folded away (the result keeps them).
    assert "mpgui/core" not in log and "frames of concurrent.futures hidden" in log
    assert "mpgui/core" in result["error"]["traceback"]
    _all_gone(qtbot, leftovers)


def test_a_hung_worker_is_ended_by_its_timeout(qtbot, window, leftovers):
    use(window, "worker-failures", {**QUICK, "failure": "hang", "api": "Pool"})
    result = _run(qtbot, window)
    assert result["error"]["type"] == "TaskTimeout"
    log = window.log_view.toPlainText()
    assert "SIGTERM" in log and "SIGKILL" in log
    labels = list(window.workers_panel.label_texts().values())
    assert any("✗ SIGKILL" in text for text in labels), labels
    _all_gone(qtbot, leftovers)


def _stop(qtbot, window):
    qtbot.mouseClick(window.findChild(QPushButton, "stopButton"), Qt.MouseButton.LeftButton)


def test_stop_before_any_run_does_nothing(qtbot, window, leftovers):
    assert not window.findChild(QPushButton, "stopButton").isEnabled()
    window.stop_run()  # a script may call it anyway
    assert not window.is_running()
    assert leftovers() == []
    use(window, "pool-map", FAST_POOL_MAP)
    _run(qtbot, window, "runFinished")


def test_stop_pressed_twice_mid_run(qtbot, window, leftovers):
    use(window, "pool-map", LONG_POOL_MAP)
    window.start_run()
    qtbot.waitUntil(lambda: len(window.state.workers()) == 2, timeout=15_000)
    with qtbot.waitSignal(window.runFailed, timeout=5000) as blocker:
        window.stop_run()
        window.stop_run()  # impatient: the second press must not start anything new
    assert blocker.args[0]["status"] == "stopped"
    _all_gone(qtbot, leftovers)
    use(window, "pool-map", FAST_POOL_MAP)
    _run(qtbot, window, "runFinished")


def test_stop_after_a_run_is_harmless(qtbot, window, leftovers):
    use(window, "pool-map", FAST_POOL_MAP)
    _run(qtbot, window, "runFinished")
    window.stop_run()
    assert "Stopped" not in window.readout.text()
    _all_gone(qtbot, leftovers)
    _run(qtbot, window, "runFinished")


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_stop_during_a_race_leaves_no_lock_behind(qtbot, window, leftovers, method):
    """The race's Value and locks are named semaphores under spawn and forkserver."""
    before = run_shm(os.getpid())  # this process's earlier runs' (none, unless one leaked)
    use(window, "counter-race", {"workers": 2, "increments": 10_000_000})
    window.set_param("start_method", method)
    window.start_run()
    qtbot.waitUntil(lambda: window.state.current_phase() == "unlocked", timeout=15_000)
    assert run_shm(os.getpid()) - before  # the race's semaphores exist while it runs
    with qtbot.waitSignal(window.runFailed, timeout=5000):
        window.stop_run()
    _all_gone(qtbot, leftovers)
    qtbot.waitUntil(lambda: not (run_shm(os.getpid()) - before), timeout=2000)


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_an_idle_worker_killed_from_outside_is_shown_within_2_s(qtbot, window, leftovers, method):
    # One long task on two workers: one works, the other waits for work the whole run.
    use(window, "pool-map", {"workers": 2, "tasks": 1, "task_ms": 3000.0, "baseline": False,
                             "start_method": method})  # fmt: skip
    killed = {}

    def kill_the_idle_one() -> None:
        workers = window.state.workers()
        assert len(workers) == 2 and any(w.open_task is not None for w in workers)
        idle = next(w for w in workers if w.open_task is None)
        killed["pid"], killed["at"] = idle.pid, time.monotonic()
        os.kill(idle.pid, signal.SIGKILL)

    with qtbot.waitSignal(window.runFailed, timeout=30_000) as blocker:
        assert window.start_run()
        qtbot.waitUntil(kill_the_idle_one, timeout=15_000)
    # Within seconds, not the old forever (benchmarks/failure_detection.py measures how soon).
    assert time.monotonic() - killed["at"] < HANG_BOUND_S
    error = blocker.args[0]["error"]
    assert (error["type"], error["pid"], error["signal"]) == (
        "WorkerFailed",
        killed["pid"],
        "SIGKILL",
    )
    assert f"worker {killed['pid']} was killed by SIGKILL" in window.readout.text()
    assert "Running" not in window.readout.text()
    _all_gone(qtbot, leftovers)
    assert window.findChild(QPushButton, "runButton").isEnabled()  # ready for the next run
