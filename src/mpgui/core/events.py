"""The event protocol: what workers, the conductor and telemetry report.

Every event is a plain tuple whose first item is a kind tag (a short str) and whose second is a
``time.perf_counter_ns()`` timestamp. ``perf_counter_ns`` is CLOCK_MONOTONIC on Linux (one
system-wide clock), so timestamps taken in different processes line up on one timeline.

Tuples rather than dataclasses because millions of them cross process boundaries: a tuple of
ints and short strs pickles small and unpickles without calling any constructor.

Events travel in *batches* (lists); one ``Queue.put`` carries one batch.

Layouts (``t`` is the perf_counter_ns timestamp)::

    ("hello",  t, pid, cpu, role, label)      a process joined; role is "worker" or "main"
    ("start",  t, pid, task)                  pid started task number `task`
    ("end",    t, pid, task, cpu)             pid finished it, last seen on core `cpu`
    ("metric", t, pid, name, value)           a scenario value sampled live (e.g. a counter)
    ("log",    t, pid, level, message)        a log line; level is a logging level name
    ("phase",  t, name)                       the scenario entered a phase ("serial", ...)
    ("plan",   t, info)                       what the current phase will do: {"tasks": n, ...}
    ("cpu",    t, loads)                      per-core CPU %, a tuple of floats (telemetry)
    ("where",  t, pid, cpu)                   pid was seen on core `cpu` (telemetry)
    ("exit",   t, pid, exitcode, bad)           a process the conductor started has ended;
                                              exitcode < 0 is the signal that killed it; `bad`
                                              is the child watch's verdict (it failed the run)
    ("result", t, metrics)                    the scenario's final metrics, a dict
    ("error",  t, type, message, traceback, info)
                                              the run failed; the (remote) traceback as text,
                                              `info` a dict: for a dead worker its pid,
                                              exitcode, signal and the task it ran
    ("done",   t, status)                     the conductor is finished: "ok", "error", "stopped"
"""

from __future__ import annotations

import time
from typing import Any

HELLO = "hello"
START = "start"
END = "end"
METRIC = "metric"
LOG = "log"
PHASE = "phase"
PLAN = "plan"
CPU = "cpu"
WHERE = "where"
EXIT = "exit"
RESULT = "result"
ERROR = "error"
DONE = "done"

#: Field names per kind, in tuple order after the kind tag. Used for JSON export and docs.
FIELDS: dict[str, tuple[str, ...]] = {
    HELLO: ("t", "pid", "cpu", "role", "label"),
    START: ("t", "pid", "task"),
    END: ("t", "pid", "task", "cpu"),
    METRIC: ("t", "pid", "name", "value"),
    LOG: ("t", "pid", "level", "message"),
    PHASE: ("t", "name"),
    PLAN: ("t", "info"),
    CPU: ("t", "loads"),
    WHERE: ("t", "pid", "cpu"),
    EXIT: ("t", "pid", "exitcode", "bad"),
    RESULT: ("t", "metrics"),
    ERROR: ("t", "type", "message", "traceback", "info"),
    DONE: ("t", "status"),
}

#: Status values carried by a DONE event.
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_STOPPED = "stopped"

Event = tuple


def now_ns() -> int:
    """The protocol's clock: ``time.perf_counter_ns()``."""
    return time.perf_counter_ns()


def to_dict(event: Event) -> dict[str, Any]:
    """Turn an event tuple into a JSON-ready dict ``{"kind": ..., <field>: ...}``."""
    kind = event[0]
    names = FIELDS.get(kind)
    if names is None:
        raise ValueError(f"unknown event kind {kind!r}")
    out: dict[str, Any] = {"kind": kind}
    for name, value in zip(names, event[1:], strict=True):
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def error_event(exc: BaseException, info: dict[str, Any] | None = None) -> Event:
    """An ERROR event carrying `exc` as data: type name, message, formatted traceback, `info`."""
    import traceback

    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return (ERROR, now_ns(), type(exc).__name__, str(exc), tb, dict(info or {}))


def signal_name(signum: int) -> str:
    """``SIGSEGV`` for 11, or ``signal 99`` for a number this platform does not name."""
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def how_it_ended(exitcode: int) -> str:
    """A process's end in words: ``was killed by SIGSEGV`` or ``exited with code 3``."""
    if exitcode < 0:
        return f"was killed by {signal_name(-exitcode)}"
    return f"exited with code {exitcode}"


def exit_info(pid: int, exitcode: int) -> dict[str, Any]:
    """The ``info`` of an ERROR about a process that ended: pid, exit code, signal name."""
    name = signal_name(-exitcode) if exitcode < 0 else None
    return {"pid": pid, "exitcode": exitcode, "signal": name}
