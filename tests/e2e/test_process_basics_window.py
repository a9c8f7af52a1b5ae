"""process-basics in the window with its defaults: every child's lifeline, from its own pid,
drawn as it runs; the parent's waits in join(); the children's lines in the log."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.process_basics.chart import lifelines
from mpgui.scenarios.process_basics.model import PHASES, TOGETHER


def test_the_lifelines_show_every_child_by_pid_and_where_the_parent_waited(qtbot, window):
    window.select_scenario("process-basics")
    chart = window.chart
    seen = {}

    def a_child_runs_mid_run():
        # Before the run is over, the chart already shows children running beside the parent.
        state = window.state
        assert state is not None and not state.finished
        assert len(chart.blocks[TOGETHER].running.opts["x0"]) >= 2
        seen["running"] = True

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(a_child_runs_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert result["ok"], result["error"]
    assert seen
    pids = {w["pid"] for w in result["workers"]}
    assert len(pids) == 8
    # The chart got each child's own moments, and knows it by its pid.
    drawn = {}
    for mode in PHASES:
        for i, line in lifelines(window.state, mode, None).items():
            assert None not in (line.started, line.running, line.finished, line.joined), line
            drawn[line.pid] = (mode, i)
    assert set(drawn) == pids
    for mode in PHASES:
        block = chart.blocks[mode]
        assert block.rows == ["parent"] + [
            str(p) for p, (m, _) in sorted(drawn.items(), key=lambda kv: kv[1]) if m == mode
        ]
        # A running bar per child, a join() wait on the parent's row per child.
        assert len(block.running.opts["x0"]) == len(block.waiting.opts["x0"]) == 4
        assert len(block.joins.data) == len(block.starts.data) == 4
    length = chart.blocks[TOGETHER].length.toPlainText()
    assert length == f"{result['metrics']['together_s']:.2f} s"
    readout = window.readout.text()
    assert "together" in readout and "one by one" in readout and "join()" in readout
    # Each child's lines, with its pid, in the window's log.
    log = window.log_view.toPlainText()
    for pid, (_, i) in drawn.items():
        assert f"pid {pid}: process {i} running" in log
        assert f"pid {pid}: process {i} done" in log
