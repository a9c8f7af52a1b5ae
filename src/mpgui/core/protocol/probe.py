"""The worker-side probe: how worker processes (and the conductor) report to the window.

A scenario's worker function asks for the process's probe with :func:`current` and wraps each
task in ``with probe.task(i):``. The probe buffers events and sends them on the run's event
channel in batches — one message per ~30 ms or per :data:`MAX_BATCH` events, whichever comes
first — and packs finished tasks into SPANS events (see :mod:`~mpgui.core.protocol.events`),
so a worker reports a short task for about the price of two clock reads.

Pool workers get their probe from :func:`install`, used as the Pool *initializer* so the run's
:class:`~mpgui.core.protocol.channel.EventChannel` crosses into the worker while it is being
created. A worker writes each batch to the channel's pipe itself, synchronously
(:meth:`EventChannel.send <mpgui.core.protocol.channel.EventChannel.send>`) — not through a
``Queue.put``, whose feeder thread a busy worker's main thread starves of the GIL: every batch
then waits a switch interval (5 ms) or two, and a flooding worker's batches pile up in its
memory, seconds behind. Written synchronously, a batch is on its way at once; if the host ever
reads slower than the workers write, they wait for it instead of buffering without bound.

A small flusher thread sends what an idle worker still holds, and a
``multiprocessing.util.Finalize`` hook flushes when the worker exits normally
(``pool.close(); pool.join()``), so the last events of a run are never stranded. The
conductor's own probe is flushed by its child watch thread instead
(:class:`~mpgui.core.child.child_watch.ChildWatch`'s `flush`), the one thread it stops
around every fork.

A thread can be a lane of its own: :func:`install_thread`, used as a ``ThreadPool``
initializer (``RunContext.warm_thread_pool`` does), gives a worker thread a probe whose events
name the thread (see :data:`~mpgui.core.protocol.events.THREAD`); inside that thread
:func:`current` returns it. Its batches go out through the process's probe, one at a time.

Where no probe is installed (a plain script, the "without probe" benchmark), :func:`current`
returns a :class:`NullProbe` whose methods do nothing, so one worker function serves both.
"""

from __future__ import annotations

import contextlib
import operator
import os
import pickle
import sys
import threading
import time
from array import array
from collections.abc import Callable
from multiprocessing import util as mp_util
from typing import TYPE_CHECKING, Any

from mpgui.core.protocol import events as ev
from mpgui.core.protocol.cpu import current_cpu

if TYPE_CHECKING:
    from mpgui.core.protocol.channel import EventChannel

#: Flush the buffer when its oldest unflushed event is this old (ns) ...
FLUSH_NS = 30_000_000
#: The same interval in seconds, for the threads that sleep it (the flushers, the watch).
FLUSH_S = FLUSH_NS / 1e9
#: ... or when it holds this many events (a finished task counts two: its START and END).
#: 2048 events of short tasks are 32 KB on the pipe; a flooding worker reaches that count
#: well within :data:`FLUSH_NS`, so in a flood the count, not the age, sends a batch.
MAX_BATCH = 2048
#: Tasks at least this long (ns) are "long": their START is flushed at once so the window
#: shows them running. One put per such task costs well under 1 % of the task.
LONG_TASK_NS = 5_000_000
#: A finished task's core is read again only if the last reading is older than this (ns):
#: reading it costs more than the rest of a span, and a process rarely moves within 1 ms.
CPU_RECHECK_NS = 1_000_000

#: The protocol's clock (``events.now_ns``), bound here: the probe reads it twice per task.
_now = time.perf_counter_ns


class _Span:
    """Context manager for one task: :meth:`Probe.started`, then :meth:`Probe.finished`."""

    __slots__ = ("_probe", "_task")

    def __init__(self, probe: Probe, task: int) -> None:
        self._probe = probe
        self._task = task

    def __enter__(self) -> _Span:
        # Probe.started, inlined: a flooding worker runs this hundreds of thousands of times
        # a second, and a method call is a good part of its cost.
        probe = self._probe
        probe._open = (self._task, _now())
        if probe._last_task_ns >= LONG_TASK_NS:
            probe.flush()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._probe.finished(self._task)


