"""The headless runner: one scenario run, start to finish, without a window.

``mpgui run`` and the core tests call :func:`run`; the GUI's drain thread does the same steps
with :class:`~mpgui.core.host.handle.Conductor`, spread over a thread and signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mpgui.core import timing
from mpgui.core.host.handle import Conductor, RunStartError
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec


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
        conductor.end_group(term_wait=timing.STOP_GRACE_S)
        raise
    finally:
        conductor.end_group()  # a no-op unless something outlived the run
        conductor.close()
    state.finish(conductor.exitcode)
    return state.result()
