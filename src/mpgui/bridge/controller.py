"""RunController: one run, as a QObject with signals named for what happened."""

from __future__ import annotations

import signal
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from mpgui.core.host.handle import Conductor, RunStartError
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec

from .drain import DrainWorker
from .threads import track

#: How long the GUI thread waits for a drain thread to finish (ms).
THREAD_WAIT_MS = 2000

#: Drain threads that did not finish in time, kept alive so Qt never destroys them running.
_stuck_threads: list[tuple[QThread, DrainWorker | None]] = []


class RunController(QObject):
    """Owns one run: its conductor process, its drain thread and its :class:`RunState`.

    Signals (all delivered in the GUI thread):

    - ``started(RunSpec)`` — the conductor process is running.
    - ``eventsReady(list)`` — a coalesced batch of events, already folded into :attr:`state`.
    - ``finished(dict)`` — the run completed; the result dict (as ``mpgui run --json``).
    - ``failed(dict)`` — the run failed, was stopped or its conductor died; the same dict with
      ``ok: false`` and ``error`` saying what happened.

    A controller runs once. For another run, make another controller: a stopped run's queue
    and locks may be held by killed processes and are never reused.
    """

    started = Signal(object)
    eventsReady = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, spec: RunSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.state = RunState(spec)
        self._conductor: Conductor | None = None
        self._thread: QThread | None = None
        self._worker: DrainWorker | None = None
        self._stopped_by_user = False
        self._over = False
        self.result: dict[str, Any] | None = None

    # -- control -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the conductor and the drain thread."""
        if self._conductor is not None or self._over:
            raise RuntimeError("a RunController runs once; make a new one")
        self.state = RunState(self.spec)
        try:
            self._conductor = Conductor(self.spec)
            self._conductor.start()
        except RunStartError as exc:
            # No room for its semaphores, a process limit: a failed run that says why,
            # delivered like any other (after start() has returned, as a real run's end is).
            if self._conductor is not None:
                self._conductor.close()
            self._conductor = None
            self._over = True
            self.state.fail_to_start(str(exc))
            self.result = self.state.result()
            QTimer.singleShot(0, self._report_start_failure)
            return
        self._worker = DrainWorker(self._conductor)  # no parent: it moves to the thread
        self._thread = QThread()
        self._thread.setObjectName(f"mpgui-drain-{self._conductor.pid}")
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.batch.connect(self._on_batch)
        self._worker.ended.connect(self._on_ended)
        track(self._thread)
        self._thread.start()
        self.state.add_log(ev.now_ns(), 0, "INFO", f"conductor {self._conductor.pid} started")
        self.started.emit(self.spec)

    def stop(self) -> None:
        """Stop the run: stop event, a grace period, then the process group is ended."""
        if self._worker is None or self._over:
            return
        if not self._stopped_by_user:
            self._stopped_by_user = True
            self.state.add_log(ev.now_ns(), 0, "WARNING", "stop requested")
        self._worker.request_stop()

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """End the run now and wait for the drain thread (closing the window).

        Blocks the caller while the process group is ended — well under a second unless a
        process ignores SIGTERM, and never more than about `timeout_ms` + 2 s — then delivers
        ``failed``.
        """
        if self._worker is None or self._over:
            return
        self._stopped_by_user = True
        self._worker.request_kill()
        assert self._thread is not None and self._conductor is not None
        if not self._worker.wait_done(timeout_ms / 1000):
            # The drain thread is slow to finish: end the group from here. Its channels then
            # reach end-of-file and the thread's loop returns.
            self._conductor.signal_group(signal.SIGKILL)
        self._on_ended()

    def is_running(self) -> bool:
        """True from :meth:`start` until ``finished`` or ``failed`` has been emitted."""
        return self._conductor is not None and not self._over

    @Slot()
    def _report_start_failure(self) -> None:
        self.failed.emit(self.result)

    # -- from the drain thread -----------------------------------------------------------
    @Slot(object)
    def _on_batch(self, events: list[tuple]) -> None:
        if self._over:
            return
        self.state.apply(events)
        self.eventsReady.emit(events)

    @Slot()
    def _on_ended(self) -> None:
        if self._over:
            return
        self._over = True
        assert self._thread is not None and self._conductor is not None
        self._thread.quit()
        if self._thread.wait(THREAD_WAIT_MS):
            self._conductor.close()
        else:
            # Never expected (the drain loop cannot block on a read). Keep the thread
            # referenced so it is not destroyed while running, and leave the conductor's
            # pipes open: the thread may still be reading them.
            self.state.add_log(ev.now_ns(), 0, "ERROR", "the drain thread did not finish")
            _stuck_threads.append((self._thread, self._worker))
        state = self.state
        if self._stopped_by_user and state.status != ev.STATUS_OK:
            state.fail("Stopped", "stopped by the user", ev.STATUS_STOPPED)
        state.finish(self._conductor.exitcode)
        self.result = state.result()
        self._worker = None
        self._thread = None
        (self.finished if self.result["ok"] else self.failed).emit(self.result)