class Probe:
    """Buffers this process's events and sends them to the host in batches.

    `send` delivers one batch (a list): the run's event channel's ``send`` in workers, the
    conductor's control pipe's ``send`` in the conductor. `stop_event` is the run's stop flag
    (scenarios check :meth:`should_stop` between tasks); `role` is ``"worker"`` for pool
    workers and ``"main"`` for the conductor's own lane.

    Finished tasks are packed as they end (see :data:`~mpgui.core.protocol.events.SPANS`): a task
    costs its worker two clock reads and four ints appended to a list, and the START of a
    task that is still running is sent only if a batch goes out meanwhile.
    """

    def __init__(
        self,
        send: Callable[[list[tuple]], None] | None,
        stop_event: Any,
        role: str = "worker",
        label: str = "",
        background_flush: bool = False,
        tid: int = 0,
    ) -> None:
        self._deliver = send
        # Batches are sent whole: a thread lane's probe sends through its process's probe,
        # and two threads writing one pipe at once could interleave their messages.
        self._send_lock = threading.Lock()
        self._stop = stop_event
        self.role = role
        self.label = label
        #: This process's pid.
        self.process = os.getpid()
        #: A thread lane's native thread id; 0 for a process's lane.
        self.tid = tid
        #: The lane's id in every event it sends: its tid if it is a thread's, else its pid.
        self.pid = tid or self.process
        # The batch being built: events in order, with the tasks finished since the last
        # other event still being packed in `_spans` (it goes into `_buf` as one SPANS event).
        self._buf: list[tuple] = []
        self._spans: list[int] = []  # task, start, end, cpu, task, ... (packed when closed)
        self._pending = 0  # events in the batch: a span counts two (its START and its END)
        self._last_flush = _now()
        self._open: tuple[int, int] | None = None  # (task, start) of the running task
        self._open_sent: tuple[int, int] | None = None  # the `_open` whose START went out
        self._last_task_ns = LONG_TASK_NS  # until measured, assume tasks are long
        self._cpu = -1  # the core last read, and when (see CPU_RECHECK_NS)
        self._cpu_ns = 0
        # The batch is shared with the flusher thread, if there is one.
        self._lock = threading.Lock()
        self.flusher_error: str | None = None  # why there is no flusher thread, if asked for
        if background_flush:
            flusher = threading.Thread(
                target=flush_when_idle, args=([self], None), name="mpgui-probe", daemon=True
            )
            try:
                flusher.start()
            except RuntimeError as exc:  # "can't start new thread": a limit on processes
                # The worker still works and reports; only an idle one holds its last events
                # until its next task or its exit. Better than a worker that cannot start.
                self.flusher_error = str(exc)

    # -- sending -------------------------------------------------------------------------
    def deliver(self, batch: list[tuple]) -> None:
        """Send one batch, whole, even if other threads' probes send through this one too."""
        with self._send_lock:
            self._deliver(batch)

    def emit(self, event: tuple) -> None:
        """Buffer one event (its second item must be its timestamp); flush when due."""
        with self._lock:
            if self._spans:  # keep the batch in order: tasks that ended before this event
                self._close_spans()
            self._buf.append(event)
            self._pending += 1
            # Reuse the event's own timestamp instead of reading the clock again.
            if self._pending >= MAX_BATCH or event[1] - self._last_flush >= FLUSH_NS:
                self._flush_locked()

    def flush(self) -> None:
        """Send everything buffered now, as one batch."""
        with self._lock:
            self._flush_locked()

    def _close_spans(self) -> None:
        # Taken out first: a task number that does not fit the int64 column must cost its
        # batch's spans, not leave the probe failing on every later call.
        spans, self._spans = self._spans, []
        self._buf.append(ev.spans_event(self.pid, array(ev.SPAN_TYPECODE, spans)))

    def _flush_locked(self) -> None:
        if self._spans:
            self._close_spans()
        running = self._open
        if running is not None and running is not self._open_sent:
            # The host learns of a running task when the batch after its start goes out.
            self._open_sent = running
            self._buf.append((ev.START, running[1], self.pid, running[0]))
        if self._buf:
            batch, self._buf = self._buf, []
            try:
                self.deliver(batch)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                self._send_each(batch, exc)
        self._pending = 0
        self._last_flush = _now()

    def _send_each(self, batch: list[tuple], exc: Exception) -> None:
        """Send `batch` event by event, replacing those that cannot be pickled by a LOG line.

        One unpicklable value (a lambda passed to ``metric``) must not take the rest of its
        batch with it, nor raise inside the scenario's code.
        """
        for event in batch:
            try:
                self.deliver([event])
            except (pickle.PicklingError, TypeError, AttributeError):
                why = f"mpgui could not send a {event[0]!r} event: {exc}"
                self.deliver([(ev.LOG, _now(), self.pid, "ERROR", why)])

    def _has_unsent(self) -> bool:
        running = self._open
        return bool(self._buf or self._spans) or (
            running is not None and running is not self._open_sent
        )

    def flush_if_idle(self) -> None:
        """Send what has waited a flush interval (the flusher thread calls this)."""
        with self._lock:
            if self._has_unsent() and _now() - self._last_flush >= FLUSH_NS:
                self._flush_locked()

    # -- what workers report -------------------------------------------------------------
    def hello(self) -> None:
        """Announce this lane (a process: pid, core, role; a thread: tid and its process's
        pid) and flush, so the lane appears at once."""
        if self.tid:
            self.emit((ev.THREAD, _now(), self.tid, self.process, current_cpu(), self.label))
        else:
            self.emit((ev.HELLO, _now(), self.pid, current_cpu(), self.role, self.label))
        self.flush()

    def task(self, task: int) -> _Span:
        """``with probe.task(i):`` reports when task `i` (an int) starts and ends."""
        return _Span(self, operator.index(task))  # spans carry task numbers as int64

    def started(self, task: int) -> None:
        """Report that task `task` started (at once, when tasks are long).

        A short task's START travels inside its span (see :meth:`finished`); it is sent on its
        own only if a batch goes out while the task runs.
        """
        self._open = (task, _now())
        if self._last_task_ns >= LONG_TASK_NS:
            self.flush()

    def finished(self, task: int) -> None:
        """Report that task `task` finished, with the core it finished on."""
        t = _now()
        running = self._open
        start = running[1] if running is not None and running[0] == task else t
        self._open = None
        self._last_task_ns = t - start
        if t - self._cpu_ns >= CPU_RECHECK_NS:
            self._cpu = current_cpu()
            self._cpu_ns = t
        with self._lock:
            self._spans += (task, start, t, self._cpu)
            self._pending += 2
            if self._pending >= MAX_BATCH or t - self._last_flush >= FLUSH_NS:
                self._flush_locked()

    def metric(self, name: str, value: float) -> None:
        """Report a live sample of a scenario value (plotted over time)."""
        self.emit((ev.METRIC, _now(), self.pid, name, value))

    def log(self, message: str, level: str = "INFO") -> None:
        """Send a line to the window's log pane."""
        self.emit((ev.LOG, _now(), self.pid, level, message))
        self.flush()

    # -- what the conductor reports ------------------------------------------------------
    def phase(self, name: str) -> None:
        """Mark that the scenario entered phase `name` (drawn as a line on the timeline)."""
        self.emit((ev.PHASE, _now(), name))
        self.flush()

    def plan(self, **info: Any) -> None:
        """Say what the current phase will do, e.g. ``plan(tasks=40, workers=2)``."""
        self.emit((ev.PLAN, _now(), info))
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

    def started(self, task: int) -> None:  # noqa: D102
        pass

    def finished(self, task: int) -> None:  # noqa: D102
        pass


