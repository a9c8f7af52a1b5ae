"""web-fetch in the window: the chart draws live — the server's requests in flight, each
lane's fetches row by row (main, the Pool's pids, the ThreadPool's "thread k") — and when
done the wall times with the pools' speedups."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.web_fetch.model import POOL, SERIAL, THREADS
from mpgui.ui.panels.scenario_chart import duration_text
from tests.e2e import driving
from tests.plots import points

#: Small, but slow pages: the Pool's and the ThreadPool's fetching each last ~0.8 s, so the
#: check "drawn before the run is over" has a second and more to look in, not the ~0.2 s that
#: the 40 ms pages of ``small_params`` gave (too short on a slow CI machine).
PARAMS = {"urls": 4, "workers": 2, "latency_ms": 400}


def test_the_chart_draws_the_server_and_the_clients_live(qtbot, window):
    params = PARAMS
    driving.use(window, "web-fetch", params)
    chart = window.chart
    n = params["workers"]
    seen = {}

    def pool_drawn_mid_run():
        # Before the run is over, the Pool's requests are in flight on the server's plot
        # and its fetches on the clients' rows, under the serial ones.
        state = window.state
        assert state is not None and not state.finished
        assert points(chart.server.curves[POOL]) > 0
        assert len(chart.clients.bars[POOL].opts["x0"]) > 0
        seen["rows"] = list(chart.clients.rows)

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(pool_drawn_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert result["ok"], result["error"]
    assert seen["rows"][0] == "main"
    pids = [str(w["pid"]) for w in result["workers"] if "tid" not in w and w["tasks"]]
    threads = [f"thread {k + 1}" for k in range(n)]
    assert chart.clients.rows[0] == "main"
    assert sorted(chart.clients.rows[1 : 1 + n]) == sorted(pids)
    assert chart.clients.rows[1 + n :] == threads
    names = {  # in full, or short where the plot is narrow
        SERIAL: ("serial: 1 at once", "serial 1"),
        POOL: (f"Pool: {n} at once", f"Pool {n}"),
        THREADS: (f"ThreadPool: {n} at once", f"Threads {n}"),
    }
    for way in (SERIAL, POOL, THREADS):
        assert chart.server.labels[way].textItem.toPlainText() in names[way]
    labels = [label.textItem.toPlainText().strip() for label in chart.bars.labels]
    m = result["metrics"]
    assert labels[0] == duration_text(m["serial_s"])
    assert all("×" in text for text in labels[1:])
    readout = window.readout.text()
    assert "in flight at the server" in readout and f"200: {3 * params['urls']}" in readout
