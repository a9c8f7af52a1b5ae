"""The conductor's watch on every process it starts: a worker that dies is noticed at once.

::

    conductor main thread                      watch thread ("mpgui-child-watch")
    ─────────────────────                      ───────────────────────────────────
    Pool / ProcessPoolExecutor / Manager /     every Process.start() lands here (the
    Process start processes ──────────────────▶ recording set of started processes), then
                                                wait([sentinels…, wake pipe]) ── a death:
                                                  EXIT event (pid, exit code) to the host
                                                  bad exit → a failure; after FAIL_GRACE_S
    pool.map(...) waiting for a lost task ◀──── SIGUSR1 to the main thread ── raises
      raises WorkerFailed                         WorkerFailed there (never in a shielded
                                                  cleanup region: it waits for the end)
    cleanup stuck on a lock the dead held  ◀──── after CLEANUP_BOUND_S more: the watch
                                                  reports the failure and ends the run

Why here: ``multiprocessing.Pool`` replaces a worker that dies and waits for its task
forever, so a scenario cannot notice the death by itself. Every way of starting a process —
Pool, ProcessPoolExecutor, a Manager, a plain Process, from any context — passes through
``BaseProcess.start()``, which adds the new process to ``multiprocessing``'s set of children.
Swapping that set for a recording one (:func:`mpgui.core.mp_private.watch_children`, in the
conductor only; each child starts with a fresh one) lets one watch see every process, however
the scenario's code starts it, without the scenario doing anything. The processes mpgui's own
contexts make (:mod:`~mpgui.core.child.recording_context`: ``RunContext.mp`` and the pools,
executors and managers made from it) also tell the watch when their ``start()`` returns and
when their owner ends them.

The exit code is read without racing the process's owner (Pool's worker handler, the
executor's manager thread, ``RunContext.running``): ``waitid(…, WNOWAIT)`` sees it without
reaping the process; only where that cannot be done does the watch give the owner
:data:`~mpgui.core.timing.REAP_WAIT_S` to collect it before reading it itself. Deaths are
ordered by when the watch first saw them, not by when their exit codes could be read: when a
Manager's server is killed, the workers that then fail to reach it die a moment later, and
the first death is the cause.

A bad exit — a non-zero code, or a signal the process's owner did not send (a recording
process's ``terminate()`` and ``kill()`` are recorded, so ``Pool.terminate()`` ending its
workers is not a failure) — becomes
the run's failure, whenever it happens. The scenario's own machinery gets
:data:`~mpgui.core.timing.FAIL_GRACE_S` to notice first (a ProcessPoolExecutor raises
``BrokenProcessPool``, ``RunContext.running`` raises ``WorkerFailed``); code that did notice
calls :func:`claim`. Otherwise the watch interrupts the main thread the way Ctrl+C interrupts
a script: a signal whose handler raises. Regions that must not be cut short — ending workers,
closing a pool, reporting — run inside :func:`shielded`, and the interrupt waits for them to
finish.

No cleanup may wait forever, though: a Pool worker killed while it waited for work dies
holding the task queue's lock, and ``Pool.terminate()`` (or ``close(); join()``) then waits for
that lock for good. So a run that has failed gets :data:`~mpgui.core.timing.CLEANUP_BOUND_S`
after the grace to report it; if the main thread has not, the watch calls its `on_stuck` (the
conductor reports the failure itself and ends every process of the run).

The watch thread is never there when the conductor forks: ``os.register_at_fork`` stops it
before every ``fork()``, and it starts again once a recording ``Process.start()`` has returned
(or right after a fork made some other way), so a forked worker is made by a process with only
the threads the scenario's own code runs (Python 3.12+ warns, rightly, about forking a process
with other threads; 3.13 counts them after the after-fork hooks). Between stop and start it
keeps what it knew, and the first look after a fork catches up on anything that ended
meanwhile. Stopping and starting adds little to a fork: the thread is started without
waiting for it to run (see :class:`_Runner`). The thread only ever blocks in
``select``-style waits; it also hears the conductor's SIGTERM through
``signal.set_wakeup_fd`` and can end the run while the main thread is blocked.

The private ``multiprocessing`` names this needs (the set of started processes, whether a
process's owner has reaped it) are used through :mod:`mpgui.core.mp_private`, which says why.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from typing import Any

from mpgui.core import mp_private, timing
from mpgui.core.child import recording_context
from mpgui.core.child.failures import ThreadFailed, WorkerFailed
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.probe import FLUSH_S

#: The signal the watch uses to interrupt the conductor's main thread.
INTERRUPT_SIGNAL = signal.SIGUSR1

_active: ChildWatch | None = None


def is_bad_exit(exitcode: int, ended_by_owner: bool = False) -> bool:
    """True for an exit the run cannot shrug off.

    A non-zero code always is. A signal is too, unless the process's owner sent it
    (`ended_by_owner`: ``Process.terminate()``/``kill()`` in this process, as
    ``Pool.terminate()`` or ``RunContext.running`` do) — a SIGTERM from anyone else, the
    host's task timeout or a user's ``kill``, still leaves a Pool waiting for a lost task.
    """
    return exitcode != 0 and not (ended_by_owner and exitcode < 0)


class _Runner:
    """The watch's OS thread, started and stopped around forks at the lowest cost.

    ``threading.Thread.start()`` waits for the new thread to run; right after a fork, in a
    parent whose pages are all copy-on-write, that wait is long next to the fork itself, and
    a Pool pays it once per worker. ``_thread.start_new_thread`` returns at once. Stopping
    waits until the OS thread is really gone (its ``/proc/self/task`` entry), since that is
    what CPython counts when it warns about forking a threaded process.
    """

    def __init__(self, target: Callable[[Callable[[], bool]], None]) -> None:
        self._target = target
        self._done = _thread.allocate_lock()  # held exactly while a thread runs
        self._tid = 0
        self._generation = 0

    def start(self) -> None:
        """Start the thread (returns at once)."""
        self._generation += 1
        self._done.acquire()  # released by the thread as it ends
        try:
            _thread.start_new_thread(self._run, (self._generation,))
        except RuntimeError:  # "can't start new thread"
            self._done.release()
            raise

    def _run(self, generation: int) -> None:
        self._tid = threading.get_native_id()
        try:
            self._target(lambda: generation == self._generation)
        finally:
            self._done.release()

    def stop(self, timeout: float, wake: Callable[[], None]) -> bool:
        """Ask the thread to return (it does after its current look) and wait for it to be
        gone, at most `timeout` s; False if it is still there (or stopping itself)."""
        if not self._done.locked():
            return True  # none runs
        self._generation += 1
        if self._tid == threading.get_native_id():
            return False  # asked by the thread itself: it returns when this call does
        wake()
        if not self._done.acquire(timeout=timeout):
            # Still busy (its emit waits on a full pipe?): it stays the current thread and
            # goes on watching, rather than return unseen and leave nobody watching.
            self._generation -= 1
            return False
        self._done.release()
        deadline = time.monotonic() + timeout
        while os.path.exists(f"/proc/self/task/{self._tid}") and time.monotonic() < deadline:
            time.sleep(0)  # microseconds: the thread has only its exit left to do
        return True

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the thread to return by itself; False if it is not
        running at all, or still is."""
        if not self._done.locked() or not self._done.acquire(timeout=timeout):
            return False
        self._done.release()
        return True

    def alive(self) -> bool:
        """True while the thread has not returned."""
        return self._done.locked()


