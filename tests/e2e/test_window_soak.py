"""Run after run in one window — finished, crashed, stopped, under every start method — the
GUI process keeps the same open files, threads, children and /dev/shm entries."""

import os
import threading

import psutil

from mpgui.bridge import threads
from tests.e2e.driving import use
from tests.process_tree import run_shm

KINDS = [
    ("pool-map", {"workers": 2, "tasks": 6, "task_ms": 5.0, "baseline": False}, "fork", "ok"),
    ("worker-failures", {"failure": "segfault", "tasks": 6, "task_ms": 5.0}, "fork", "error"),
    ("counter-race", {"workers": 2, "increments": 2000}, "spawn", "ok"),
    ("worker-failures", {"failure": "exit", "api": "ProcessPoolExecutor"}, "forkserver", "error"),
    ("pool-map", {"workers": 2, "tasks": 100_000, "task_ms": 1.0, "baseline": False}, "fork",
     "stop"),
    ("manager-list", {"workers": 2, "items": 50}, "spawn", "ok"),
]  # fmt: skip


def figures() -> dict:
    me = psutil.Process()
    return {
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": threading.active_count(),
        "os_threads": me.num_threads(),
        "children": len([c for c in me.children(recursive=True) if c.status() != "zombie"]),
        "run_shm": sorted(run_shm(os.getpid())),
        "drain_threads": len(threads.running()),
    }


def _same(now: dict, baseline: dict, where: str) -> None:
    assert now == baseline, f"{where}: {now} != {baseline}"


def one_run(qtbot, window, scenario, params, method, outcome):
    use(window, scenario, {**params, "start_method": method})
    signal = window.runFinished if outcome == "ok" else window.runFailed
    with qtbot.waitSignal(signal, timeout=60_000) as blocker:
        assert window.start_run()
        if outcome == "stop":
            qtbot.waitUntil(lambda: len(window.state.workers()) == 2, timeout=15_000)
            window.stop_run()
    return blocker.args[0]


def test_twelve_runs_in_one_window_leave_nothing_growing(qtbot, window, leftovers):
    baseline = None
    for i in range(12):
        scenario, params, method, outcome = KINDS[i % len(KINDS)]
        result = one_run(qtbot, window, scenario, params, method, outcome)
        assert result["ok"] is (outcome == "ok"), result["error"]
        qtbot.waitUntil(lambda: not leftovers() and not threads.running(), timeout=3000)
        if baseline is None:  # after the first run: multiprocessing's helpers exist by then
            baseline = figures()
            continue

        where = f"after run {i} ({scenario}, {method})"
        qtbot.waitUntil(lambda b=baseline, w=where: _same(figures(), b, w), timeout=3000)
