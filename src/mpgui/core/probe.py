"""The worker-side probe: how worker processes (and the conductor) report to the window.

A scenario's worker function asks for the process's probe with :func:`current` and wraps each
task in ``with probe.task(i):``. The probe buffers events and puts them on the run's event queue
in batches — one ``put`` per ~30 ms or per 512 events, whichever comes first — because a
``multiprocessing.Queue`` manages ~200k puts/s but ~2M events/s in batches of 100.

Pool workers get their probe from :func:`install`, used as the Pool *initializer* so the queue
crosses into the worker while it is being created (the only time a Queue may be pickled). A
small flusher thread sends what an idle worker still holds, and a
``multiprocessing.util.Finalize`` hook flushes when the worker exits normally
(``pool.close(); pool.join()``), so the last events of a run are never stranded.

Where no probe is installed (a plain script, the "without probe" benchmark), :func:`current`
returns a :class:`NullProbe` whose methods do nothing, so one worker function serves both.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from multiprocessing import util as mp_util
from typing import Any

from . import events as ev
from .cpu import current_cpu

#: Flush the buffer when its oldest unflushed event is this old (ns) ...
FLUSH_NS = 30_000_000
#: ... or when it holds this many events.
MAX_BATCH = 512
#: Tasks at least this long (ns) are "long": their START is flushed at once so the window
#: shows them running. One put per such task costs well under 1 % of the task.
LONG_TASK_NS = 5_000_000


class _Span:
    """Context manager for one task: a START event on entry, an END event on exit."""

    __slots__ = ("_probe", "_task")

    def __init__(self, probe: Probe, task: int) -> None:
        self._probe = probe
        self._task = task

    def __enter__(self) -> _Span:
        self._probe.started(self._task)
        return self

    def __exit__(self, *exc: object) -> None:
        self._probe.finished(self._task)


class Probe:
    """Buffers this process's events and sends them to the host in batches.

    `send` delivers one batch (a list): ``queue.put`` in workers, the conductor's control
    pipe's ``send`` in the conductor. `stop_event` is the run's stop ``multiprocessing.Event``
    (scenarios check :meth:`should_stop` between tasks); `role` is ``"worker"`` for pool
    workers and ``"main"`` for the conductor's own lane.
    """

    def __init__(
        self,
        send: Callable[[list[tuple]], None] | None,
        stop_event: Any,
        role: str = "worker",
        label: str = "",
        background_flush: bool = False,
    ) -> None:
        self._send = send
        self._stop = stop_event
        self.role = role
        self.label = label
        self.pid = os.getpid()
        self._buf: list[tuple] = []
        self._last_flush = ev.now_ns()
        self._task_started = 0
        self._last_task_ns = LONG_TASK_NS  # until measured, assume tasks are long
        # The buffer is shared with the flusher thread, if there is one.
        self._lock = threading.Lock()
        if background_flush:
            threading.Thread(target=self._flush_idle, name="mpgui-probe", daemon=True).start()

    # -- sending -------------------------------------------------------------------------
    def emit(self, event: tuple) -> None:
        """Buffer one event (its second item must be its timestamp); flush when due."""
        with self._lock:
            buf = self._buf
            buf.append(event)
            # Reuse the event's own timestamp instead of reading the clock again.
            if len(buf) >= MAX_BATCH or event[1] - self._last_flush >= FLUSH_NS:
                self._flush_locked()

    def flush(self) -> None:
        """Send everything buffered now, as one batch."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._buf:
            batch, self._buf = self._buf, []
            self._send(batch)
        self._last_flush = ev.now_ns()

    def _flush_idle(self) -> None:
        """Flusher thread: send what has waited a flush interval while the worker is idle.

        Without it, a worker that finished its last short task and now waits for work (or is
        stuck in a task) would hold its latest events until it exits. Only workers run one:
        the conductor forks, and forking a process with extra threads is unsafe.
        """
        period = FLUSH_NS / 1e9
        while True:
            time.sleep(period)
            with self._lock:
                if self._buf and ev.now_ns() - self._last_flush >= FLUSH_NS:
                    self._flush_locked()

    # -- what workers report -------------------------------------------------------------
    def hello(self) -> None:
        """Announce this process (pid, core, role) and flush, so its lane appears at once."""
        self.emit((ev.HELLO, ev.now_ns(), self.pid, current_cpu(), self.role, self.label))
        self.flush()

    def task(self, task: int) -> _Span:
        """``with probe.task(i):`` reports when task `i` starts and ends."""
        return _Span(self, task)

    def started(self, task: int) -> None:
        """Report that task `task` started (at once, when tasks are long)."""
        t = self._task_started = ev.now_ns()
        self.emit((ev.START, t, self.pid, task))
        if self._last_task_ns >= LONG_TASK_NS:
            self.flush()

    def finished(self, task: int) -> None:
        """Report that task `task` finished, with the core it finished on."""
        t = ev.now_ns()
        self._last_task_ns = t - self._task_started
        self.emit((ev.END, t, self.pid, task, current_cpu()))

    def metric(self, name: str, value: float) -> None:
        """Report a live sample of a scenario value (plotted over time)."""
        self.emit((ev.METRIC, ev.now_ns(), self.pid, name, value))

    def log(self, message: str, level: str = "INFO") -> None:
        """Send a line to the window's log pane."""
        self.emit((ev.LOG, ev.now_ns(), self.pid, level, message))
        self.flush()

    # -- what the conductor reports ------------------------------------------------------
    def phase(self, name: str) -> None:
        """Mark that the scenario entered phase `name` (drawn as a line on the timeline)."""
        self.emit((ev.PHASE, ev.now_ns(), name))
        self.flush()

    def plan(self, **info: Any) -> None:
        """Say what the current phase will do, e.g. ``plan(tasks=40, workers=2)``."""
        self.emit((ev.PLAN, ev.now_ns(), info))
        self.flush()

    # -- control -------------------------------------------------------------------------
    def should_stop(self) -> bool:
        """True once the user pressed Stop; check it between tasks and wind down."""
        return self._stop is not None and self._stop.is_set()


