"""shared-memory in the real window, with its defaults: the Array's strip fills while the run
is on, cell by cell from every worker, and the plain list's strip stays empty."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton

from mpgui.scenarios.shared_memory.chart import cell_marks, worker_color
from mpgui.scenarios.shared_memory.model import array_series, child_plain_series
from mpgui.ui import theme


def _written(image: np.ndarray) -> int:
    """How many columns of a strip image are not the unwritten colour."""
    unwritten = np.array(QColor(theme.current().button).getRgb(), dtype=np.uint8)
    return int((image[:, 0, :] != unwritten).any(axis=1).sum())


def test_the_array_fills_live_from_every_worker_and_the_plain_list_stays_empty(qtbot, window):
    window.select_scenario("shared-memory")
    chart = window.chart
    seen = {}

    def partly_filled_mid_run():
        # Before the run ends, the parent's reading of the Array is part-written: the strip
        # has coloured cells and unwritten ones.
        state = window.state
        assert state is not None and not state.finished
        image = chart.array_img.image
        assert image is not None
        written = _written(image)
        assert 0 < written < image.shape[0]
        seen["mid"] = (written, image.shape[0])

    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(partly_filled_mid_run, timeout=60_000)
    result = blocker.args[0]
    assert seen
    m = result["metrics"]
    assert result["ok"], result["error"]
    assert m["array_filled"] == m["expected"] == 4096
    assert m["plain_filled_in_parent"] == 0 and m["value_final"] == m["value_expected"] == 4096

    # The chart got data from every worker's pid: each slice is named after a worker lane
    # of this run, and each worker reported its own copy of the plain list filled.
    pids = {w["pid"] for w in result["workers"]}
    assert len(pids) == 4 and set(chart.slice_pids.values()) == pids
    state = window.state
    for w in range(4):
        assert state.series[child_plain_series(w)][-1][1] == 1024
        assert state.series[array_series(w)][-1][1] == 1024
    # Done: every column of the Array's strip is its writer's colour, in slice order …
    image = chart.array_img.image
    marks = cell_marks([1024] * 4, 4, 4096)
    columns = marks[((np.arange(image.shape[0]) + 0.5) * 4096 / image.shape[0]).astype(int)]
    for k in range(4):
        color = np.array(QColor(worker_color(k)).getRgb(), dtype=np.uint8)
        assert (image[columns == k + 1, 0, :] == color).all(), k
    assert _written(image) == image.shape[0]
    # … and the plain list's strip is not written at all.
    assert _written(chart.plain_img.image) == 0
    assert chart.plain_label.texts() == ["parent's list: 0 of 4,096 written"]
    assert chart.slice_names == ["w0", "w1", "w2", "w3"]
    text = window.readout.text()
    assert "4,096" in text and "plain list" in text and "exact" in text
