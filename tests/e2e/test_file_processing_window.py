"""File processing in the real window: the files' bars appear as they are written, each
file's count is drawn under the name of the pool worker that took it, and the readout gives
the speedup and the check of every count."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.file_processing.model import WARM
from tests.e2e import driving


def test_the_chart_shows_each_file_and_who_counted_it(qtbot, window):
    # Smaller files than the defaults (the headless tests run those): 8 files, ~3 MB each.
    params = {"files": 8, "lines_per_file": 80_000, "start_method": "forkserver"}
    driving.use(window, "file-processing", params)
    chart = window.chart
    seen = {}

    def counts_mid_run():
        # While the passes still run, the files' sizes and some counts are drawn already.
        state = window.state
        assert state is not None and not state.finished
        assert state.current_phase() == WARM
        assert any(r.ms is not None for r in chart.rows)
        seen["sizes"] = [r.mb for r in chart.rows]

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(counts_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert result["ok"], result["error"]
    assert result["metrics"]["lines_match"] is True
    assert all(size and size > 0 for size in seen["sizes"])  # every file written by then
    # The last pass is the cold parallel one: every file's bar is named after a pool worker,
    # and both workers took some.
    assert set(chart.who_labels.texts()) - {""} <= {"w0", "w1"}
    assert {chart.names[r.pid] for r in chart.rows} == {"w0", "w1"}
    assert sum(r.lines for r in chart.rows) == result["metrics"]["total_lines"]
    texts = [label.textItem.toPlainText().strip() for label in chart.speed_bars.labels]
    assert all(texts), texts  # all four passes' throughput
    readout = window.readout.text()
    assert "speedup" in readout and "lines ✓" in readout and "worker peak RSS" in readout
