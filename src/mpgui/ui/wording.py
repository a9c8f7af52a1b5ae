"""What a run's outcome says in words: the lines the window, the CLI and screenshots show.

Display text lives here, in ui, not in the model: :class:`~mpgui.core.model.run_state.RunState`
keeps an error as data (type, message, pid, exit code, task), and these turn it into a line.
This module imports no Qt, so the headless ``mpgui run`` can use it without loading the
window (``mpgui.ui`` imports its Qt modules lazily for the same reason).
"""

from __future__ import annotations

from typing import Any

from mpgui.core.protocol import events as ev


def describe_error(error: dict[str, Any]) -> str:
    """One line saying what went wrong: type, message, and the dead worker behind it."""
    kind, message = error.get("type", "Failed"), error.get("message", "")
    line = f"{kind}: {message}" if message else kind  # a Stop has no message: no dangling ": "
    code = error.get("exitcode")
    if code is not None and error.get("type") != "WorkerFailed":  # that one's message says it
        who = ev.who(error.get("pid", 0), error.get("process", ""))
        line += f" ({who} {ev.how_it_ended(code)})"
    if error.get("task") is not None:
        line += f" · task {error['task']}"
    return line


def failure_line(result: dict[str, Any]) -> str:
    """The one line a failed run's result says on stderr: ``mpgui: the run failed: …``.

    Only the first line of :func:`describe_error`: the traceback is in the result itself.
    """
    reason = describe_error(result["error"] or {"type": result["status"]}).splitlines()[0]
    return f"mpgui: the run failed: {reason}"
