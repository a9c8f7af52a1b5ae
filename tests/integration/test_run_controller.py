"""RunController: real conductor and workers, observed through Qt signals."""

import os

import pytest
from PySide6.QtCore import Qt

from mpgui.bridge import RunController, drain
from mpgui.core.protocol import events as ev
from mpgui.scenarios import make_spec
from mpgui.ui.panels.scenario_chart import newest

SMALL = {"workers": 2, "tasks": 8, "task_ms": 10.0, "baseline": False}
LONG = {"workers": 2, "tasks": 10_000, "task_ms": 50.0, "baseline": False}


def test_a_run_emits_started_events_and_finished_with_the_result(qtbot, leftovers):
    controller = RunController(make_spec("pool-map", SMALL, "fork"))
    batches = []
    controller.eventsReady.connect(batches.append)
    with qtbot.waitSignal(controller.started, timeout=5000):
        controller.start()
    with qtbot.waitSignal(controller.finished, timeout=30_000) as blocker:
        pass
    result = blocker.args[0]
    assert result["ok"] is True
    assert len({w["pid"] for w in result["workers"]}) == 2
    kinds = {e[0] for batch in batches for e in batch}
    assert {ev.HELLO, ev.START, ev.SPANS, ev.RESULT, ev.DONE} <= kinds  # SPANS: packed ENDs
    assert not controller.is_running()


def test_batches_are_coalesced_to_at_most_one_per_emit_interval(qtbot, leftovers):
    params = {"workers": 2, "tasks": 4000, "task_ms": 0.05, "chunksize": 1, "baseline": False}
    controller = RunController(make_spec("pool-map", params, "fork"))
    emitted = []
    with qtbot.waitSignal(controller.finished, timeout=60_000):
        controller.start()
        # Stamped in the drain thread as it hands each batch over (the GUI thread may take
        # several at once: its receipt times say nothing about the drain's pace).
        controller._worker.batch.connect(  # noqa: SLF001
            lambda _b: emitted.append(ev.now_ns()), Qt.ConnectionType.DirectConnection
        )
    assert controller.state.tasks_done == 4000
    # Hundreds of probe batches; the drain hands them on at most once per interval. (Its
    # rate in a flood is a benchmark's figure: benchmarks/bridge_throughput.py.) The last
    # batch goes at the end, whenever that is.
    assert len(emitted) >= 3
    span = emitted[-2] - emitted[0]
    assert len(emitted) - 2 <= span / drain.EMIT_INTERVAL_NS + 1, (len(emitted), span)


def test_stop_mid_run_reports_stopped_and_leaves_no_process_within_two_seconds(qtbot, leftovers):
    controller = RunController(make_spec("pool-map", LONG, "fork"))
    controller.start()
    qtbot.waitUntil(lambda: len(controller.state.workers()) == 2, timeout=10_000)
    assert leftovers()
    with qtbot.waitSignal(controller.failed, timeout=5000) as blocker:
        controller.stop()
        controller.stop()  # twice is harmless
    result = blocker.args[0]
    assert result["ok"] is False
    assert result["status"] == ev.STATUS_STOPPED
    assert result["error"]["type"] == "Stopped"
    # A Stop is logged as what it is, not as an error.
    levels = {(level, text) for _, _, level, text in controller.state.logs}
    assert ("STOP", "stopped by the user") in levels
    assert not any(level == "ERROR" for level, _ in levels)
    # How soon a Stop ends everything is measured by benchmarks/failure_detection.py; here only
    # that it does, within a bound no loaded machine reaches.
    qtbot.waitUntil(lambda: not leftovers(), timeout=10_000)


def test_a_worker_that_ignores_the_stop_event_is_ended_by_signals(qtbot, leftovers):
    # 2 s tasks: the stop event is only checked between tasks, so escalation must end them.
    params = {"workers": 2, "tasks": 4, "task_ms": 2000.0, "baseline": False}
    controller = RunController(make_spec("pool-map", params, "spawn"))
    controller.start()
    qtbot.waitUntil(
        lambda: any(w.open_task is not None for w in controller.state.workers()), timeout=10_000
    )
    with qtbot.waitSignal(controller.failed, timeout=10_000):
        controller.stop()
    qtbot.waitUntil(lambda: not leftovers(), timeout=10_000)


def test_stop_before_start_and_after_the_end_does_nothing(qtbot, leftovers):
    controller = RunController(make_spec("pool-map", SMALL, "fork"))
    controller.stop()
    with qtbot.waitSignal(controller.finished, timeout=30_000):
        controller.start()
    with qtbot.assertNotEmitted(controller.failed, wait=200):
        controller.stop()


def test_a_controller_runs_once(qtbot, leftovers):
    controller = RunController(make_spec("pool-map", SMALL, "fork"))
    with qtbot.waitSignal(controller.finished, timeout=30_000):
        controller.start()
    with pytest.raises(RuntimeError):
        controller.start()


def test_a_killed_conductor_is_reported_as_failed(qtbot, leftovers):
    controller = RunController(make_spec("pool-map", LONG, "fork"))
    controller.start()
    qtbot.waitUntil(lambda: len(controller.state.workers()) == 2, timeout=10_000)
    conductor_pid = controller.state.lanes[0].pid
    with qtbot.waitSignal(controller.failed, timeout=5000) as blocker:
        os.kill(conductor_pid, 9)
    assert blocker.args[0]["error"]["type"] == "ConductorDied"
    qtbot.waitUntil(lambda: not leftovers(), timeout=3000)


def test_after_a_stop_the_log_and_the_chart_agree_on_what_was_lost(qtbot, leftovers):
    # Increments never made are not lost: the log's loss is the increments really done minus
    # the counter, the same two final samples the chart draws its readout from.
    params = {"workers": 2, "increments": 10_000_000, "mode": "unlocked"}
    controller = RunController(make_spec("counter-race", params, "fork"))
    controller.start()
    state = controller.state
    qtbot.waitUntil(lambda: len(state.series.get("unlocked.counter", ())) > 4, timeout=15_000)
    with qtbot.waitSignal(controller.failed, timeout=10_000):
        controller.stop()
    line = next(text for _, _, _, text in state.logs if text.startswith("unlocked: counter"))
    # The final samples by time, as the chart takes them: the workers report these series
    # too, on the other pipe, so the conductor's final figures need not arrive last.
    counter = int(newest(state, "unlocked.counter"))
    done = int(newest(state, "unlocked.expected"))
    assert done < 2 * 10_000_000  # it was stopped early
    assert f"counter {counter:,} of {done:,} done" in line
    assert f"({max(0, done - counter):,} lost)" in line
    qtbot.waitUntil(lambda: not leftovers(), timeout=10_000)