class _NullSpan:
    __slots__ = ()

    def __enter__(self) -> _NullSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


_NULL_SPAN = _NullSpan()
_current: Probe = NullProbe()
#: Thread lanes' probes, each in its own thread (``_thread_probes.probe``).
_thread_probes = threading.local()


def flush_when_idle(probes: list[Probe], stopped: threading.Event | None) -> None:
    """A flusher thread's loop: every flush interval, send what each of `probes` has held
    that long, until `stopped` is set (never, if None) or the host closes the pipe.

    Without it, a worker that finished its last short task and now waits for work (or is
    stuck in a task) would hold its latest events until it exits — or, a thread lane, until
    its next task. A pool worker runs one for its own probe (``background_flush``); a thread
    pool one for its threads' probes, while the pool lives (``warm_thread_pool``). Never in
    the conductor otherwise: it forks, and forking a process with extra threads is unsafe
    (its child watch, stopped around every fork, flushes the conductor's probe).
    """
    while True:
        if stopped is None:
            time.sleep(FLUSH_S)
        elif stopped.wait(FLUSH_S):
            return
        for probe in list(probes):  # a copy: threads add their probes as they start
            try:
                probe.flush_if_idle()
            except OSError:  # the host closed the pipe: nobody is listening now
                return


def current() -> Probe:
    """This thread's probe if it is a thread lane (:func:`install_thread`), else this
    process's (a :class:`NullProbe` if none was installed)."""
    return getattr(_thread_probes, "probe", _current)


