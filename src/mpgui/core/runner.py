"""The headless runner: one scenario run, start to finish, without a window.

``mpgui run`` and the core tests call :func:`run`; the GUI's drain thread does the same steps
with :class:`~mpgui.core.launch.Conductor`, spread over a thread and signals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import events as ev
from .conductor import RunSpec, available_start_methods, default_start_method
from .launch import Conductor
from .params import ParamError, resolve
from .run_state import RunState
from .scenarios import get as get_scenario

#: How long the scenario gets to wind down after a stop request before the group is ended.
STOP_GRACE_S = 1.0


def make_spec(
    scenario_id: str, given: Mapping[str, Any] | None = None, start_method: str | None = None
) -> RunSpec:
    """Validate a scenario id, parameters (typed or text) and start method into a RunSpec.

    Raises :class:`ParamError` with a one-line reason for anything invalid.
    """
    scenario = get_scenario(scenario_id)
    params = resolve(scenario.params, given or {})
    method = start_method or default_start_method()
    offered = available_start_methods()
    if method not in offered:
        raise ParamError(
            f"unknown start method {method!r} (this platform offers: {', '.join(offered)})"
        )
    return RunSpec(scenario.id, params, method)


def run(
    spec: RunSpec,
    on_events: Callable[[RunState, list[tuple]], None] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run `spec` to completion in a conductor process and return the result dict.

    `on_events` is called after each batch is folded in. `timeout` (s) stops the run and
    reports it as failed. Ctrl+C stops the run, ends every process, and re-raises.
    """
    state = RunState(spec)
    conductor = Conductor(spec)
    stop_at: int | None = None
    deadline = None if timeout is None else state.t0_ns + int(timeout * 1e9)
    try:
        conductor.start()
        while not conductor.drained():
            events = conductor.collect(0.05)
            if events:
                state.apply(events)
                if on_events is not None:
                    on_events(state, events)
            now = ev.now_ns()
            if deadline is not None and now > deadline and stop_at is None:
                state.fail("Timeout", f"the run took longer than {timeout:g} s")
                conductor.request_stop()
                stop_at = now
            if stop_at is not None and now - stop_at > STOP_GRACE_S * 1e9:
                conductor.end_group()
    except KeyboardInterrupt:
        state.fail("Stopped", "interrupted", ev.STATUS_STOPPED)
        conductor.request_stop()
        conductor.end_group(term_wait=STOP_GRACE_S)
        raise
    finally:
        # Whatever the conductor left behind (orphaned workers after a crash) goes too.
        conductor.end_group()
        conductor.close()
    if state.status is None and conductor.exitcode not in (None, 0):
        state.fail("ConductorDied", f"the conductor exited with code {conductor.exitcode}")
    state.finish(state.t_end_ns)
    return state.result()
