"""The chart base: a chart draws again only when something it declares it reads changed."""

from __future__ import annotations

import pytest

from mpgui.core.model.run_state import MAX_METRIC_SAMPLES, RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.ui.panels.scenario_chart import (
    Reads,
    ScenarioChart,
    bold,
    caption,
    headline,
    lines,
    note,
    paragraphs,
)

T0 = 10**12
MS = 1_000_000
PID = 100


class Counting(ScenarioChart):
    """A chart that reads series "a", phases and metrics, and counts its draws."""

    READS = Reads(series=("a",), phases=("one",), metrics=("m",))

    def __init__(self) -> None:
        super().__init__()
        self.draws = 0

    def draw(self, state: RunState, now_ns: int) -> None:
        self.draws += 1


def _state() -> RunState:
    state = RunState(RunSpec("pool-map", {}, "fork"), t0_ns=T0)
    state.apply([(ev.HELLO, T0, PID, 0, "worker", "")])
    return state


def _metric(name: str, t_ms: int, value: float = 1.0) -> tuple:
    return (ev.METRIC, T0 + t_ms * MS, PID, name, value)


@pytest.fixture
def chart(qtbot) -> Counting:
    chart = Counting()
    qtbot.addWidget(chart)
    return chart


def test_a_chart_draws_only_when_what_it_reads_changed(chart):
    state = _state()
    chart.redraw(state, T0)
    chart.redraw(state, T0 + MS)
    assert chart.draws == 1  # the first frame of a run, then nothing new
    for unread in (
        _metric("b", 1),
        (ev.CPU, T0 + 2 * MS, (50.0, 50.0)),
        (ev.START, T0 + 3 * MS, PID, 0),
        (ev.PHASE, T0 + 4 * MS, "one"),
    ):
        state.apply([unread])
        chart.redraw(state, T0 + 5 * MS)
    assert chart.draws == 2  # only the phase: the chart reads no other series, no tasks
    for read in (_metric("a", 6), (ev.RESULT, T0 + 7 * MS, {"m": 1}), (ev.DONE, T0 + 8, "ok")):
        state.apply([read])
        chart.redraw(state, T0 + 9 * MS)
        chart.redraw(state, T0 + 10 * MS)
    assert chart.draws == 5


def test_a_new_run_or_a_reset_draws_again(chart):
    state = _state()
    chart.redraw(state, T0)
    chart.reset()
    chart.redraw(state, T0)
    chart.redraw(_state(), T0)
    assert chart.draws == 3


def test_a_full_series_still_counts_as_new_with_each_sample(chart):
    state = _state()
    state.apply([_metric("a", t) for t in range(MAX_METRIC_SAMPLES)])
    chart.redraw(state, T0)
    state.apply([_metric("a", MAX_METRIC_SAMPLES)])  # the length stays at the bound
    chart.redraw(state, T0)
    assert chart.draws == 2


def test_a_chart_of_time_passing_draws_on_the_clock_until_the_run_ends(qtbot):
    class Clock(Counting):
        READS = Reads(clock_s=0.1)

    chart = Clock()
    qtbot.addWidget(chart)
    state = _state()
    for now_ms in (0, 50, 99, 100, 150, 200):
        chart.redraw(state, T0 + now_ms * MS)
    assert chart.draws == 3  # 0, 100 and 200 ms
    state.apply([(ev.DONE, T0 + 250 * MS, "ok")])
    for now_ms in (300, 400, 500):
        chart.redraw(state, T0 + now_ms * MS)
    assert chart.draws == 4  # the end, then nothing: a finished run stands still


def test_a_chart_that_reads_tasks_draws_on_any_batch(qtbot):
    class Tasks(Counting):
        READS = Reads(tasks=True)

    chart = Tasks()
    qtbot.addWidget(chart)
    state = _state()
    chart.redraw(state, T0)
    state.apply([(ev.START, T0 + MS, PID, 0)])
    chart.redraw(state, T0 + MS)
    chart.redraw(state, T0 + MS)
    assert chart.draws == 2


def test_the_readout_helpers_write_the_charts_html():
    assert bold("3") == "<b>3</b>"
    assert bold("exact", "#0f0") == "<b style='color:#0f0'>exact</b>"
    big = "<span style='white-space:nowrap; font-size:30pt; font-weight:bold; color:#f00'>7</span>"
    assert headline("7", "#f00") == big
    assert caption("lost", "#f00") == "<span style='font-size:13pt; color:#f00'>lost</span>"
    assert note(lines("a", "b")).endswith(">a<br>b</span>")
    assert paragraphs("a", "b") == "a<br><br>b"