def write_whole_lines(*streams: Any) -> None:
    """Make each text stream write a line in one ``write(2)``: line-buffered, and not
    write-through.

    The run's processes share one output pipe (``conductor._capture_output``); a line written
    in one call never mixes with another process's. Line buffering alone is not enough: under
    ``PYTHONUNBUFFERED=1`` (``python -u``, common in containers) a stream is write-through,
    and ``print(text)`` writes the text and its newline separately, so two processes printing
    at once make one line of two and an empty one.
    """
    for stream in streams:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(line_buffering=True, write_through=False)


def install(channel: EventChannel, stop_event: Any, role: str = "worker", label: str = "") -> Probe:
    """Make a probe reporting on the run's event `channel` this process's probe, say hello.

    Use it as a Pool initializer (``initargs=(channel, stop_event)``). Also makes this
    worker's output write whole lines (:func:`write_whole_lines`): the run's output reaches
    the host through one pipe.
    """
    write_whole_lines(sys.stdout, sys.stderr)
    probe = Probe(channel.send, stop_event, role=role, label=label, background_flush=True)
    install_probe(probe)
    if probe.flusher_error is not None:
        probe.log(f"no flusher thread ({probe.flusher_error}): events may arrive late", "WARNING")
    return probe


def install_probe(probe: Probe) -> Probe:
    """Make `probe` this process's probe, flush it at normal exit, and say hello."""
    global _current
    _current = probe
    # Flush on normal process exit. Priority 100 runs before multiprocessing's own finalizers
    # (a Queue's are 10 and -5), in case a probe's `send` is a Queue's put.
    mp_util.Finalize(probe, probe.flush, exitpriority=100)
    probe.hello()
    return probe


def install_thread(parent: Probe, label: str) -> Probe:
    """Make the calling thread a lane of its own: a probe for it that sends through `parent`
    (its process's probe), made :func:`current` in this thread, announced with a THREAD event.

    For a worker thread (a ``ThreadPool`` initializer), never the main thread: a main
    thread's id is its process's pid, which names the process's own lane. The probe has no
    flusher thread of its own: whoever made the threads runs :func:`flush_when_idle` for
    them while they live, and flushes them as they end (``warm_thread_pool`` does).
    """
    probe = Probe(parent.deliver, parent._stop, label=label, tid=threading.get_native_id())
    _thread_probes.probe = probe
    probe.hello()
    return probe


def uninstall() -> None:
    """Flush and remove this process's probe (the conductor calls this when a run ends)."""
    global _current
    _current.flush()
    _current = NullProbe()
