"""The readout says how a run goes from its state alone; the chart adds a finished run's figures."""

from __future__ import annotations

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.ui import theme
from mpgui.ui.readout import readout_text

T0 = 10**12
S = 1_000_000_000
MAIN = 100


def _state() -> RunState:
    state = RunState(RunSpec("pool-map", {"workers": 2}, "fork"), t0_ns=T0)
    state.apply([(ev.HELLO, T0, MAIN, 0, "main", "main")])
    return state


def _no_chart(metrics):
    raise AssertionError("the chart is asked only for a finished run's figures")


def test_a_running_run_says_its_phase_progress_and_rate():
    state = _state()
    assert readout_text(state, T0 + S // 2, _no_chart) == "<b>Running</b> · 0.5 s"
    state.apply([(ev.PHASE, T0 + S, "parallel"), (ev.PLAN, T0 + S, {"tasks": 40})])
    state.apply([(ev.START, T0 + S, MAIN, i) for i in range(10)])
    state.apply([(ev.END, T0 + S + S // 4, MAIN, i, 0) for i in range(10)])
    assert readout_text(state, T0 + 3 * S, _no_chart) == (
        "<b>Running</b> · 3.0 s · phase <b>parallel</b> · 10 / 40 tasks · 5.0 tasks/s"
    )


def test_a_failed_run_says_why_in_the_bad_colour_escaped():
    state = _state()
    state.apply([(ev.ERROR, T0 + S, "ValueError", "x < 0 & y > 1", "Traceback …", {})])
    state.apply([(ev.DONE, T0 + 2 * S, ev.STATUS_ERROR)])
    assert readout_text(state, T0 + 5 * S, _no_chart) == (
        f"<span style='color:{theme.BAD}'><b>ValueError</b>: x &lt; 0 &amp; y &gt; 1</span> · 2.0 s"
    )


def test_a_finished_run_ends_with_the_charts_figures():
    state = _state()
    state.apply([(ev.RESULT, T0 + S, {"speedup": 1.9})])
    state.apply([(ev.DONE, T0 + 1_250_000_000, ev.STATUS_OK)])
    asked = []

    def chart_readout(metrics):
        asked.append(metrics)
        return ["speedup <b>1.90×</b>", "2 workers"]

    assert readout_text(state, T0 + 9 * S, chart_readout) == (
        "<b>Done</b> in 1.25 s · speedup <b>1.90×</b> · 2 workers"
    )
    assert asked == [{"speedup": 1.9}]
