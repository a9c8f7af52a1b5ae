"""The event protocol: what workers, the conductor and telemetry report.

Every event is a plain tuple whose first item is a kind tag (a short str) and whose second is a
``time.perf_counter_ns()`` timestamp. ``perf_counter_ns`` is CLOCK_MONOTONIC on Linux (one
system-wide clock), so timestamps taken in different processes line up on one timeline.

Tuples rather than dataclasses because millions of them cross process boundaries: a tuple of
ints and short strs pickles small and unpickles without calling any constructor.

Events travel in *batches* (lists); one message on a pipe (the run's event channel, or the
conductor's control pipe) carries one batch, in the order its events happened.

Layouts (``t`` is the perf_counter_ns timestamp)::

    ("hello",  t, pid, cpu, role, label)      a process joined; role is "worker", "main", or
                                              "server" (serves the workers: a page server)
    ("thread", t, tid, pid, cpu, label)       a thread lane joined: thread `tid` of process
                                              `pid` (a ThreadPool's worker thread); the
                                              lane's later events carry `tid` where a
                                              process's carry its pid
    ("start",  t, pid, task)                  pid started task number `task`
    ("end",    t, pid, task, cpu)             pid finished it, last seen on core `cpu`
    ("spans",  t, pid, data)                  pid finished tasks, packed (see below); `t` is
                                              the first one's start
    ("metric", t, pid, name, value)           a scenario value sampled live (e.g. a counter)
    ("log",    t, pid, level, message)        a log line; level is a logging level name
    ("phase",  t, name)                       the scenario entered a phase ("serial", ...)
    ("plan",   t, info)                       what the current phase will do: {"tasks": n, ...}
    ("cpu",    t, loads)                      per-core CPU %, a tuple of floats (telemetry)
    ("where",  t, pid, cpu)                   pid was seen on core `cpu` (telemetry)
    ("exit",   t, pid, exitcode, bad, name)     a process the conductor started has ended;
                                              exitcode < 0 is the signal that killed it; `bad`
                                              is the child watch's verdict (it failed the run);
                                              `name` its multiprocessing name
                                              ("SpawnPoolWorker-2", "SyncManager-1")
    ("result", t, metrics)                    the scenario's final metrics, a dict
    ("error",  t, type, message, traceback, info)
                                              the run failed; the (remote) traceback as text,
                                              `info` a dict: for a dead worker its pid,
                                              exitcode, signal and the task it ran
    ("done",   t, status)                     the conductor is finished: "ok", "error", "stopped"

A lane is a process or one thread of a process. Every event after a lane's HELLO or THREAD
names the lane in its ``pid`` field: a process's pid, or a thread lane's ``tid`` — its native
thread id (``threading.get_native_id()``). On Linux, thread ids and process ids are one number
space (a process's pid is its main thread's id), so a tid never names another live process;
a thread lane is never a main thread, so it never shares its process's lane. The host
samples and signals only the pids of HELLOs: a tid is not a process to end.

Finished tasks are what a busy worker reports most — a START and an END per task, up to
hundreds of thousands a second — so the probe packs them: one SPANS event carries any number
of finished tasks as ``bytes``: ``n`` native int64 per column, column after column, in the
order of :data:`SPAN_FIELDS` (task numbers, starts, ends, cores). A span *is* the START and
the END of its task (it counts as two events, see :func:`count`); the START also goes on its
own, before its span, while the task is still running when a batch goes out (a long task, or
a worker stuck in one), so the window can show it running. Packed, a task pickles as 32 bytes
(no per-object work on either side) instead of two tuples, and the host folds a block by
copying columns instead of running Python code per event. :func:`span_columns` unpacks one;
:func:`expand` turns a batch back into plain START and END tuples.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterable
from typing import Any

HELLO = "hello"
THREAD = "thread"
START = "start"
END = "end"
SPANS = "spans"
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
    THREAD: ("t", "tid", "pid", "cpu", "label"),
    START: ("t", "pid", "task"),
    END: ("t", "pid", "task", "cpu"),
    SPANS: ("t", "pid", "spans"),
    METRIC: ("t", "pid", "name", "value"),
    LOG: ("t", "pid", "level", "message"),
    PHASE: ("t", "name"),
    PLAN: ("t", "info"),
    CPU: ("t", "loads"),
    WHERE: ("t", "pid", "cpu"),
    EXIT: ("t", "pid", "exitcode", "bad", "name"),
    RESULT: ("t", "metrics"),
    ERROR: ("t", "type", "message", "traceback", "info"),
    DONE: ("t", "status"),
}

#: The level of a LOG event that carries a line a run's process printed: what the host read
#: from the run's stdout and stderr (pid 0: the pipe does not say who wrote it), or a
#: scenario's own output that it read itself (lock-print: under the conductor's pid).
OUTPUT_LEVEL = "OUTPUT"

#: Status values carried by a DONE event.
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_STOPPED = "stopped"

#: The columns of a SPANS event's data, in order: one int64 per finished task in each.
SPAN_FIELDS = ("task", "start", "end", "cpu")
#: The array typecode of packed spans (int64, native byte order: both ends are one machine).
SPAN_TYPECODE = "q"
#: The size of one int64 in packed spans, in bytes.
SPAN_ITEM = array(SPAN_TYPECODE).itemsize

Event = tuple


def now_ns() -> int:
    """The protocol's clock: ``time.perf_counter_ns()``."""
    return time.perf_counter_ns()


