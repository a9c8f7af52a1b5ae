"""Queue logging in the real window: the chart shows every child's records arriving, and the
listener's lines from every child's pid."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.queue_logging.model import VIA_QUEUE, WITHOUT_QUEUE
from tests.e2e import driving


def test_the_chart_gets_records_from_every_child(qtbot, window):
    # Each phase lasts ~0.75 s (150 records 5 ms apart): long enough to look at it mid-run.
    driving.use(window, "queue-logging", {"records": 150, "start_method": "spawn"})
    chart = window.chart
    seen = {}

    def listener_lines_mid_run():
        # While the children still log, their records already stream into the chart.
        state = window.state
        assert state is not None and not state.finished
        assert chart.listener_pids
        seen["mid"] = set(chart.listener_pids)

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(listener_lines_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert result["ok"], result["error"]
    m = result["metrics"]
    assert m["records_via_queue"] == m["records_expected"] == 4 * 150
    assert m["records_without_queue"] == 0  # spawn: the children inherit no handler
    state = window.state
    children = {w.pid for w in state.lanes if w.role == "worker" and w.label == VIA_QUEUE}
    assert len(children) == 4 and chart.listener_pids == children
    # Each child's solid line climbs to all its records; the dashed ones stay at 0.
    assert chart.ends[VIA_QUEUE].texts() == ["150"] * 4
    assert chart.ends[WITHOUT_QUEUE].texts() == ["0"] * 4
    assert "600" in chart.figures.text and "nothing inherited" in chart.figures.text
    assert "child-" in chart.log.text and "] record " in chart.log.text
    assert "600 / 600" in window.readout.text()
