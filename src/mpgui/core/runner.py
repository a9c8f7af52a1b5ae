"""The headless runner: one scenario run, start to finish, without a window.

``mpgui run`` and the core tests call :func:`run`; the GUI's drain thread does the same steps
with :class:`~mpgui.core.launch.Conductor`, spread over a thread and signals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import events as ev
from .conductor import RunSpec, available_start_methods, default_start_method
from .launch import STOP_GRACE_S, Conductor, RunStartError
from .params import ParamError, resolve
from .run_state import RunState
from .scenarios import get as get_scenario


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
    reports it as failed. Ctrl+C stops the run, ends every process, and re-raises. A run that
    cannot even start (no room for its semaphores, a process limit) is a failed result that
    says why, like any other failure.
    """
    state = RunState(spec)
    try:
        conductor = Conductor(spec)
    except RunStartError as exc:
        state.fail_to_start(str(exc))
        return state.result()
    deadline = None if timeout is None else state.t0_ns + int(timeout * 1e9)
    try:
        conductor.start()
        while not conductor.drained():
            events = conductor.collect(0.05)
            if events:
                state.apply(events)
                if on_events is not None:
                    on_events(state, events)
            if deadline is not None and ev.now_ns() > deadline:
                deadline = None
                state.fail("Timeout", f"the run took longer than {timeout:g} s")
                conductor.request_stop()
    except RunStartError as exc:
        state.fail("StartFailed", str(exc))
    except KeyboardInterrupt:
        state.fail("Stopped", "interrupted", ev.STATUS_STOPPED)
        conductor.request_stop()
        conductor.end_group(term_wait=STOP_GRACE_S)
        raise
    finally:
        conductor.end_group()  # a no-op unless something outlived the run
        conductor.close()
    state.finish(conductor.exitcode)
    return state.result()
