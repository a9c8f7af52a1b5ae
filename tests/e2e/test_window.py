"""Drive the real MainWindow through pool-map runs, as a user or a teacher's script would."""

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from mpgui.core.params import ParamError
from tests.process_tree import HANG_BOUND_S

FAST = {"workers": 2, "tasks": 12, "task_ms": 40.0, "baseline": True}


def _set(window, params):
    for name, value in params.items():
        window.set_param(name, value)


def test_controls_have_stable_object_names(window):
    for name in (
        "scenarioList",
        "runButton",
        "stopButton",
        "paramForm",
        "workersPlot",
        "coresPlot",
        "timelinePlot",
        "scenarioPlot",
        "logView",
    ):
        assert window.findChild(object, name) is not None, name


def test_a_run_fills_all_four_panels_from_two_worker_pids(qtbot, window):
    _set(window, FAST)
    seen_mid_run = {}

    def panels_alive_mid_run():
        # While the run is going, not only at the end: bars, spans and CPU samples exist.
        state = window.state
        assert state is not None and not state.finished
        assert len(state.workers()) == 2
        heights = window.workers_panel.bars.bar_heights(len(state.lanes))
        assert sum(heights) > 0
        assert window.timeline_panel.span_count() > 0
        assert len(window.cores_panel.loads_shown()) >= 1
        seen_mid_run["ok"] = True

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(panels_alive_mid_run, timeout=30_000)
    result = blocker.args[0]
    assert seen_mid_run
    assert result["ok"] is True
    pids = {w["pid"] for w in result["workers"]}
    assert len(pids) == 2
    # The workers panel drew a bar for each worker pid, with the tasks each really did.
    lanes = {lane.pid: lane for lane in window.state.lanes}
    assert pids <= set(lanes)
    heights = window.workers_panel.bars.bar_heights(len(window.state.lanes))
    for w in result["workers"]:
        assert heights[lanes[w["pid"]].index] == w["tasks"]
    # The timeline holds every task twice: once serially, once in the pool.
    assert window.timeline_panel.span_count() == 2 * FAST["tasks"]
    # The scenario chart shows the measured speedup; the readout says it too.
    assert list(window.chart.current.getData()[1]) == [pytest.approx(result["metrics"]["speedup"])]
    assert "speedup" in window.readout.text()
    assert "parallel: 12 tasks" in window.log_view.toPlainText()
    assert window.findChild(QPushButton, "runButton").isEnabled()


def test_stop_mid_run_ends_every_process_and_the_next_run_works(qtbot, window, leftovers):
    _set(window, {"workers": 2, "tasks": 5000, "task_ms": 50.0, "baseline": False})
    window.start_run()
    qtbot.waitUntil(lambda: len(window.state.workers()) == 2, timeout=15_000)
    with qtbot.waitSignal(window.runFailed, timeout=10_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "stopButton"), Qt.MouseButton.LeftButton)
    assert blocker.args[0]["error"]["type"] == "Stopped"
    qtbot.waitUntil(lambda: not leftovers(), timeout=10_000)
    assert "Stopped" in window.readout.text()

    _set(window, FAST)
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        assert window.start_run()


def test_the_form_refuses_bad_values_and_says_why(qtbot, window):
    run = window.findChild(QPushButton, "runButton")
    field = window.findChild(QLineEdit, "param_workers")
    field.clear()
    qtbot.keyClicks(field, "0")
    assert not run.isEnabled()
    error = window.findChild(QLabel, "error_workers")
    assert error.isVisible()
    assert error.text() == "must be from 1 to 256, got 0"
    assert window.start_run() is False
    # The same refusals, in the same words, as `mpgui run --set ...` (see test_cli).
    for text, reason in [
        ("abc", "'abc' is not a whole number"),
        ("10**9", "'10**9' is not a whole number"),
        ("1000000000", "must be from 1 to 256, got 1000000000"),
        ("", "a value is required"),
    ]:
        window.set_param("workers", text)
        assert window.param_errors() == {"workers": f"workers: {reason}"}
        assert not run.isEnabled()
        assert window.start_run() is False
    window.set_param("workers", 2)
    assert window.param_errors() == {}
    assert run.isEnabled()
    with pytest.raises(KeyError):
        window.set_param("no_such_param", 1)
    with pytest.raises(ParamError, match="unknown scenario 'nope'"):
        window.select_scenario("nope")


def test_closing_the_window_mid_run_leaves_nothing(qtbot, window, leftovers):
    _set(window, {"workers": 2, "tasks": 5000, "task_ms": 50.0, "baseline": False})
    window.start_run()
    qtbot.waitUntil(lambda: len(window.state.workers()) == 2, timeout=15_000)
    t0 = time.monotonic()
    window.close()
    # Closing blocks the GUI thread while the run is ended: within a bound, never a hang.
    assert time.monotonic() - t0 < HANG_BOUND_S
    assert not window.is_running()
    qtbot.waitUntil(lambda: not leftovers(), timeout=3000)


def test_an_unlisted_scenario_runs_by_id_and_stays_unlisted(qtbot, window):
    def listed():
        items = (window.scenario_list.item(r) for r in range(window.scenario_list.count()))
        return [i.data(Qt.ItemDataRole.UserRole) for i in items if not i.isHidden()]

    before = listed()
    window.select_scenario("event-flood")
    _set(window, {"producers": 2, "events": 4000})
    # Focus on the list must not switch back to its first row.
    window.scenario_list.setFocus()
    QApplication.processEvents()
    assert window.title.text() == "Event flood"
    assert listed() == before and "event-flood" not in before
    with qtbot.waitSignal(window.runFinished, timeout=60_000) as finished:
        assert window.start_run()
    result = finished.args[0]
    assert result["scenario"] == "event-flood"
    # 2 producers × 4000 events (START+END pairs) plus their METRIC samples, all in the model.
    assert result["metrics"]["events"] >= 8000
    assert window.state.span_total == 4000


def test_a_script_that_never_runs_the_event_loop_does_not_keep_old_runs(window):
    # A teacher's script drives the window with processEvents() and never calls exec():
    # deleteLater() never runs there, so nothing may rely on it to let a finished run go.
    import gc
    import weakref

    from PySide6.QtCore import QEventLoop

    _set(window, {"workers": 2, "tasks": 4, "task_ms": 5.0, "baseline": False})
    old = []
    for _ in range(3):
        assert window.start_run()
        old.append(weakref.ref(window._controller))  # noqa: SLF001 - what holds the run
        deadline = time.monotonic() + 30
        while window.is_running() and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        assert not window.is_running()
    gc.collect()
    assert [ref() is None for ref in old] == [True, True, False]  # only the last one is kept
