"""The conductor's watch on every process it starts: a worker that dies is noticed at once.

::

    conductor main thread                      watch thread ("mpgui-child-watch")
    ─────────────────────                      ───────────────────────────────────
    Pool / ProcessPoolExecutor / Manager /     every Process.start() lands here (the
    Process start processes ──────────────────▶ recording _children set), then
                                                wait([sentinels…, wake pipe]) ── a death:
                                                  EXIT event (pid, exit code) to the host
                                                  bad exit → a failure; after FAIL_GRACE_S
    pool.map(...) waiting for a lost task ◀──── SIGUSR1 to the main thread ── raises
      raises WorkerFailed                         WorkerFailed there (never in a shielded
                                                  cleanup region: it waits for the end)

Why here: ``multiprocessing.Pool`` replaces a worker that dies and waits for its task
forever, so a scenario cannot notice the death by itself. Every way of starting a process —
Pool, ProcessPoolExecutor, a Manager, a plain Process — passes through
``BaseProcess.start()``, which adds the new process to ``multiprocessing.process._children``.
Swapping that set for a recording one (in the conductor only; each child starts with a fresh
one) lets one watch see every process, however the scenario's code starts it, without the
scenario doing anything.

The exit code is read without racing the process's owner: the watch gives the owner (Pool's
worker handler, the executor's manager thread, ``RunContext.running``) :data:`REAP_WAIT_S` to
collect it, and only then reads it itself.

A bad exit — a non-zero code, or a signal the process's owner did not send (``terminate()`` and
``kill()`` are recorded, so ``Pool.terminate()`` ending its workers is not a failure) — becomes
the run's failure. The scenario's own machinery gets :data:`FAIL_GRACE_S` to notice first (a
ProcessPoolExecutor raises ``BrokenProcessPool``, ``RunContext.running`` raises
``WorkerFailed``); code that did notice calls :func:`claim`.
Otherwise the watch interrupts the main thread the way Ctrl+C interrupts a script: a signal
whose handler raises. Regions that must not be cut short — ending workers, closing a pool,
reporting — run inside :func:`shielded`, and the interrupt waits for them to finish.

The watch thread only ever blocks in ``select``-style waits and holds no lock a forked child
could inherit locked (the probe's send lock only while it writes an EXIT event), so the
conductor stays safe to fork workers from. It also hears the conductor's SIGTERM through
``signal.set_wakeup_fd`` and can end the run while the main thread is blocked.
"""

from __future__ import annotations

import contextlib
import multiprocessing.process as mp_process
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from typing import Any

from . import events as ev
from . import workers

#: The signal the watch uses to interrupt the conductor's main thread.
INTERRUPT_SIGNAL = signal.SIGUSR1
#: How long (s) the scenario's own machinery gets to notice a death before the watch acts.
FAIL_GRACE_S = 0.3
#: How long (s) the watch leaves a dead process's exit code to its owner before reading it.
REAP_WAIT_S = 0.2
#: How often (s) the watch looks for processes started since it last looked.
POLL_S = 0.05

_active: ChildWatch | None = None


def is_bad_exit(exitcode: int, ended_by_owner: bool = False) -> bool:
    """True for an exit the run cannot shrug off.

    A non-zero code always is. A signal is too, unless the process's owner sent it
    (`ended_by_owner`: ``Process.terminate()``/``kill()`` in this process, as
    ``Pool.terminate()`` or ``RunContext.running`` do) — a SIGTERM from anyone else, the
    host's task timeout or a user's ``kill``, still leaves a Pool waiting for a lost task.
    """
    return exitcode != 0 and not (ended_by_owner and exitcode < 0)


class _RecordingSet(set):
    """``multiprocessing.process._children``, also telling the watch about each new process."""

    def __init__(self, items: Any, on_add: Callable[[Any], None]) -> None:
        super().__init__(items)
        self._on_add = on_add

    def add(self, proc: Any) -> None:  # noqa: D102 - set.add, recorded
        super().add(proc)
        self._on_add(proc)


def _still_running(proc: Any) -> bool:
    """True if `proc` has not ended, asked without reaping it (its owner does that)."""
    popen = getattr(proc, "_popen", None)
    if popen is None or popen.returncode is not None:
        return False
    try:
        return not wait([proc.sentinel], 0)
    except (OSError, ValueError):
        return False


