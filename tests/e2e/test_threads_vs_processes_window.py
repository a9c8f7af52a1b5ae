"""threads-vs-processes in the window: the Workers and Timeline panels name the thread lanes
("thread 1", …) beside the processes' pids, and the chart draws the wall times with their
speedups and the CPU tasks lane by lane, threads above processes, live and when done."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.threads_vs_processes.model import (
    CPU,
    IO,
    PROCESSES,
    SCENARIO,
    SERIAL,
    THREADS,
    measurement,
)
from mpgui.ui.panels.scenario_chart import duration_text
from tests.e2e import driving


def test_threads_show_as_lanes_of_one_process_beside_the_processes(qtbot, window):
    driving.use(window, "threads-vs-processes", SCENARIO.small_params)
    chart = window.chart
    n = SCENARIO.small_params["workers"]
    seen = {}

    def threads_drawn_mid_run():
        # Before the run is over, the threads' CPU tasks are on the chart's lanes.
        state = window.state
        assert state is not None and not state.finished
        assert len(chart.lanes.running[THREADS].opts["x0"]) > 0
        seen["rows"] = list(chart.lanes.rows)

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(threads_drawn_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert result["ok"], result["error"]
    threads = [f"thread {k + 1}" for k in range(n)]
    assert seen["rows"][:n] == threads
    pids = [str(w["pid"]) for w in result["workers"] if "tid" not in w]
    assert sorted(chart.lanes.rows) == sorted(threads + pids)
    assert chart.lanes.rows[:n] == threads  # the threads above, the processes below
    assert len(chart.lanes.running[PROCESSES].opts["x0"]) > 0
    # Every bar has its figure, the pools' with their speedups.
    m = result["metrics"]
    for work, bars in chart.bars.items():
        labels = [label.textItem.toPlainText().strip() for label in bars.labels]
        assert labels[0] == duration_text(m[measurement(work, SERIAL) + "_s"])
        assert all("×" in text for text in labels[1:])
    assert IO in chart.bars and CPU in chart.bars
    assert "the GIL" in chart.key.text
    # The Workers panel names the thread lanes "thread k", never by their tids (it thins
    # its labels to the room it has: at least one is there).
    (ticks,) = window.workers_panel.plot.getAxis("bottom")._tickLevels
    names = {text for _, text in ticks}
    assert names & set(threads)
    assert not names & {str(w["tid"]) for w in result["workers"] if "tid" in w}
    # So does the Timeline panel, a lane per thread beside the processes' lanes (thinned to
    # its room too): the threads are lanes of their own, not the conductor's.
    (ticks,) = window.timeline_panel.plot.getAxis("left")._tickLevels
    names = {text for _, text in ticks}
    assert names & set(threads) and names & {f"pid {pid}" for pid in pids}
    assert not names & {str(w["tid"]) for w in result["workers"] if "tid" in w}
    readout = window.readout.text()
    assert "waiting tasks" in readout and "computing tasks" in readout
