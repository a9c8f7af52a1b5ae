"""The pool-map chart, fed synthetic run states: a slowdown says so, the ideal is
min(workers, cores), Amdahl's ceiling, and a warning when the cores were busy before Run."""

from __future__ import annotations

import numpy as np
import pytest

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.pool_map.chart import PoolMapChart, amdahl, busy_before, ideal
from mpgui.scenarios.pool_map.model import (
    CORES,
    PARALLEL,
    PARALLEL_S,
    SERIAL,
    SERIAL_FRACTION,
    SERIAL_S,
    SPEEDUP,
    serial_fraction,
)
from mpgui.ui import theme
from mpgui.ui.panels.scenario_chart import speedup_text

T0 = 10**12
MS = 1_000_000


def _run(workers: int, speedup: float, cores: int = 2, fraction: float = 0.05, loads=None):
    """A finished run's state and result; `loads`: the CPU samples of its serial phase."""
    state = RunState(RunSpec("pool-map", {"workers": workers}, "fork"), t0_ns=T0)
    events = [(ev.PHASE, T0 + MS, SERIAL)]
    for i, sample in enumerate(loads or []):
        events.append((ev.CPU, T0 + (2 + i) * MS, tuple(sample)))
    metrics = {SERIAL_S: 1.0, PARALLEL_S: 1.0 / speedup, SPEEDUP: speedup}
    metrics |= {CORES: cores, SERIAL_FRACTION: fraction}
    events += [
        (ev.PHASE, T0 + 100 * MS, PARALLEL),
        (ev.RESULT, T0 + 200 * MS, metrics),
        (ev.DONE, T0 + 201 * MS, ev.STATUS_OK),
    ]
    state.apply(events)
    return state, state.result()


@pytest.fixture
def chart(qtbot) -> PoolMapChart:
    chart = PoolMapChart(session={})
    qtbot.addWidget(chart)
    return chart


def _finish(chart: PoolMapChart, state: RunState, result: dict) -> None:
    chart.redraw(state, T0 + 300 * MS)
    chart.run_finished(result)


def test_a_slowdown_is_coloured_and_worded_as_one(chart):
    assert speedup_text(0.8) == "0.80× — slower than serial"
    assert speedup_text(1.6) == "1.60×"
    _finish(chart, *_run(2, 0.8))
    assert "slower than serial" in chart.speed_label.textItem.toPlainText()
    assert theme.current().bad in " ".join(chart.readout({SPEEDUP: 0.8}))
    assert chart.current.opts["symbol"] == "t"  # a triangle pointing down: the shape says it
    _finish(chart, *_run(2, 1.7))
    assert chart.speed_label.textItem.toPlainText().strip() == "1.70×"
    assert theme.current().good in " ".join(chart.readout({SPEEDUP: 1.7}))


def test_the_ideal_line_is_min_of_workers_and_cores(chart):
    assert list(ideal(np.array([1, 2, 4, 8]), 4)) == [1, 2, 4, 4]
    _finish(chart, *_run(8, 1.9, cores=2))
    xs, ys = chart.ideal.getData()
    assert ys.max() == 2.0 and xs.max() == 8  # flat past the two cores
    assert "ideal: min(workers, cores)" in chart.key.textItem.toPlainText()


def test_amdahls_ceiling_is_drawn_for_the_measured_serial_fraction(chart):
    assert serial_fraction(1.0, 9.0) == pytest.approx(0.1)
    assert serial_fraction(0.0, 0.0) == 0.0
    got = amdahl(np.array([1, 2, 4, 8]), 8, 0.1)
    assert got == pytest.approx([1.0, 1 / (0.1 + 0.45), 1 / (0.1 + 0.225), 1 / (0.1 + 0.1125)])
    assert amdahl(np.array([8]), 2, 0.1) == pytest.approx(amdahl(np.array([2]), 2, 0.1))
    _finish(chart, *_run(4, 2.5, cores=4, fraction=0.1))
    xs, ys = chart.ceiling.getData()
    assert chart.ceiling.isVisible()
    assert np.interp(4, xs, ys) == pytest.approx(1 / (0.1 + 0.225), rel=1e-3)
    assert "Amdahl ceiling (serial 10.0 %)" in chart.key.textItem.toPlainText()


@pytest.mark.parametrize(
    ("loads", "busy"),
    [
        ([(100.0, 3.0, 5.0, 2.0)] * 3, False),  # only the run's own core: fine
        ([(100.0, 60.0, 5.0, 2.0)] * 3, True),  # another program on one core
        ([(100.0, 30.0, 35.0, 30.0)] * 3, True),  # everyone a little busy
        ([], False),  # no sample from before the pool: nothing to say
    ],
)
def test_a_warning_when_the_cores_were_busy_before_run(chart, loads, busy):
    _finish(chart, *_run(2, 1.2, loads=loads))
    assert bool(chart.warning_text()) is busy
    assert any("busy before Run" in part for part in chart.readout({SPEEDUP: 1.2})) is busy


def test_busy_before_leaves_out_the_runs_own_core():
    state, _ = _run(2, 1.2, loads=[(100.0, 10.0, 30.0)])
    mean, peak = busy_before(state, T0 + 100 * MS)
    assert (mean, peak) == (pytest.approx(20.0), 30.0)
    assert busy_before(state, None) is None


def test_the_sessions_runs_survive_a_rebuild_and_count_once(qtbot):
    session: dict = {}
    first = PoolMapChart(session=session)
    qtbot.addWidget(first)
    state, result = _run(2, 1.8)
    _finish(first, state, result)
    again = PoolMapChart(session=session)  # the window rebuilds it after a theme change
    qtbot.addWidget(again)
    _finish(again, state, result)  # ... and tells it the run finished, again
    assert [run["speedup"] for run in again.runs] == [1.8]


def test_the_warning_wraps_to_the_chart_and_leaves_the_plots_in_view(qtbot):
    chart = PoolMapChart(session={})
    qtbot.addWidget(chart)
    chart.resize(330, 300)
    chart.show()
    qtbot.waitExposed(chart)
    _finish(chart, *_run(2, 1.2, loads=[(100.0, 90.0)] * 3))
    assert chart.warning_text()
    qtbot.waitUntil(lambda: chart.speed.geometry().right() <= chart.viewport().width())
    assert chart.warning.geometry().right() <= chart.viewport().width()
