"""lock-print in the real window with its defaults: the chart shows the workers' output as it
arrives, garbled lines marked, and lines from every worker."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.lock_print.model import LOCKED, UNLOCKED, is_whole


def test_the_output_shows_garbled_lines_without_the_lock_and_none_with_it(qtbot, window):
    window.select_scenario("lock-print")
    chart = window.chart
    seen = {}

    def output_arrives_mid_run():
        # Lines appear while the workers still print, before the run is over.
        state = window.state
        assert state is not None and not state.finished
        assert len(chart.columns[UNLOCKED].lines) >= 20
        seen["mid"] = len(chart.columns[UNLOCKED].lines)

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(output_arrives_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert seen
    m = result["metrics"]
    assert result["ok"] and m["garbled_unlocked"] > 0 and m["garbled_locked"] == 0
    unlocked, locked = chart.columns[UNLOCKED], chart.columns[LOCKED]
    # Every line the conductor read is in the chart, garbled ones as many as it counted.
    assert len(unlocked.lines) == len(locked.lines) == m["lines_expected"]
    assert sum(not is_whole(line) for line in unlocked.lines) == m["garbled_unlocked"]
    assert unlocked.heading[0] == f"without lock: {m['garbled_unlocked']} of 200 garbled"
    assert locked.heading[0] == "with lock: 0 of 200 garbled"
    # What is drawn is marked line by line: ✓ whole, ✗ garbled, and nothing garbled locked.
    shown = locked.shown()
    assert len(shown) >= 5 and all(line.startswith("✓ ") for line in shown)
    assert all(line[0] == ("✓" if is_whole(line[2:]) else "✗") for line in unlocked.shown())
    # Every one of the four workers' lines reached the chart, in both phases.
    assert chart.writers == {UNLOCKED: {0, 1, 2, 3}, LOCKED: {0, 1, 2, 3}}
    assert list(chart.bars.bars.opts["width"]) == [m["garbled_unlocked"], 0]
    readout = window.readout.text()
    assert "of 200 lines garbled" in readout and "× the time" in readout
