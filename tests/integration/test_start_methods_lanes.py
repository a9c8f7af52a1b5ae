"""start-methods shows the children it starts: a lane per start method on the Workers and
Timeline panels, each child a task on it from ``start()`` to ``join()`` — reported after it was
measured, so the figures are the start method's alone. Real runs, every start method."""

from __future__ import annotations

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.start_methods.model import CHILDREN, METHODS, START_MS, method_lane

PROCESSES = 3


def _run(methods: list[str]) -> tuple[dict, RunState]:
    states: list[RunState] = []

    def keep(state: RunState, _events: list[tuple]) -> None:
        if not states:
            states.append(state)

    params = {"processes": PROCESSES, "methods": ",".join(methods)}
    spec = scenarios.make_spec("start-methods", params, "spawn")
    result = runner.run(spec, on_events=keep, timeout=120.0)
    assert states
    return result, states[0]


def _spans_of(state: RunState, lane_index: int) -> list[tuple[int, int, int, int]]:
    """(task, start, end, cpu) of every span on lane `lane_index`."""
    return [
        (state.span_task[i], state.span_t0[i], state.span_t1[i], state.span_cpu[i])
        for i in range(len(state.span_lane))
        if state.span_lane[i] == lane_index
    ]


@pytest.mark.parametrize("method", available_start_methods())
def test_each_started_child_is_a_task_on_its_methods_lane(method):
    result, state = _run([method])
    assert result["ok"] is True, result["error"]
    lanes = [lane for lane in state.lanes if lane.role == CHILDREN]
    assert [(lane.pid, lane.label) for lane in lanes] == [(method_lane(method), method)]
    lane = lanes[0]
    assert lane.tasks_done == PROCESSES
    # Nothing lands on the conductor's own lane any more.
    (main,) = [lane for lane in state.lanes if lane.role == "main"]
    assert main.tasks_done == 0
    spans = _spans_of(state, lane.index)
    assert sorted(task for task, *_ in spans) == list(range(PROCESSES))
    assert all(cpu >= 0 for *_, cpu in spans)  # the core the child ran on
    # A child's lifetime holds its start latency: start() → first line → join().
    starts_ms = result["metrics"][METHODS][method][START_MS]
    for (_task, t0, t1, _cpu), start_ms in zip(sorted(spans), starts_ms, strict=True):
        assert (t1 - t0) / 1e6 >= start_ms > 0
    # One after another: no two children alive at once.
    ordered = sorted(spans, key=lambda s: s[1])
    assert all(a[2] <= b[1] for a, b in zip(ordered, ordered[1:], strict=False))
    # The headless result's workers are still pool workers only: there are none here.
    assert result["workers"] == []


def test_every_method_measured_has_a_lane_of_its_own():
    methods = available_start_methods()
    result, state = _run(methods)
    assert result["ok"] is True, result["error"]
    children = [lane for lane in state.lanes if lane.role == CHILDREN]
    assert [lane.label for lane in children] == methods
    assert [lane.tasks_done for lane in children] == [PROCESSES] * len(methods)
    # The log says nothing about a "process -1": a lane of children is no process.
    assert not any("process -" in message for *_, message in state.logs)