def spans_event(pid: int, records: array) -> Event:
    """A SPANS event for `pid` from `records`, an int64 array of task, start, end, cpu, ….

    The probe appends one task's four values at a time (one call per task); the event carries
    them column by column, so the host copies each column whole.
    """
    data = b"".join(records[i::4].tobytes() for i in range(4))
    return (SPANS, records[1], pid, data)


def one_span(task: int, start: int, end: int, cpu: int) -> bytes:
    """The data of a SPANS event carrying one task (a START and its END)."""
    # One task is one row: each column holds one int, so columns in order are its fields.
    return array(SPAN_TYPECODE, (task, start, end, cpu)).tobytes()


def span_count(event: Event) -> int:
    """How many tasks a SPANS event carries."""
    _, _, _, data = event
    return len(data) // (4 * SPAN_ITEM)


def span_blocks(data: bytes) -> tuple[memoryview, memoryview, memoryview, memoryview]:
    """A SPANS event's data cut into its columns as raw bytes, not copied: task numbers,
    starts, ends, cores (the order of :data:`SPAN_FIELDS`)."""
    view = memoryview(data)
    width = len(view) // 4
    return view[:width], view[width : 2 * width], view[2 * width : 3 * width], view[3 * width :]


def span_bytes(event: Event, field: str) -> memoryview:
    """One column of a SPANS event (a :data:`SPAN_FIELDS` name) as raw bytes, not copied."""
    _, _, _, data = event
    return span_blocks(data)[SPAN_FIELDS.index(field)]


def span_column(event: Event, field: str) -> memoryview:
    """One column of a SPANS event (a :data:`SPAN_FIELDS` name) as int64s, not copied."""
    return span_bytes(event, field).cast(SPAN_TYPECODE)


def span_columns(event: Event) -> tuple[array, array, array, array]:
    """A SPANS event's columns as int64 arrays: task numbers, starts, ends, cores."""
    columns = []
    for field in SPAN_FIELDS:
        column = array(SPAN_TYPECODE)
        column.frombytes(span_bytes(event, field))
        columns.append(column)
    return tuple(columns)  # type: ignore[return-value]


def span_ends(event: Event) -> memoryview:
    """When each task of a SPANS event ended (its END timestamps), in order."""
    return span_column(event, "end")