class NullProbe(Probe):
    """A probe that reports nothing: used where no run is listening."""

    def __init__(self) -> None:
        super().__init__(send=None, stop_event=None, role="none")

    def emit(self, event: tuple) -> None:  # noqa: D102 - does nothing by design
        pass

    def flush(self) -> None:  # noqa: D102
        pass

    def task(self, task: int) -> _Span:  # noqa: D102
        return _NULL_SPAN


class _NullSpan:
    __slots__ = ()

    def __enter__(self) -> _NullSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


_NULL_SPAN = _NullSpan()
_current: Probe = NullProbe()


def current() -> Probe:
    """This process's probe (a :class:`NullProbe` if none was installed)."""
    return _current


def install(queue: Any, stop_event: Any, role: str = "worker", label: str = "") -> Probe:
    """Make a probe reporting to `queue` this process's probe and say hello.

    Use it as a Pool initializer (``initargs=(queue, stop_event)``).
    """
    probe = Probe(queue.put, stop_event, role=role, label=label, background_flush=True)
    return install_probe(probe)


def install_probe(probe: Probe) -> Probe:
    """Make `probe` this process's probe, flush it at normal exit, and say hello."""
    global _current
    _current = probe
    # Flush on normal process exit. Priority 100 runs before the Queue's own finalizers
    # (priority 10 and -5), which close its feeder thread and wait for it to drain.
    mp_util.Finalize(probe, probe.flush, exitpriority=100)
    probe.hello()
    return probe


def uninstall() -> None:
    """Flush and remove this process's probe (the conductor calls this when a run ends)."""
    global _current
    _current.flush()
    _current = NullProbe()
