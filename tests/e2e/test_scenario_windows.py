"""Each scenario run in the real window with its defaults: its chart shows the effect live."""

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLabel, QPushButton

from mpgui.core.params import ParamError
from mpgui.core.protocol.run_spec import available_start_methods


def _run(qtbot, window, mid_run=None, timeout=60_000):
    """Click Run; optionally wait for `mid_run` to hold before the run ends; return the result."""
    with qtbot.waitSignal(window.runFinished, timeout=timeout) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "runButton"), Qt.MouseButton.LeftButton)
        if mid_run is not None:
            qtbot.waitUntil(mid_run, timeout=timeout)
    # A long readout or chart label must wrap or shrink, never widen the window.
    QApplication.sendPostedEvents()  # the pending layout requests
    assert window.readout.minimumSizeHint().width() < 600
    assert window.minimumSizeHint().width() <= 1440
    return blocker.args[0]


def test_counter_race_lines_part_while_you_watch(qtbot, window):
    window.select_scenario("counter-race")
    chart = window.chart
    seen = {}

    def gap_opens_mid_run():
        # Before the run is over the unlocked counter already trails its expected line.
        state = window.state
        assert state is not None and not state.finished
        counter, expected = chart.curves["unlocked"]
        _, yc = counter.getData()
        _, ye = expected.getData()
        assert yc is not None and len(yc) > 5
        assert ye.max() > yc.max()
        # Mid-race samples come from different moments: the loss shown is never negative,
        # and the locked race gets no verdict before its final count.
        assert not re.search(r"-\d", chart.big.text)
        assert "exact" not in chart.big.text
        seen["gap"] = (ye.max(), yc.max())

    result = _run(qtbot, window, gap_opens_mid_run)
    assert seen
    m = result["metrics"]
    assert result["ok"] and 0 < m["lost_updates"] and m["locked_final"] == m["expected"]
    # The lines end where the counter really ended (without the lock a worker can write back
    # an older value, so the line's last point is the final count, not its highest).
    assert chart.curves["unlocked"][0].getData()[1][-1] == m["unlocked_final"]
    assert chart.curves["locked"][0].getData()[1].max() == m["expected"]
    assert chart.curves["locked"][1].getData()[1].max() == m["expected"]
    big = chart.big.text
    assert f"{m['lost_updates']:,}" in big and "exact" in big
    assert "lost" in window.readout.text() and "exact" in window.readout.text()


def test_manager_list_fills_while_the_plain_list_stays_empty(qtbot, window):
    window.select_scenario("manager-list")
    chart = window.chart

    def stack_grows_mid_run():
        state = window.state
        assert state is not None and not state.finished
        assert len(chart.layers) >= 2
        assert chart.layers[-1].getData()[1].max() > 0

    result = _run(qtbot, window, stack_grows_mid_run)
    m = result["metrics"]
    assert result["ok"] and m["manager_len"] == m["expected"] == 4 * 20_000
    assert m["plain_len_in_parent"] == 0
    # The stack of the workers' own counts reaches the length the parent read.
    assert len(chart.layers) == 4
    assert chart.layers[-1].getData()[1].max() == m["expected"]
    assert chart.parent_len.getData()[1][-1] == m["expected"]
    _, plain = chart.plain.getData()
    assert len(plain) > 2 and set(plain) == {0}
    assert "plain list: 0 items" in chart.key.text
    widths = chart.rate_bars.bars.opts["width"]
    assert list(widths) == [
        pytest.approx(m["appends_per_s"]),
        pytest.approx(m["queue_items_per_s"]),
    ]


def test_start_methods_plots_every_start_and_the_measured_inheritance(qtbot, window):
    window.select_scenario("start-methods")
    # This scenario picks its own start methods: the form does not offer one.
    assert not window.findChild(QComboBox, "param_start_method").isVisible()
    methods = available_start_methods()
    for m in methods:
        assert window.findChild(QCheckBox, f"param_methods_{m}").isChecked()
    result = _run(qtbot, window)
    measured = result["metrics"]["methods"]
    assert list(measured) == methods
    assert len(window.chart.dots.data) == 10 * len(methods)
    table = window.chart.table.text
    assert "<b>yes</b>" in table and "<b>no</b>" in table
    assert measured["fork"]["sees_parent_change"] is True
    assert "fork" in window.readout.text() and "ms" in window.readout.text()
    # Choosing another scenario brings the start-method choice back.
    window.select_scenario("counter-race")
    assert window.findChild(QComboBox, "param_start_method").isVisible()


def test_the_methods_field_refuses_an_empty_choice(qtbot, window):
    window.select_scenario("start-methods")
    run = window.findChild(QPushButton, "runButton")
    for m in available_start_methods():
        window.findChild(QCheckBox, f"param_methods_{m}").setChecked(False)
    assert not run.isEnabled()
    error = window.findChild(QLabel, "error_methods")
    qtbot.waitUntil(error.isVisible)  # a rebuilt form is shown on the next event loop turn
    assert error.text().startswith("choose at least one of")
    window.set_param("methods", "spawn")
    assert window.param_errors() == {} and run.isEnabled()
    # A choice no box can show is refused with the reason, not dropped in silence.
    with pytest.raises(ParamError, match="'spwan' is not one of"):
        window.set_param("methods", "fork,spwan")
    assert window.findChild(QCheckBox, "param_methods_spawn").isChecked()
