"""The readout: the one line above the panels that says how the run is going, or how it went.

Running: elapsed time, the phase, tasks done of planned, the phase's rate. Failed: the error
in the theme's "bad" colour. Done: the wall time, then the headline figures the scenario's
chart contributes (its ``readout(metrics)``). Rich text, since parts are set in bold.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from mpgui.core.model.run_state import RunState
from mpgui.ui import theme
from mpgui.ui.wording import describe_error

#: What the readout says before a scenario's first run.
IDLE_TEXT = "Press Run to start."

#: A chart's readout: a finished run's metrics → its headline figures, as HTML snippets.
ChartReadout = Callable[[dict[str, Any]], Sequence[str]]


def readout_text(state: RunState, now_ns: int, chart_readout: ChartReadout) -> str:
    """The readout for `state` at `now_ns` (the protocol's clock), as rich text.

    `chart_readout` is asked only once the run has succeeded, for its headline figures.
    """
    if not state.finished:
        return _running(state, now_ns)
    if not state.ok:
        return _failed(state, now_ns)
    return _done(state, now_ns, chart_readout)


def _running(state: RunState, now_ns: int) -> str:
    parts = [f"<b>Running</b> · {state.elapsed_s(now_ns):.1f} s"]
    phase = state.current_phase()
    if phase:
        parts.append(f"phase <b>{html.escape(phase)}</b>")  # the run's text, not markup
    total = state.plan.get("tasks")
    if total:
        parts.append(f"{state.phase_done} / {total} tasks")
    if state.phases and state.phase_done:
        phase_s = (now_ns - state.phases[-1][0]) / 1e9
        parts.append(f"{state.phase_done / max(phase_s, 1e-9):.1f} tasks/s")
    return " · ".join(parts)


def _failed(state: RunState, now_ns: int) -> str:
    # The error's type in bold, its message after it; both are the run's text, not markup.
    kind, _, rest = describe_error(state.error or {}).partition(": ")
    return (
        f"<span style='color:{theme.BAD}'><b>{html.escape(kind)}</b>: "
        f"{html.escape(rest)}</span> · {state.elapsed_s(now_ns):.1f} s"
    )


def _done(state: RunState, now_ns: int, chart_readout: ChartReadout) -> str:
    done = f"<b>Done</b> in {state.elapsed_s(now_ns):.2f} s"
    return " · ".join([done, *chart_readout(state.metrics)])
