"""The drain thread: moves a run's events from the conductor's pipes to the GUI thread.

:class:`DrainWorker` is a QObject moved to its own QThread. Its loop blocks in
``Conductor.collect`` (a ``multiprocessing.connection.wait`` on the event pipes, the
conductor's sentinel and a wake-up pipe), coalesces what arrives, and emits at most ~30 batches
per second, so a flood of events costs the GUI thread ~30 slot calls a second, not millions.
While a batch waits for its slot, the loop does not wake for every message of a flood: the
workers' event pipe (enlarged to 1 MiB where the platform allows) gathers them, and they are
read in a few large gulps — far fewer wake-ups, and far less of this thread's CPU, which it
would otherwise take from the GUI thread under the GIL.

Stop and kill requests from the GUI thread reach the loop through flags and the wake-up pipe;
the loop hands them to the Conductor, whose ``collect`` carries out the escalation (grace →
SIGTERM to the process group → SIGKILL). Only this thread touches the Conductor once the run
has started, and the GUI thread never waits on a process.
"""

from __future__ import annotations

import os
import threading
from multiprocessing.connection import wait

from PySide6.QtCore import QObject, Signal, Slot

from mpgui.core import timing
from mpgui.core.host.handle import Conductor
from mpgui.core.protocol import events as ev

#: At most one batch per this many ns reaches the GUI thread (~30 per second).
EMIT_INTERVAL_NS = 33_000_000
#: While a batch waits for its emit slot, the event pipe is read at most this often (ns) — if its
#: pipe can hold that long a flood (:data:`ROOMY_PIPE_BYTES`); otherwise at every message.
READ_INTERVAL_NS = 10_000_000
#: A pipe this large holds 10 ms of a flood of ~3 million events a second.
ROOMY_PIPE_BYTES = 512 * 1024


class DrainWorker(QObject):
    """Collects events from one run's conductor until it has ended and its pipes are empty.

    Create it without a parent, ``moveToThread`` it, and connect ``QThread.started`` to
    :meth:`run`. :meth:`request_stop` and :meth:`request_kill` may be called from any thread.
    """

    batch = Signal(object)  # list of event tuples
    ended = Signal()  # the conductor's process group is gone and its pipes drained

    def __init__(self, conductor: Conductor) -> None:
        super().__init__()
        self._conductor = conductor
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stop_requested = threading.Event()
        self._kill_requested = threading.Event()
        # Guards the wake pipe: once closed, its fd numbers may be reused by anything.
        self._pipe_lock = threading.Lock()
        self._pipe_open = True
        self._done = threading.Event()  # set when run() has finished its work

    def request_stop(self) -> None:
        """Ask the run to stop: the scenario winds down, or is ended after a grace period."""
        self._stop_requested.set()
        self._wake()

    def request_kill(self) -> None:
        """End the run now: SIGTERM, and SIGKILL shortly after (closing the window)."""
        self._stop_requested.set()
        self._kill_requested.set()
        self._wake()

    def wait_done(self, timeout_s: float) -> bool:
        """Block until :meth:`run` has finished (True) or `timeout_s` passed (False).

        Waiting on the QThread instead would not do: after ``run`` returns, the thread sits
        in its event loop until it is told to quit.
        """
        return self._done.wait(timeout_s)

    def _wake(self) -> None:
        with self._pipe_lock:
            if not self._pipe_open:
                return
            try:
                os.write(self._wake_w, b"!")
            except BlockingIOError:  # pipe full: the thread is awake already
                pass

    @Slot()
    def run(self) -> None:
        """The loop; returns when the run is over. Runs in the drain thread."""
        conductor = self._conductor
        roomy = conductor.events_pipe_bytes >= ROOMY_PIPE_BYTES
        pending: list[tuple] = []
        last_emit = 0
        stopping = killing = False
        try:
            while not conductor.drained():
                now = ev.now_ns()
                # Sleep until the next emit slot when something is pending, else up to 0.1 s
                # (the telemetry rate); new data, the conductor's end or a wake cut it short.
                due = last_emit + EMIT_INTERVAL_NS - now
                timeout = max(0.0, due / 1e9) if pending else 0.1
                if pending and due > 0 and roomy:
                    # What arrives now waits for that slot anyway: let the pipe gather it and
                    # read it in one go, instead of waking for every message of a flood. Stop
                    # and the conductor's end still wake this at once.
                    # (Once the conductor has exited its sentinel stays ready: not waited on.)
                    waits = (
                        [self._wake_r] if conductor.exited() else [self._wake_r, conductor.sentinel]
                    )
                    wait(waits, min(due, READ_INTERVAL_NS) / 1e9)
                    timeout = 0.0
                pending.extend(conductor.collect(timeout, wake=(self._wake_r,)))
                self._clear_wake()
                now = ev.now_ns()
                if pending and now - last_emit >= EMIT_INTERVAL_NS:
                    self.batch.emit(pending)
                    pending = []
                    last_emit = now

                if self._stop_requested.is_set() and not stopping:
                    stopping = True
                    conductor.request_stop()
                if self._kill_requested.is_set() and not killing:
                    killing = True
                    conductor.request_stop(grace_s=0)
        finally:
            if pending:
                self.batch.emit(pending)
            # Anything the conductor left behind (workers orphaned by a crash) goes too.
            conductor.end_group(term_wait=timing.LEFTOVER_TERM_GRACE_S)
            with self._pipe_lock:
                self._pipe_open = False
                os.close(self._wake_r)
                os.close(self._wake_w)
            self._done.set()
            self.ended.emit()

    def _clear_wake(self) -> None:
        try:
            while os.read(self._wake_r, 64):
                pass
        except BlockingIOError:
            pass