class ChildWatch:
    """Watches every process started in this (conductor) process; see the module docstring.

    `emit` sends an event to the host (the conductor's main probe). Use :meth:`start` once,
    before the scenario runs, and :meth:`close` when it has returned (:meth:`disarm` is for
    a process being ended in a hurry).

    `on_sigterm`, if given, is called from the watch thread when this process gets SIGTERM.
    A Python signal handler runs only in the main thread, between bytecodes; while the main
    thread is blocked (``pool.map``) and the signal went to another of its threads, the
    handler would wait. The watch hears of the signal at once (``signal.set_wakeup_fd``).

    `on_stuck`, if given, is called from the watch thread with the run's first failure when
    the main thread has not claimed the report (:meth:`claim_report`)
    :data:`~mpgui.core.timing.FAIL_GRACE_S` + :data:`~mpgui.core.timing.CLEANUP_BOUND_S` after
    the death; it is expected to report the failure and end the process.

    `flush`, if given, is called from the watch thread at least every probe flush interval
    (:data:`~mpgui.core.protocol.probe.FLUSH_S`) while the watch runs: the conductor sends
    there what its probe has held that long. The conductor can have no flusher thread of
    its own (it forks, and the watch is the one thread stopped around every fork), and its
    main thread often reports, then blocks in ``pool.map``: without this, what it reported
    last waited for its next report, a whole parallel pass later.
    """

    def __init__(
        self,
        emit: Callable[[tuple], None],
        stop_event: Any,
        on_sigterm: Callable[[], None] | None = None,
        on_stuck: Callable[[WorkerFailed | ThreadFailed], None] | None = None,
        flush: Callable[[], None] | None = None,
    ) -> None:
        self._emit = emit
        self._flush = flush
        self._on_sigterm = on_sigterm
        self._on_stuck = on_stuck
        self._stop_event = stop_event
        self._new: list[Any] = []  # started, not yet picked up by the thread
        self._new_lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._closed = False
        self._disarmed = False
        self._ending = False  # disarm(): the whole run is being ended
        self._report_lock = threading.Lock()  # held by whichever thread reports
        self._runner = _Runner(self._loop)
        self._fork_lock = threading.Lock()
        self._forking = 0  # forks under way, in any thread
        self._resume_due = False  # a fork stopped the thread; Process.start() restarts it
        self._in_fork_hook = False  # the main thread is in an at-fork hook of ours
        self._main_ident = threading.main_thread().ident
        # What the thread knows, kept here so it survives the thread's stops for forks.
        self._watching: list[Any] = []
        self._dead_since: dict[Any, float] = {}  # sentinel seen ready, exit code not yet read
        self._due: float | None = None  # when the pending failure interrupts the main thread
        self._stuck_at: float | None = None  # when an unreported failure is the watch's to end
        # Failures, shared with the main thread (list appends and pops are atomic), in the
        # order the deaths were seen.
        self._failures: list[WorkerFailed] = []
        self._claimed: set[int] = set()
        self._claim_all = False
        self._broken: BaseException | None = None  # the thread could not start again
        self._thread_failure: ThreadFailed | None = None  # another thread died
        self._thread_failure_seen = False  # the watch has scheduled acting on it
        self._previous_excepthook: Any = None
        self._previous_handler: Any = signal.SIG_DFL
        self._previous_wakeup_fd = -1
        self._undo_children: Callable[[], None] | None = None
        self._previous_recorder: recording_context.Recorder | None = None
        self._ended_by_owner: set[int] = set()
        self._shield_depth = 0
        self._deferred = False
        self._raised = False

    # -- lifecycle (main thread) -------------------------------------------------------
    def start(self) -> None:
        """Record every process started from now on, and watch them."""
        global _active
        _register_fork_hooks()
        _active = self
        self._undo_children = mp_private.watch_children(self._adopt)
        self._previous_recorder = recording_context.set_recorder(self)
        self._previous_handler = signal.signal(INTERRUPT_SIGNAL, self._on_interrupt)
        # Every signal with a Python handler also writes its number to the wake pipe.
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._wake_w)
        self._previous_excepthook = threading.excepthook
        threading.excepthook = self._on_thread_exception
        self._runner.start()

    def disarm(self) -> None:
        """The process is being ended: no interrupt reaches the main thread after this
        returns, and deaths are still reported but fail nothing (the ending kills them).

        The handler stays installed (it does nothing now) until :meth:`close`: a signal the
        watch sent a moment ago must not meet the default action, which ends the process.
        """
        self._disarmed = self._ending = True

    def claim_report(self) -> bool:
        """Take the job of reporting the run's outcome; False if the other thread has it.

        The main thread reports a run it saw through; the watch thread reports one whose main
        thread is stuck (`on_stuck`). Exactly one of them may.
        """
        return self._report_lock.acquire(blocking=False)

    def close(self) -> None:
        """Stop watching, and put back what :meth:`start` changed.

        Call it once the scenario has returned and its pools are shut: the watch then takes
        a last look, so every process that has ended is recorded (and reported) by the time
        this returns, and :meth:`failure` can name a death the scenario only heard of.
        """
        global _active
        self._disarmed = self._closed = True
        with self._fork_lock:
            # The thread takes its last look and returns (see _loop); if it is not running
            # (it could not start again after a fork) or is slow, look here instead.
            self._wake()
            if not self._runner.wait(timing.WATCH_LAST_LOOK_S) and not self._runner.alive():
                with contextlib.suppress(Exception):
                    self._look(last=True)
        signal.set_wakeup_fd(self._previous_wakeup_fd)
        signal.signal(INTERRUPT_SIGNAL, self._previous_handler)
        if self._previous_excepthook is not None:
            threading.excepthook = self._previous_excepthook
        recording_context.set_recorder(self._previous_recorder)
        if self._undo_children is not None:
            self._undo_children()
        if _active is self:
            _active = None

    def failure(self) -> WorkerFailed | None:
        """The first death seen that failed the run, claimed or not: the cause of what
        followed (another process's later death, a BrokenProcessPool, a broken proxy)."""
        return self._failures[0] if self._failures else None

    def _first_failure(self) -> WorkerFailed | ThreadFailed | None:
        return self.failure() or self._thread_failure

    def unclaimed_failure(self) -> BaseException | None:
        """A failure nobody raised or claimed yet (e.g. a worker that died just as the work
        finished): a run that had one did not succeed."""
        if self._broken is not None and not self._raised:
            return self._broken
        return self._pending()

    # -- the watch thread ----------------------------------------------------------------
    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # a full pipe means the thread is awake already
            os.write(self._wake_w, b"x")

    def _adopt(self, proc: Any) -> None:
        with self._new_lock:
            self._new.append(proc)
        self._wake()

    def _loop(self, current: Callable[[], bool]) -> None:
        """The thread: look, and look again, while it is the `current` one."""
        while current():
            last = self._closed  # closing: one more look, without waiting for anything
            try:
                self._look(last)
            except Exception:  # noqa: BLE001 - the watch must outlive any surprise
                traceback.print_exc()
                time.sleep(timing.WATCH_POLL_S)
            if last:
                return

    def _look(self, last: bool) -> None:
        """One round of the watch: wait, then record what ended.

        The `last` round does not wait, and reads exit codes at once: the owners are done.
        """
        watching, dead_since = self._watching, self._dead_since
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
        busy = dead_since or self._due is not None or self._stuck_at is not None
        timeout = 0 if last else timing.WATCH_POLL_S if busy else timing.WATCH_IDLE_S
        if self._flush is not None:
            timeout = min(timeout, FLUSH_S)
        try:
            ready = wait([*sentinels, self._wake_r], timeout)
        except (OSError, ValueError):  # a handle closed under us: look again
            return
        if self._wake_r in ready:
            woken_by = os.read(self._wake_r, 4096)
            if signal.SIGTERM in woken_by and self._on_sigterm is not None:
                self._on_sigterm()
        now = time.monotonic()
        for handle in ready:
            if handle in sentinels:
                dead_since[sentinels[handle]] = now
        # Oldest death first; of deaths seen in the same look, one by a signal (from outside)
        # before one that exited with an error (often because of the other).
        ended = sorted(dead_since.items(), key=lambda item: (item[1], _by_signal_first(item[0])))
        for proc, _since in ended:
            code = self._exit_code(proc, last or now - dead_since[proc] >= timing.REAP_WAIT_S)
            if code is None:
                # Not readable yet: later deaths wait their turn behind it, so the order of
                # the failures stays the order of the deaths — for a moment only.
                if now - dead_since[proc] < 2 * timing.REAP_WAIT_S:
                    break
                continue
            del dead_since[proc]
            watching.remove(proc)
            if self._record(proc, code):
                self._schedule(now)
        if self._thread_failure is not None and not self._thread_failure_seen:
            self._thread_failure_seen = True
            self._schedule(now)
        self._act(now)
        if self._flush is not None:
            try:
                self._flush()
            except OSError:  # the host closed the pipe: nobody is listening any more
                self._flush = None

    def _schedule(self, now: float) -> None:
        """A failure was just recorded: interrupt after the grace, rescue after the bound."""
        if self._due is None:
            self._due = now + timing.FAIL_GRACE_S
        if self._stuck_at is None:  # the first failure: the run has this long to report
            self._stuck_at = now + timing.FAIL_GRACE_S + timing.CLEANUP_BOUND_S

    def _act(self, now: float) -> None:
        """Interrupt the main thread for a pending failure; rescue a run whose cleanup hangs."""
        if self._due is not None and now >= self._due:
            self._due = None
            if self._pending() is not None and not (self._disarmed or self._raised):
                signal.pthread_kill(self._main_ident, INTERRUPT_SIGNAL)
                # Until the main thread has raised it, ask again now and then: the handler
                # may have run where it could only defer, or a busy moment delayed it.
                self._due = now + timing.FAIL_GRACE_S
        if (
            self._stuck_at is not None
            and now >= self._stuck_at
            and self._on_stuck is not None
            and not self._closed  # the main thread got through: it reports
            and not self._stop_event.is_set()
        ):
            self._stuck_at = None
            failure = self._first_failure()
            if failure is not None and self.claim_report():
                self._on_stuck(failure)

    @staticmethod
    def _exit_code(proc: Any, read_it: bool) -> int | None:
        """`proc`'s exit code: collected by its owner, or seen without reaping it (the owner
        still collects it as usual), or — when `read_it` — read by reaping it here."""
        if _sentinel(proc) is None:  # closed by its owner: the code is gone, and so is it
            return 0
        code = mp_private.reaped_exit_code(proc)
        if code is not None:
            return code
        code = _peek_exit_code(proc.pid)
        if code is not None or not read_it:
            return code
        try:
            return proc.exitcode
        except ValueError:  # closed in the meantime
            return 0

    def _record(self, proc: Any, code: int) -> bool:
        """Report one ended process; True if its end is a new failure of the run.

        A process that ends while the run is being stopped or ended is no failure: that
        ended it.
        """
        pid, name = proc.pid, getattr(proc, "name", "") or ""
        stopping = self._stop_event.is_set() or self._ending
        bad = is_bad_exit(code, pid in self._ended_by_owner) and not stopping
        self._emit((ev.EXIT, ev.now_ns(), pid, code, bad, name))
        if not bad:
            return False
        failure = WorkerFailed(pid, code, name)
        self._failures.append(failure)  # claimed or not: it names a cause
        return True

    def _pending(self) -> BaseException | None:
        if self._broken is not None:
            return self._broken
        if self._claim_all:
            return None
        for failure in self._failures:
            if failure.pid not in self._claimed:
                return failure
        return self._thread_failure

    # -- a thread that dies (its own thread) ----------------------------------------------
    def _on_thread_exception(self, args: Any) -> None:
        """``threading.excepthook``: a conductor thread died of an exception.

        Pool's and ProcessPoolExecutor's own threads do the pool's work; one that dies (a
        process limit: "can't start new thread", or a forkserver that could not fork) leaves
        the pool waiting forever, with no process dead for the watch to see. So it fails the
        run like a death. Its traceback still goes to stderr (the run's log).
        """
        if self._previous_excepthook is not None:
            self._previous_excepthook(args)
        if args.exc_type is SystemExit or self._thread_failure is not None:
            return
        thread = args.thread
        name = "?" if thread is None else thread.name
        if thread is not None and type(thread) is not threading.Thread:
            name += f" ({type(thread).__name__})"  # an executor's: "Thread-1" says little
        self._thread_failure = ThreadFailed(name, args.exc_value)
        self._wake()

    # -- told by recording processes (recording_context.Recorder) -----------------------
    def process_started(self, proc: Any) -> None:
        """A recording process's ``start()`` has returned: if it forked, the thread may
        come back now (see :meth:`_after_fork_in_parent`)."""
        self._resume_after_fork()

    def process_ended_by_owner(self, proc: Any) -> None:
        """`proc`'s owner terminates or kills it while it runs: that end is no failure."""
        self._ended_by_owner.add(proc.pid)

    # -- around forks (any thread that forks) --------------------------------------------
    def _before_fork(self) -> None:
        if threading.get_ident() == self._main_ident:
            # An interrupt raised in an at-fork hook would be swallowed ("Exception ignored")
            # and the failure lost: in the hooks it only defers, and the watch sends it again.
            self._in_fork_hook = True
        with self._fork_lock:
            self._forking += 1
            if self._forking == 1:
                self._runner.stop(timing.STOP_FOR_FORK_S, self._wake)

    def _after_fork_in_parent(self) -> None:
        if threading.get_ident() == self._main_ident:
            self._in_fork_hook = False
        with self._fork_lock:
            self._forking -= 1
            if recording_context.in_process_start():
                # Once start() returns (_resume_after_fork): by then the fork's thread count
                # for CPython's warning is taken, on every Python version.
                self._resume_due = True
                return
        self._resume_after_fork(due=True)

    def _resume_after_fork(self, due: bool = False) -> None:
        """Start the watch thread again, if a fork stopped it and no other is under way."""
        with self._fork_lock:
            if not (due or self._resume_due) or self._forking or self._closed:
                return
            self._resume_due = False
            if self._runner.alive():
                return
            try:
                self._runner.start()
            except RuntimeError as exc:  # "can't start new thread": a process limit
                self._broken = RuntimeError(
                    f"mpgui's child watch could not start its thread again ({exc}); "
                    "deaths of this run's processes would go unseen"
                )
                if not self._raised:
                    signal.pthread_kill(self._main_ident, INTERRUPT_SIGNAL)

    # -- the main thread -----------------------------------------------------------------
    def _on_interrupt(self, _signum: int, _frame: Any) -> None:
        if self._in_fork_hook:
            return  # not raised, so the watch asks again (see _act)
        if self._shield_depth:
            self._deferred = True
            return
        self._raise_pending()

    def _raise_pending(self) -> None:
        failure = self._pending()
        if failure is None or self._raised or self._stop_event.is_set() or self._disarmed:
            return
        self._raised = True
        if isinstance(failure, WorkerFailed):
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