def _patch_ending(on_end: Callable[[Any], None]) -> Callable[[], None]:
    """Make ``Process.terminate()`` and ``kill()`` tell `on_end` about a process they end.

    Only a process still running counts: an executor "terminates" every worker once one has
    crashed, the crashed one included, and that crash must stay a crash. Returns the undo.
    """
    cls = mp_process.BaseProcess
    terminate, kill = cls.terminate, cls.kill

    def patched_terminate(proc: Any) -> None:
        if _still_running(proc):
            on_end(proc)
        terminate(proc)

    def patched_kill(proc: Any) -> None:
        if _still_running(proc):
            on_end(proc)
        kill(proc)

    cls.terminate, cls.kill = patched_terminate, patched_kill

    def undo() -> None:
        cls.terminate, cls.kill = terminate, kill

    return undo


class ChildWatch:
    """Watches every process started in this (conductor) process; see the module docstring.

    `emit` sends an event to the host (the conductor's main probe). Use :meth:`start` once,
    before the scenario runs, and :meth:`close` when it has returned (:meth:`disarm` is for
    a process being ended in a hurry).

    `on_sigterm`, if given, is called from the watch thread when this process gets SIGTERM.
    A Python signal handler runs only in the main thread, between bytecodes; while the main
    thread is blocked (``pool.map``) and the signal went to another of its threads, the
    handler would wait. The watch hears of the signal at once (``signal.set_wakeup_fd``).
    """

    def __init__(
        self,
        emit: Callable[[tuple], None],
        stop_event: Any,
        on_sigterm: Callable[[], None] | None = None,
    ) -> None:
        self._emit = emit
        self._on_sigterm = on_sigterm
        self._stop_event = stop_event
        self._new: list[Any] = []  # started, not yet picked up by the thread
        self._new_lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._closed = False
        self._disarmed = False
        self._thread = threading.Thread(target=self._loop, name="mpgui-child-watch", daemon=True)
        self._main_ident = threading.main_thread().ident
        # Failures, shared with the main thread (list appends and pops are atomic).
        self._failures: list[workers.WorkerFailed] = []
        self._claimed: set[int] = set()
        self._claim_all = False
        self._previous_handler: Any = signal.SIG_DFL
        self._previous_wakeup_fd = -1
        self._undo_patch: Callable[[], None] | None = None
        self._ended_by_owner: set[int] = set()
        self._shield_depth = 0
        self._deferred = False
        self._raised = False

    # -- lifecycle (main thread) -------------------------------------------------------
    def start(self) -> None:
        """Record every process started from now on, and watch them."""
        global _active
        _active = self
        mp_process._children = _RecordingSet(mp_process._children, self._adopt)  # noqa: SLF001
        self._undo_patch = _patch_ending(lambda proc: self._ended_by_owner.add(proc.pid))
        self._previous_handler = signal.signal(INTERRUPT_SIGNAL, self._on_interrupt)
        # Every signal with a Python handler also writes its number to the wake pipe.
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._wake_w)
        self._thread.start()

    def disarm(self) -> None:
        """No interrupt reaches the main thread after this returns; deaths are still seen.

        The handler stays installed (it does nothing now) until :meth:`close`: a signal the
        watch sent a moment ago must not meet the default action, which ends the process.
        """
        self._disarmed = True

    def close(self) -> None:
        """Stop watching, and put back what :meth:`start` changed.

        Call it once the scenario has returned and its pools are shut: the watch then takes
        a last look, so every process that has ended is recorded (and reported) by the time
        this returns, and :meth:`failure` can name a death the scenario only heard of.
        """
        global _active
        self._disarmed = self._closed = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread.ident is not None:  # started
            self._thread.join(1.0)
            signal.set_wakeup_fd(self._previous_wakeup_fd)
            signal.signal(INTERRUPT_SIGNAL, self._previous_handler)
        if self._undo_patch is not None:
            self._undo_patch()
        mp_process._children = set(mp_process._children)  # noqa: SLF001 - a plain set again
        if _active is self:
            _active = None

    def failure(self) -> workers.WorkerFailed | None:
        """The first bad exit seen, claimed or not (to name the cause next to another error)."""
        return self._failures[0] if self._failures else None

    # -- the watch thread ----------------------------------------------------------------
    def _adopt(self, proc: Any) -> None:
        with self._new_lock:
            self._new.append(proc)
        with contextlib.suppress(OSError):  # a full pipe means the thread is awake already
            os.write(self._wake_w, b"+")

    def _loop(self) -> None:
        watching: list[Any] = []
        dead_since: dict[Any, float] = {}  # sentinel ready, exit code not yet known
        due: float | None = None  # when the pending failure interrupts the main thread
        while True:
            last = self._closed  # closing: one more look, without waiting for anything
            try:
                due = self._look(watching, dead_since, due, last)
            except Exception:  # noqa: BLE001 - the watch must outlive any surprise
                traceback.print_exc()
                time.sleep(POLL_S)
            if last:
                return

    def _look(
        self, watching: list[Any], dead_since: dict[Any, float], due: float | None, last: bool
    ) -> float | None:
        """One round of the watch: wait, then record what ended; returns the next `due`.

        The `last` round does not wait, and reads exit codes at once: the owners are done.
        """
        with self._new_lock:
            watching.extend(self._new)
            self._new.clear()
        sentinels = {}
        for proc in list(watching):
            handle = _sentinel(proc)
            if handle is None:  # closed by its owner, who saw it end: nothing to watch
                watching.remove(proc)
                dead_since.pop(proc, None)
            elif proc not in dead_since:
                sentinels[handle] = proc
        timeout = 0 if last else POLL_S if (dead_since or due) else 1.0
        try:
            ready = wait([*sentinels, self._wake_r], timeout)
        except (OSError, ValueError):  # a handle closed under us: look again
            return due
        if self._wake_r in ready:
            woken_by = os.read(self._wake_r, 4096)
            if signal.SIGTERM in woken_by and self._on_sigterm is not None:
                self._on_sigterm()
        now = time.monotonic()
        for handle in ready:
            if handle in sentinels:
                dead_since[sentinels[handle]] = now
        for proc, since in list(dead_since.items()):
            code = self._exit_code(proc, last or now - since >= REAP_WAIT_S)
            if code is None:
                continue
            del dead_since[proc]
            watching.remove(proc)
            if self._record(proc.pid, code) and due is None:
                due = now + FAIL_GRACE_S
        if due is not None and now >= due:
            due = None
            if self._pending() is not None and not (self._disarmed or self._raised):
                signal.pthread_kill(self._main_ident, INTERRUPT_SIGNAL)
                # Until the main thread has raised it, ask again now and then: the handler
                # may have run where it could only defer, or a busy moment delayed it.
                due = now + FAIL_GRACE_S
        return due

    @staticmethod
    def _exit_code(proc: Any, read_it: bool) -> int | None:
        """`proc`'s exit code if its owner has collected it, or — when `read_it` — at all."""
        popen = getattr(proc, "_popen", None)
        if popen is None:  # closed by its owner: the code is gone, and so is the process
            return 0
        if popen.returncode is not None or not read_it:
            return popen.returncode
        try:
            return proc.exitcode
        except ValueError:  # closed in the meantime
            return 0

    def _record(self, pid: int, code: int) -> bool:
        """Report one ended process; True if its end is a new failure of the run."""
        bad = is_bad_exit(code, pid in self._ended_by_owner)
        self._emit((ev.EXIT, ev.now_ns(), pid, code, bad))
        if not bad or self._stop_event.is_set():
            return False
        self._failures.append(workers.WorkerFailed(pid, code))  # claimed or not: it names a cause
        return True

    def _pending(self) -> workers.WorkerFailed | None:
        if self._claim_all:
            return None
        for failure in self._failures:
            if failure.pid not in self._claimed:
                return failure
        return None

    # -- the main thread -----------------------------------------------------------------
    def _on_interrupt(self, _signum: int, _frame: Any) -> None:
        if self._shield_depth:
            self._deferred = True
            return
        self._raise_pending()

    def _raise_pending(self) -> None:
        failure = self._pending()
        if failure is None or self._raised or self._stop_event.is_set() or self._disarmed:
            return
        self._raised = True
        self._claimed.add(failure.pid)
        raise failure

    def claim(self, pid: int | None = None) -> None:
        """Say the scenario noticed the death of `pid` (or of every worker so far) itself."""
        if pid is None:  # e.g. BrokenProcessPool: the executor saw its workers die
            self._claim_all = True
        else:
            self._claimed.add(pid)

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold back the interrupt while the block runs; deliver it when the block ends."""
        self._shield_depth += 1
        try:
            yield
        finally:
            self._shield_depth -= 1
        if not self._shield_depth and self._deferred:
            self._deferred = False
            self._raise_pending()


def _sentinel(proc: Any) -> int | None:
    try:
        return proc.sentinel
    except ValueError:  # Process.close() was called
        return None


def active() -> ChildWatch | None:
    """The watch running in this process (the conductor's), if any."""
    return _active


def disarm() -> None:
    """Disarm the active watch, if any (from any thread): the process is being ended."""
    if _active is not None:
        _active.disarm()


def claim(pid: int | None = None) -> None:
    """Tell the active watch the scenario has noticed a death itself (no-op without one)."""
    if _active is not None:
        _active.claim(pid)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run a cleanup block that the watch's interrupt must not cut short (no-op without one)."""
    if _active is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    with _active.shielded():
        yield