def count(events: Iterable[Event]) -> int:
    """How many protocol events `events` carries: a span is two, its START and its END."""
    return sum(2 * span_count(e) if e[0] == SPANS else 1 for e in events)


def expand(events: Iterable[Event]) -> list[Event]:
    """`events` with every SPANS event unpacked into a START and an END per task.

    For consumers that want one tuple per event (tests, exports); slow for floods.
    """
    out: list[Event] = []
    for event in events:
        if event[0] != SPANS:  # the kind tag
            out.append(event)
            continue
        _, _, pid, _ = event
        for task, start, end, cpu in zip(*span_columns(event), strict=True):
            out.append((START, start, pid, task))
            out.append((END, end, pid, task, cpu))
    return out


def to_dict(event: Event) -> dict[str, Any]:
    """Turn an event tuple into a JSON-ready dict ``{"kind": ..., <field>: ...}``.

    A SPANS event's packed data becomes a list of ``[task, start, end, cpu]`` lists.
    """
    kind = event[0]
    names = FIELDS.get(kind)
    if names is None:
        raise ValueError(f"unknown event kind {kind!r}")
    out: dict[str, Any] = {"kind": kind}
    for name, value in zip(names, event[1:], strict=True):
        out[name] = list(value) if isinstance(value, tuple) else value
    if kind == SPANS:
        out["spans"] = [list(span) for span in zip(*span_columns(event), strict=True)]
    return out


def error_event(
    exc: BaseException, info: dict[str, Any] | None = None, with_traceback: bool = True
) -> Event:
    """An ERROR event carrying `exc` as data: type name, message (with :func:`hint`),
    formatted traceback (None without `with_traceback`), `info`."""
    import traceback

    tb = None
    if with_traceback:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return (ERROR, now_ns(), type(exc).__name__, f"{exc}{hint(exc)}", tb, dict(info or {}))


def hint(exc: BaseException) -> str:
    """What to look at when `exc` comes from the machine's limits, else ``""``.

    Under a process limit, a full ``/dev/shm`` or too many open files, Python says only
    "Resource temporarily unavailable" or "No space left on device"; this names the limit.
    """
    import errno

    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return " (is /dev/shm, or the disk, full?)"
    if code == errno.EMFILE:
        return " (too many open files: see ulimit -n)"
    if code == errno.EAGAIN or (isinstance(exc, RuntimeError) and "new thread" in str(exc)):
        return " (a limit on processes or threads? see ulimit -u)"
    if isinstance(exc, EOFError) and _raised_in(exc, "multiprocessing/forkserver.py"):
        return " (the forkserver could not start a process: a limit on processes?)"
    return ""


def _raised_in(exc: BaseException, path_end: str) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith(path_end):
            return True
        tb = tb.tb_next
    return False


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


#: The ``multiprocessing`` name of web-fetch's and rate-limit's page server process.
PAGE_SERVER_NAME = "PageServer"


def who(pid: int, name: str = "") -> str:
    """A process in words, from its ``multiprocessing`` name: ``the Manager's server (pid 7)``
    for a Manager's server process, ``the page server (pid 7)`` for a page server, else
    ``worker 7``."""
    if "Manager" in name:
        return f"the Manager's server (pid {pid})"
    if name == PAGE_SERVER_NAME:
        return f"the page server (pid {pid})"
    return f"worker {pid}"


def ended(pid: int, exitcode: int, name: str = "") -> str:
    """A process's end in one sentence: ``worker 7 was killed by SIGKILL``."""
    return f"{who(pid, name)} {how_it_ended(exitcode)}"


def exit_info(pid: int, exitcode: int, name: str = "") -> dict[str, Any]:
    """The ``info`` of an ERROR about a process that ended: pid, exit code, signal name, and
    the process's ``multiprocessing`` name when known."""
    info: dict[str, Any] = {
        "pid": pid,
        "exitcode": exitcode,
        "signal": signal_name(-exitcode) if exitcode < 0 else None,
    }
    if name:
        info["process"] = name
    return info
