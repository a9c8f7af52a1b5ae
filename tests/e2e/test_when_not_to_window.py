"""when-not-to in the real window: the sweep curve grows while the rounds run, and once the
run is done each pool bar is split into computing, pickling and sending & waiting."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.when_not_to.chart import COMPUTING, PICKLING, SENDING, STARTING
from mpgui.scenarios.when_not_to.model import chunksizes
from tests.e2e import driving


def test_the_sweep_grows_live_and_the_bars_split_when_done(qtbot, window):
    # Fewer tiny tasks and megabytes than the defaults: the same picture, in ~2 s.
    driving.use(window, "when-not-to", {"n": 20_000, "mb": 10})
    chart = window.chart
    seen = {}

    def sweep_points_mid_run():
        state = window.state
        assert state is not None and not state.finished
        assert len(chart.points) >= 2
        seen["mid"] = list(chart.points)

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(sweep_points_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert seen and result["ok"], result["error"]
    m = result["metrics"]
    # Every chunksize of the sweep is on the curve, the best one starred.
    assert [c for c, _ in chart.points] == chunksizes(20_000, 2)
    assert chart.best_label.toPlainText() == f"best {m['best_chunksize']:,}"
    # The pool bars are split into the parts the run measured; the serial ones are all work.
    qtbot.waitUntil(lambda: chart.tiny.shown[1] is not None and len(chart.tiny.shown[1]) == 3)
    serial, chunk1, chunked = chart.tiny.shown
    assert [p for p, _ in serial] == [COMPUTING]
    assert [p for p, _ in chunk1] == [COMPUTING, PICKLING, SENDING]
    assert sum(v for _, v in chunk1) >= m["tiny_pool_chunk1_s"] * 0.999
    assert [p for p, _ in chart.startup.shown[1]][0] == STARTING
    text = window.readout.text()
    assert "chunksize 1" in text and "slower" in text and "10 MB" in text
