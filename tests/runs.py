"""Running a scenario headless in a test: its result with the state the host folded, or a
run stopped the first time a condition holds (the tests of Stop, scenario by scenario)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.host.handle import Conductor
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.run_spec import RunSpec

#: A stopped run that has not drained this long (s) after it started fails its test here,
#: not at pytest's timeout.
DRAIN_BOUND_S = 60.0


def run_with_state(
    scenario: str, params: dict, method: str, timeout: float | None = None
) -> tuple[dict, RunState]:
    """Run `scenario` headless to its end; return its result and the RunState the host
    folded (its log, series and lanes, which the result does not carry)."""
    states: list[RunState] = []

    def keep(state: RunState, _events: list[tuple]) -> None:
        if not states:
            states.append(state)

    spec = scenarios.make_spec(scenario, params, method)
    result = runner.run(spec, on_events=keep, timeout=timeout)
    return result, states[0]


@dataclass
class StoppedRun:
    """How a run stopped by :func:`stop_when` ended: `stopped_at` is when Stop was pressed
    (``time.monotonic()``; None if the condition never held), `drained_at` when the run had
    drained, `exitcode` the conductor's (0: it wound down by itself, no SIGTERM needed)."""

    state: RunState
    exitcode: int | None
    stopped_at: float | None
    drained_at: float

    @property
    def stop_took_s(self) -> float:
        """Seconds from Stop to the run's end."""
        assert self.stopped_at is not None, "Stop was never pressed"
        return self.drained_at - self.stopped_at


def stop_when(spec: RunSpec, condition: Callable[[RunState], bool]) -> StoppedRun:
    """Run `spec`, press Stop the first time ``condition(state)`` holds, and wait for the
    run to drain (failing after :data:`DRAIN_BOUND_S`); every process of the run is ended
    whatever happens."""
    conductor = Conductor(spec, telemetry=False)
    state = RunState(spec)
    conductor.start()
    stopped_at = None
    deadline = time.monotonic() + DRAIN_BOUND_S
    try:
        while not conductor.drained():
            assert time.monotonic() < deadline, f"{spec.scenario} never ended"
            state.apply(conductor.collect(0.05))
            if stopped_at is None and condition(state):
                stopped_at = time.monotonic()
                conductor.request_stop()
        drained_at = time.monotonic()
    finally:
        conductor.end_group()
        conductor.close()
    return StoppedRun(state, conductor.exitcode, stopped_at, drained_at)
