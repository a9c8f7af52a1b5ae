"""Worker processes a scenario starts itself (not through a Pool): start them together, watch
them, and never leave one behind.

:meth:`RunContext.running <mpgui.core.child.run_context.RunContext.running>` uses these.
The parent never blocks on something a dead worker could hold up — a barrier, a lock, a
join — without watching the workers' sentinels at the same time, so a worker that crashes is
reported within a poll interval instead of hanging the run.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from mpgui.core import ending, timing
from mpgui.core.child import child_watch
from mpgui.core.child.failures import WorkerFailed


def sleep_until(deadline: float, should_stop: Callable[[], bool]) -> bool:
    """Sleep until `deadline` (``time.monotonic()`` s) in slices of
    :data:`~mpgui.core.timing.WORKER_POLL_S`, looking at `should_stop` between them: True once
    the time has come, False as soon as Stop does (a wait of seconds still stops at once)."""
    while (left := deadline - time.monotonic()) > 0:
        if should_stop():
            return False
        time.sleep(min(left, timing.WORKER_POLL_S))
    return not should_stop()


def said_port(ctx: Any, server: Any, conn: Any, what: str, bound_s: float) -> int:
    """The port a server process (`server`, a run's local server: web-fetch's pages,
    threads-vs-processes' replies) listens on, once it says so on `conn` — or 0 if Stop came
    first. It says a str instead if it cannot listen: the run then fails with that reason
    (``RuntimeError``, `what` naming the server), not with the bare exit of a process the
    learner never asked for; as it does if the server dies or says nothing in `bound_s`.
    `ctx` is the run's :class:`~mpgui.core.child.run_context.RunContext`.
    """
    deadline = time.monotonic() + bound_s
    while not conn.poll(timing.WORKER_POLL_S):
        ctx.check_workers([server])
        if ctx.should_stop():
            return 0
        if time.monotonic() > deadline or server.exitcode is not None:
            raise RuntimeError(f"{what} did not start")
    try:
        said = conn.recv()
    except EOFError:  # it died before a word: its exit says how, if it is a bad one
        server.join(bound_s)
        ctx.check_workers([server])
        raise RuntimeError(f"{what} ended before it said its port") from None
    if isinstance(said, str):
        raise RuntimeError(f"{what} could not listen on 127.0.0.1: {said}")
    ctx.probe.log(f"{what} (pid {server.pid}) listens on 127.0.0.1:{said}")
    return said


def blocks(total: int, parts: int) -> list[range]:
    """``range(total)`` cut into at most `parts` consecutive, nearly equal ranges.

    A worker reports each block as one task, so a run's progress shows as `parts` steps.
    """
    size = max(1, -(-total // parts))  # ceiling division
    return [range(i, min(i + size, total)) for i in range(0, total, size)]


class StartLine:
    """Releases a group of workers at one moment, and times them from there to their finish.

    Pass it to each worker. A worker calls :meth:`wait` before its work and
    :meth:`finished` after it; the parent releases the line (``RunContext.running`` does) and
    reads :meth:`seconds`: from release to the last worker's finish, so neither process
    start-up nor process exit counts as work.
    """

    def __init__(self, mp: Any, workers: int) -> None:
        self._ready = mp.Semaphore(0)
        self._go = mp.Event()
        self._finished = mp.Array(ctypes.c_longlong, workers, lock=False)
        self.released_ns = 0

    # -- in a worker -----------------------------------------------------------------------
    def wait(self) -> None:
        """Say this worker is ready, and wait for the release."""
        self._ready.release()
        self._go.wait()

    def finished(self, slot: int) -> None:
        """Record that worker `slot` (0-based) has finished its work."""
        self._finished[slot] = time.perf_counter_ns()

    # -- in the parent -----------------------------------------------------------------------
    def release(self, processes: list[Any], should_stop: Callable[[], bool]) -> None:
        """Wait until every worker is ready, then release them all.

        Raises :class:`WorkerFailed` if a worker dies first. On Stop, or once no worker is
        left to wait for, releases at once (the workers then see Stop and return).
        """
        for _ in processes:
            while not self._ready.acquire(timeout=timing.WORKER_POLL_S):
                check_exits(processes, should_stop())
                if should_stop() or not any(p.is_alive() for p in processes):
                    self._go.set()
                    return
        self.released_ns = time.perf_counter_ns()
        self._go.set()

    def seconds(self) -> float:
        """From the release to the last recorded finish (0.0 if none finished)."""
        ends = [t for t in self._finished if t]
        return (max(ends) - self.released_ns) / 1e9 if ends and self.released_ns else 0.0


def check_exits(processes: list[Any], stopping: bool) -> None:
    """Raise :class:`WorkerFailed` for a worker that has exited badly (not while stopping)."""
    if stopping:
        return
    for proc in processes:
        code = proc.exitcode  # polls without blocking
        if code not in (None, 0):
            child_watch.claim(proc.pid)  # noticed here: the watch need not interrupt for it
            raise WorkerFailed(proc.pid, code, proc.name)


def wait_all(processes: list[Any], should_stop: Callable[[], bool]) -> None:
    """Wait for every worker to exit; raise :class:`WorkerFailed` as soon as one fails.

    Failing fast matters: the others may be waiting on a lock the dead one held. After Stop,
    waits at most :data:`~mpgui.core.timing.WORKER_STOP_WAIT_S` and returns (the caller ends
    the rest): a worker may be unable to exit by itself, e.g. while its queue's feeder thread
    flushes items that nobody will read any more.
    """
    pending = [p for p in processes if p.pid is not None]
    stopped_at = None
    while pending:
        wait([p.sentinel for p in pending], timing.WORKER_POLL_S)
        if should_stop():
            stopped_at = stopped_at or time.monotonic()
            if time.monotonic() - stopped_at > timing.WORKER_STOP_WAIT_S:
                return
        check_exits(processes, should_stop())
        pending = [p for p in pending if p.exitcode is None]


def end_all(processes: list[Any]) -> None:
    """Terminate whatever of `processes` still runs, kill what ignores that, reap them all
    (:func:`mpgui.core.ending.end_processes`).

    Once the run has failed (:func:`~mpgui.core.child.child_watch.failing`) they are killed at
    once: nothing they could still do matters, and the failure should be reported now.
    """
    with child_watch.shielded():
        ending.end_processes(processes, hurry=child_watch.failing())