def _peek_exit_code(pid: int) -> int | None:
    """How child `pid` ended (a negative code for a signal), without reaping it; None if it
    has not ended or cannot be asked (reaped already, or no ``waitid`` here)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except (AttributeError, ChildProcessError, OSError):
        return None
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _by_signal_first(proc: Any) -> int:
    code = mp_private.reaped_exit_code(proc)
    if code is None:
        code = _peek_exit_code(proc.pid)
    return 0 if code is not None and code < 0 else 1


_fork_hooks_registered = False


def _register_fork_hooks() -> None:
    """Stop the active watch's thread around every fork of this process (once per process).

    ``os.register_at_fork`` cannot be undone, so the hooks are registered once and act on
    whichever watch is active (none in a forked child: it starts without one).
    """
    global _fork_hooks_registered
    if _fork_hooks_registered:
        return
    _fork_hooks_registered = True

    def before() -> None:
        if _active is not None:
            _active._before_fork()  # noqa: SLF001

    def after_in_parent() -> None:
        if _active is not None:
            _active._after_fork_in_parent()  # noqa: SLF001

    def after_in_child() -> None:
        # A forked worker starts with no watch: not the conductor's wake pipe (its own
        # signals would wake the conductor's watch) nor its excepthook.
        global _active
        if _active is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.set_wakeup_fd(-1)
            threading.excepthook = threading.__excepthook__
        _active = None

    os.register_at_fork(
        before=before, after_in_parent=after_in_parent, after_in_child=after_in_child
    )


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


def failing() -> bool:
    """True once a process of this run has died badly (or a thread of the conductor): the run
    has failed, and its cleanup should not wait for anything (a dead worker may hold the very
    lock it would wait on)."""
    return _active is not None and _active._first_failure() is not None  # noqa: SLF001


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run a cleanup block that the watch's interrupt must not cut short (no-op without one)."""
    # get_ident, not current_thread(): from the watch's own (_thread) thread that would make
    # a _DummyThread, kept in threading's registry for good, at every restart.
    if _active is None or threading.get_ident() != threading.main_thread().ident:
        yield
        return
    with _active.shielded():
        yield
