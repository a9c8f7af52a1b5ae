"""The process-basics chart, fed synthetic run states: each child's lifeline from its moments
and its lane's pid, the parent's waits, live growth of what is under way, and the key."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.process_basics.chart import (
    ProcessBasicsChart,
    lifelines,
    output_lines,
)
from mpgui.scenarios.process_basics.model import (
    CREATED,
    FINISHED,
    JOINED,
    JOINING,
    ONE_BY_ONE,
    ONE_BY_ONE_S,
    RATIO,
    RUNNING,
    START_RETURN_MS,
    STARTED,
    TOGETHER,
    TOGETHER_S,
    lane_label,
    moment_series,
)
from mpgui.ui import theme

T0 = 10**12
MS = 1_000_000
#: The pid of process `i` of a mode: 100 + i together, 200 + i one by one.
PID = {TOGETHER: 100, ONE_BY_ONE: 200}


def _moment(mode: str, moment: str, i: int, ms: float) -> tuple:
    """The METRIC event of process `i` reaching `moment` `ms` after its mode began."""
    t0 = T0 if mode == TOGETHER else T0 + 1000 * MS
    return (ev.METRIC, t0 + int(ms * MS), PID[mode] + i, moment_series(mode, moment), i)


def _state(n: int, params: dict | None = None) -> RunState:
    """A run of `n` processes per mode, both modes begun, each child said hello."""
    spec = RunSpec("process-basics", {"processes": n, "task_ms": 300, **(params or {})}, "fork")
    state = RunState(spec, t0_ns=T0)
    state.apply([(ev.PHASE, T0, TOGETHER)])
    state.apply(
        [
            (ev.HELLO, T0 + MS, PID[TOGETHER] + i, 0, "worker", lane_label(TOGETHER, i))
            for i in range(n)
        ]
    )
    return state


def _whole_together(n: int) -> list[tuple]:
    """Together: all created, all started, all run 300 ms, all joined in turn."""
    events = []
    for i in range(n):
        events += [
            _moment(TOGETHER, CREATED, i, 0.1 * i),
            _moment(TOGETHER, STARTED, i, 1 + i),
            _moment(TOGETHER, RUNNING, i, 3 + i),
            _moment(TOGETHER, FINISHED, i, 303 + i),
            _moment(TOGETHER, JOINING, i, 5 if i == 0 else 304 + i),
            _moment(TOGETHER, JOINED, i, 305 + i),
        ]
    return events


def test_lifelines_read_each_processs_moments_and_pid_and_grow_what_is_under_way(qapp):
    state = _state(2)
    # Both children running, the parent in join() for process 0.
    state.apply(
        [_moment(TOGETHER, m, i, 1 + i) for i in range(2) for m in (CREATED, STARTED)]
        + [_moment(TOGETHER, RUNNING, i, 3) for i in range(2)]
        + [_moment(TOGETHER, JOINING, 0, 5)]
    )
    lines = lifelines(state, TOGETHER, now_s=0.2)
    assert lines[0].pid == 100 and lines[1].pid == 101
    assert lines[1].started == pytest.approx(0.002) and lines[0].running == pytest.approx(0.003)
    # Still running and still in join(): both end now, for the frame.
    assert lines[0].finished == pytest.approx(0.2) and lines[0].joined == pytest.approx(0.2)
    # Over (None): nothing is made up.
    over = lifelines(state, TOGETHER, now_s=None)
    assert over[0].finished is None and over[0].joined is None
    assert lines[1].joining is None and lines[1].joined is None  # not joined yet: no wait
    assert lifelines(state, ONE_BY_ONE, now_s=0.2) == {}  # that mode has not begun


def test_the_chart_draws_a_bar_per_child_a_wait_per_join_and_labels_rows_by_pid(qtbot):
    theme.configure_pyqtgraph()
    chart = ProcessBasicsChart()
    qtbot.addWidget(chart)
    chart.resize(700, 500)
    chart.show()
    qtbot.waitExposed(chart)
    n = 4
    state = _state(n)
    state.apply(_whole_together(n))
    state.apply([(ev.PHASE, T0 + 1000 * MS, ONE_BY_ONE)])
    state.apply([(ev.HELLO, T0 + 1001 * MS, 200, 0, "worker", lane_label(ONE_BY_ONE, 0))])
    state.apply(
        [
            _moment(ONE_BY_ONE, CREATED, 0, 0),
            _moment(ONE_BY_ONE, STARTED, 0, 1),
            _moment(ONE_BY_ONE, JOINING, 0, 1.1),
            _moment(ONE_BY_ONE, RUNNING, 0, 3),
        ]
    )
    chart.redraw(state, T0 + 1100 * MS)  # 100 ms into one by one
    QApplication.processEvents()
    together, one_by_one = chart.blocks[TOGETHER], chart.blocks[ONE_BY_ONE]
    # Together: four bars of 300 ms; one by one: the child running for 97 ms so far.
    assert list(together.running.opts["width"]) == pytest.approx([0.3] * n)
    assert list(one_by_one.running.opts["width"]) == pytest.approx([0.097])
    # The parent's waits, on its row: four joins together, one growing one by one.
    assert len(together.waiting.opts["x0"]) == n and set(together.waiting.opts["y"]) == {0}
    assert list(one_by_one.waiting.opts["width"]) == pytest.approx([0.0989])
    assert len(together.starts.data) == len(together.joins.data) == n
    assert len(one_by_one.starts.data) == 1 and len(one_by_one.joins.data) == 0
    assert together.rows == ["parent", "100", "101", "102", "103"]
    assert one_by_one.rows == ["parent", "200", "#1", "#2", "#3"]
    # Each mode's length at the end of the parent's row; the one under way says so.
    assert together.length.toPlainText() == "0.3 s"
    assert one_by_one.length.toPlainText() == "0.1 s …"
    # The whole of one by one's expected length (4 × 300 ms) fits from the start.
    assert together.plot.viewRange()[0][1] >= 1.2
    assert one_by_one.plot.viewRange()[0] == together.plot.viewRange()[0]  # one time scale


def test_a_parent_row_is_labelled_even_when_32_rows_thin_the_pids(qtbot):
    theme.configure_pyqtgraph()
    chart = ProcessBasicsChart()
    qtbot.addWidget(chart)
    chart.resize(330, 300)
    chart.show()
    qtbot.waitExposed(chart)
    state = _state(32)
    state.apply([(ev.PHASE, T0 + 1000 * MS, ONE_BY_ONE)])
    chart.redraw(state, T0 + 1000 * MS)
    QApplication.processEvents()
    for mode in (TOGETHER, ONE_BY_ONE):
        block = chart.blocks[mode]
        block.fit_rows()
        (ticks,) = block.plot.getAxis("left")._tickLevels
        labels = [text for _, text in ticks]
        assert labels[0] == "parent"
        assert len(labels) < 32  # thinned: 33 rows in a small chart cannot all be named
        # Markers no taller than a row.
        assert block.starts.opts["size"] <= block.plot.height() / 33 + 1


def test_the_key_shows_the_latest_output_and_the_cpu_case(qtbot):
    chart = ProcessBasicsChart()
    qtbot.addWidget(chart)
    state = _state(2, {"work": "cpu"})
    state.apply(
        [
            (ev.LOG, T0 + k * MS, 0, "OUTPUT", f"pid {100 + k % 2}: process {k % 2} running")
            for k in range(5)
        ]
        + [(ev.LOG, T0 + 9 * MS, 0, "INFO", "not printed by a child")]
    )
    assert output_lines(state, 3) == [
        "pid 100: process 0 running",
        "pid 101: process 1 running",
        "pid 100: process 0 running",
    ]
    chart.redraw(state, T0 + 10 * MS)
    key = chart.key.text
    assert "pid 101: process 1 running" in key and "not printed" not in key
    assert "work = cpu" in key and "cores" in key
    readout = " ".join(
        chart.readout({TOGETHER_S: 0.6, ONE_BY_ONE_S: 1.2, RATIO: 2.0, START_RETURN_MS: 1.0})
    )
    assert "2.0×" in readout and "cores" in readout and "1.0 ms" in readout


def test_a_stopped_run_with_moments_missing_draws_what_happened(qtbot):
    chart = ProcessBasicsChart()
    qtbot.addWidget(chart)
    state = _state(2)
    state.apply([_moment(TOGETHER, CREATED, 0, 0), _moment(TOGETHER, STARTED, 0, 1)])
    state.fail("Stopped", "stopped by the user", status=ev.STATUS_STOPPED)
    chart.redraw(state, T0 + 50 * MS)
    # Started, never seen running, never joined: a ▲ and nothing more.
    block = chart.blocks[TOGETHER]
    assert len(block.starts.data) == 1
    assert len(block.running.opts["x0"]) == 0 and len(block.joins.data) == 0
    chart.reset()
    assert len(block.starts.data) == 0 and block.rows == []


def test_a_run_of_one_mode_shows_its_plot_alone(qtbot):
    chart = ProcessBasicsChart()
    qtbot.addWidget(chart)
    chart.redraw(_state(2, {"mode": ONE_BY_ONE}), T0 + 10 * MS)
    plots = [item for item in chart.ci.items if item in {b.plot for b in chart.blocks.values()}]
    assert plots == [chart.blocks[ONE_BY_ONE].plot]
    chart.redraw(_state(2), T0 + 10 * MS)
    plots = [item for item in chart.ci.items if item in {b.plot for b in chart.blocks.values()}]
    assert len(plots) == 2
