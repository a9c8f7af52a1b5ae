"""rate-limit in the window (small parameters, with the retry phase): the chart draws the
server's side live — arrivals per second against the limit, the phases named with their
429s — and when done every 429 the server answered is marked, the readout saying the
inequalities as measured; the Code tab shows the shared limiter."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.rate_limit.chart import WAY_NAMES
from mpgui.scenarios.rate_limit.model import ARRIVAL, LIMITED, RETRY, SCENARIO, UNLIMITED
from tests.e2e import driving

PARAMS = {**SCENARIO.small_params, "retry": True}


def test_the_server_side_is_drawn_live_and_every_429_is_marked(qtbot, window):
    driving.use(window, "rate-limit", PARAMS)
    chart = window.chart
    seen = {}

    def limited_drawn_mid_run():
        # Before the run is over, the limited phase's arrivals are on the chart.
        state = window.state
        assert state is not None and not state.finished
        assert len(chart.phase_texts) >= 2
        x, _ = chart.rate.getData()
        seen["points"] = len(x)

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(limited_drawn_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert result["ok"], result["error"]
    assert seen["points"] > 0
    m = result["metrics"]
    assert m["retry_failed"] == 0  # retrying got every page, in the end
    # Every 429 the server answered is marked, each phase named with its own count.
    total = m["status_429_unlimited"] + m["status_429_limited"] + m["status_429_retry"]
    assert total > 0 and len(chart.marked) == total
    requests = PARAMS["requests"]
    texts = chart.phase_texts
    assert len(texts) == 3
    for text, way in zip(texts, (UNLIMITED, LIMITED), strict=False):
        assert text.startswith(f"{WAY_NAMES[way]}: {requests} in ")
        assert text.endswith(f", {m[f'status_429_{way}']} × 429")
    # Retrying, each 429 was one more request.
    assert texts[2].startswith(f"{WAY_NAMES[RETRY]}: {requests + m['status_429_retry']} in ")
    assert texts[2].endswith(f", {m['status_429_retry']} × 429")
    assert len(window.state.series[ARRIVAL]) >= 3 * PARAMS["requests"]
    assert chart.limit.value() == PARAMS["server_rps"]
    readout = window.readout.text()
    assert "no limiter" in readout and "shared limiter" in readout
    assert "busiest second" in readout and "retrying" in readout
    # The lesson's code is marked: the slot taken under the Value's lock.
    lines = SCENARIO.source().splitlines()
    marked = [lines[n].strip() for n in SCENARIO.focus_lines()]
    assert "with self.next_free.get_lock():  # one process at a time reads and moves it" in marked
    assert "if self.next_free.value <= now:  # its time has come: take it, and go" in marked
    assert len(marked) == len(SCENARIO.focus)
