"""What the conductor hands a scenario's ``run``: its start method's context, its probe, and
the ways to start workers that mpgui can watch and always end (processes, a Pool, an executor,
a Manager)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mpgui.core import ending, timing
from mpgui.core.child import child_watch, recording_context
from mpgui.core.child import workers as workers_mod
from mpgui.core.child.timed import WarmPool
from mpgui.core.protocol import probe as probe_mod

if TYPE_CHECKING:  # imported where used: every spawn worker imports this module
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.managers import SyncManager

    from mpgui.core.protocol.channel import EventChannel


class _PoolEnding:
    """A Pool as an :class:`~mpgui.core.ending.Target`: its "SIGTERM" is ``pool.terminate()``
    (which terminates its workers, then joins them), run in a thread of its own; its
    "SIGKILL" kills the workers still alive. Alive while ``terminate()`` has not returned.

    ``Pool.terminate()`` can wait forever: for a worker that ignores SIGTERM (it joins every
    worker), and for the task queue's lock when a worker died holding it — an idle worker
    holds that lock while it waits for work, so killing it there (the OOM killer, a user's
    ``kill``) leaves the lock held by nobody alive. Hence the thread, and the kill after a
    grace. If ``terminate()`` is still stuck after that, it is left behind in its daemon
    thread (a failed run's conductor ends every process anyway); the pool has already
    stopped starting new workers by then: that is the first thing ``terminate()`` does.
    """

    def __init__(self, pool: multiprocessing.pool.Pool, made: Callable[[], list[Any]]) -> None:
        self.pool = pool
        self._made = made  # every process the pool's context made: its workers
        self._ender: threading.Thread | None = None

    def alive(self) -> bool:
        """True until ``terminate()`` has returned."""
        return self._ender is None or self._ender.is_alive()

    def signal(self, sig: int) -> None:
        """SIGTERM: start ``terminate()``; SIGKILL: kill the workers it has not ended."""
        if sig != signal.SIGKILL:
            self._ender = threading.Thread(
                target=_terminate_and_join, args=(self.pool,), name="mpgui-pool-end", daemon=True
            )
            self._ender.start()
            return
        stragglers = [p for p in self._made() if p.exitcode is None]
        ending.end_processes(stragglers, hurry=True)

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` s for ``terminate()`` to return."""
        if self._ender is not None:
            self._ender.join(timeout)


def _end_pool(pool: multiprocessing.pool.Pool, made: Callable[[], list[Any]]) -> None:
    """``pool.terminate()`` and join, never waiting long on anything a dead process holds.

    `made` lists the pool's workers (what its context made). The escalation on
    :class:`_PoolEnding`: ``terminate()`` gets
    :data:`~mpgui.core.timing.WORKER_TERM_GRACE_S`, then the workers still alive are killed,
    and ``terminate()`` gets :data:`~mpgui.core.timing.POOL_TERMINATE_FINISH_S` more to
    finish. Once the run has failed (``child_watch.failing()``), when the pool's workers have
    nothing left to do, ``terminate()`` gets only
    :data:`~mpgui.core.timing.POOL_HURRIED_TERMINATE_S` and is not waited for after the kill.
    """
    hurry = child_watch.failing()
    ending.end(
        _PoolEnding(pool, made),
        term_grace_s=timing.POOL_HURRIED_TERMINATE_S if hurry else timing.WORKER_TERM_GRACE_S,
        reap_s=0.0 if hurry else timing.POOL_TERMINATE_FINISH_S,
    )


def _terminate_and_join(pool: multiprocessing.pool.Pool) -> None:
    pool.terminate()
    pool.join()


def _close_and_join(pool: multiprocessing.pool.Pool) -> None:
    pool.close()
    pool.join()


def _end_thread_pool(pool: multiprocessing.pool.ThreadPool, ended_well: bool) -> None:
    """Close and join a thread pool whose block ended well, else terminate it.

    Threads cannot be killed, and ``join()`` and ``terminate()`` wait for busy ones: the
    ending runs in a thread of its own, waited for with a bound. After a good end the
    threads must be gone (:data:`~mpgui.core.timing.THREAD_POOL_JOIN_S`), or the run fails:
    a fork after this would copy a process with threads running. After an error they get
    :data:`~mpgui.core.timing.THREAD_POOL_END_S` and are left to the conductor's exit.
    """
    end = _close_and_join if ended_well else _terminate_and_join
    ender = threading.Thread(target=end, args=(pool,), name="mpgui-threads-end", daemon=True)
    ender.start()
    ender.join(timing.THREAD_POOL_JOIN_S if ended_well else timing.THREAD_POOL_END_S)
    if ended_well and ender.is_alive():
        raise RuntimeError(
            f"the thread pool's threads were still busy {timing.THREAD_POOL_JOIN_S:.0f} s "
            "after its block ended (a task still running?)"
        )


def _init_worker(
    channel: EventChannel,
    stop_event: Any,
    ready: Any,
    initializer: Callable[..., Any] | None,
    initargs: tuple,
) -> None:
    """A pool worker's initializer: install its probe, run the scenario's own initializer,
    then say it is ready (`ready`, a semaphore, or None)."""
    probe_mod.install(channel, stop_event)
    if initializer is not None:
        initializer(*initargs)
    if ready is not None:
        ready.release()


def _init_thread(
    parent: probe_mod.Probe,
    ready: threading.Semaphore,
    made: list[probe_mod.Probe],
    initializer: Callable[..., Any] | None,
    initargs: tuple,
    failed: list[BaseException],
) -> None:
    """A thread pool's thread's initializer: make it a thread lane ("thread 1", …), run the
    scenario's initializer, say it is ready.

    An initializer that raises is kept in `failed` for the pool's owner to raise, and the
    thread still says it is ready: a ThreadPool replaces a thread whose initializer failed,
    again and again, each a new lane, until the owner gave up waiting.
    """
    with _made_lock:
        label = f"thread {len(made) + 1}"
        made.append(probe_mod.install_thread(parent, label))
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException as exc:  # noqa: BLE001 - raised again in the owner's thread
        failed.append(exc)
    ready.release()


#: Guards the list of a thread pool's probes while its threads add themselves.
_made_lock = threading.Lock()


def _wait_ready(ready: Any, workers: int, should_stop: Callable[[], bool], what: str) -> None:
    """Wait until `ready` was released `workers` times, or Stop; fail past POOL_READY_S.

    Waits in slices: a worker that dies while starting is the child watch's to report, and
    the watch interrupts this wait like any other.
    """
    deadline = time.monotonic() + timing.POOL_READY_S
    for _ in range(workers):
        while not ready.acquire(timeout=timing.WORKER_POLL_S):
            if should_stop():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the {what}'s {workers} workers were not all ready after "
                    f"{timing.POOL_READY_S:.0f} s"
                )


def _run_probed(
    channel: EventChannel,
    stop_event: Any,
    label: str,
    target: Callable[..., Any],
    args: tuple,
    role: str = "worker",
) -> None:
    """Body of :meth:`RunContext.process` workers: report through a probe, run the target."""
    probe_mod.install(channel, stop_event, role=role, label=label)
    target(*args)


class RunContext:
    """What a scenario's ``run`` gets from the conductor.

    `mp` is the multiprocessing context for the start method the user chose — a
    :func:`~mpgui.core.child.recording_context.recording_context`, whose processes tell the
    child watch when their owner ends them; `probe` is the
    conductor's own probe (its lane is labelled "main"); `channel` (the run's event channel)
    and `stop_event` are the run's, for handing to worker processes.
    """

    def __init__(
        self, mp: Any, probe: probe_mod.Probe, channel: EventChannel, stop_event: Any
    ) -> None:
        self.mp = mp
        self.probe = probe
        self.channel = channel
        self.stop_event = stop_event
        # Each live pool's "what its context made" (its workers), and the pools map_or_stop
        # ended on Stop, by id.
        self._made_by: dict[int, Callable[[], list[Any]]] = {}
        self._ended: dict[int, Any] = {}

    @property
    def start_method(self) -> str:
        """The start method workers are created with."""
        return self.mp.get_start_method()

    def context(self, method: str) -> Any:
        """A context for start method `method` like :attr:`mp` (its processes record), for a
        scenario that starts processes with another method than the run's."""
        return recording_context.recording_context(method)

    def should_stop(self) -> bool:
        """True once the user pressed Stop."""
        return self.stop_event.is_set()

    def process(
        self, target: Callable[..., Any], *args: Any, label: str = "", role: str = "worker"
    ) -> Any:
        """An unstarted worker ``Process`` that installs a probe, then runs ``target(*args)``.

        `label` names its lane. Start and wait for it with :meth:`running`. `role` is
        ``"server"`` for a process that serves the workers rather than being one (web-fetch's
        page server): its lane is named by its label, and it is no entry of a result's
        ``workers``.
        """
        return self.mp.Process(
            target=_run_probed, args=(self.channel, self.stop_event, label, target, args, role)
        )

    def start_line(self, workers: int) -> workers_mod.StartLine:
        """A :class:`~mpgui.core.child.workers.StartLine` for `workers` processes (give it to
        each)."""
        return workers_mod.StartLine(self.mp, workers)

    def check_workers(self, processes: list[Any]) -> None:
        """Raise :class:`~mpgui.core.child.workers.WorkerFailed` if one of `processes` died badly.

        For loops that wait on something else (a queue, a list) while workers run.
        """
        workers_mod.check_exits(processes, self.should_stop())

    @contextmanager
    def running(
        self, processes: list[Any], start_line: workers_mod.StartLine | None = None
    ) -> Iterator[None]:
        """Start `processes`, run the block, then wait for all of them to exit.

        With a `start_line` (from :meth:`start_line`, passed to every worker), the block
        begins once every worker is started and waiting at the line, and they are released
        together. A worker that exits badly raises :class:`~mpgui.core.child.workers.WorkerFailed`
        (not on Stop): within ~50 ms while waiting at the line or after the block, and when
        the block ends if it died during it (a block that waits on something else should call
        :meth:`check_workers`). However the block ends, no worker outlives it: the rest are
        terminated, then killed.
        """
        try:
            for proc in processes:
                proc.start()
            if start_line is not None:
                start_line.release(processes, self.should_stop)
            yield
            workers_mod.wait_all(processes, self.should_stop)
        finally:
            workers_mod.end_all(processes)

    @contextmanager
    def pool(
        self,
        processes: int,
        initializer: Callable[..., Any] | None = None,
        initargs: tuple = (),
        _ready: Any = None,
    ) -> Iterator[multiprocessing.pool.Pool]:
        """A ``Pool`` whose workers report through a probe, then run ``initializer(*initargs)``.

        On a normal exit the pool is closed and joined — not terminated, as ``with Pool()``
        would — so every worker exits normally and its probe flushes its last events.
        """
        # A context of the pool's own: what it made is exactly the pool's workers.
        mp = recording_context.recording_context(self.start_method)
        pool = mp.Pool(
            processes,
            initializer=_init_worker,
            initargs=(self.channel, self.stop_event, _ready, initializer, initargs),
        )
        self._made_by[id(pool)] = mp.made
        try:
            yield pool
        except BaseException:
            with child_watch.shielded():
                _end_pool(pool, mp.made)
            raise
        finally:
            del self._made_by[id(pool)]
        if self._ended.pop(id(pool), None) is not None:
            return  # map_or_stop ended it on Stop: nothing left to close or join
        with child_watch.shielded():
            pool.close()
            pool.join()

    def map_or_stop(
        self, pool: multiprocessing.pool.Pool, fn: Callable[..., Any], items: Any, chunksize=1
    ) -> list[Any] | None:
        """``pool.map(fn, items, chunksize)`` on a :meth:`pool`, which Stop cuts short: None
        if it did.

        For maps whose tasks cannot look at Stop themselves (100,000 squares one at a time):
        ``Pool.map`` is ``map_async(...).get()``, and waiting for the result in
        :data:`~mpgui.core.timing.WORKER_POLL_S` steps costs nothing next to the map. On
        Stop the pool is ended at once, with the bounded escalation of an error (the tasks
        still queued are dropped, where leaving the pool normally would first run them all);
        its block then skips closing it.
        """
        result = pool.map_async(fn, items, chunksize)
        while not result.ready():
            if self.should_stop():
                with child_watch.shielded():
                    _end_pool(pool, self._made_by[id(pool)])
                self._ended[id(pool)] = pool
                return None
            result.wait(timing.WORKER_POLL_S)
        return result.get()

    @contextmanager
    def private_dir(self, prefix: str) -> Iterator[str]:
        """A new directory of this run's own (``tempfile.mkdtemp``), removed when the block
        ends, however it ends.

        It is made inside the run's temporary directory, under ``TMPDIR``, which the host
        removes if the conductor is killed; without one (a bare test), in the system's.
        """
        import shutil  # noqa: PLC0415 - not needed by every worker that imports this
        import tempfile  # noqa: PLC0415

        from mpgui.core import mp_private  # noqa: PLC0415

        folder = tempfile.mkdtemp(prefix=prefix, dir=mp_private.process_config().get("tempdir"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def warm_pool(
        self, processes: int, initializer: Callable[..., Any] | None = None, initargs: tuple = ()
    ) -> Iterator[WarmPool]:
        """A :meth:`pool` whose `processes` workers have all started and run `initializer`
        before the block begins (a timed region times only the work), and how long that took.
        """
        ready = self.mp.Semaphore(0)
        t0 = time.perf_counter()
        with self.pool(processes, initializer, initargs, _ready=ready) as pool:
            _wait_ready(ready, processes, self.should_stop, "pool")
            if self.should_stop():
                # Stop during the start: closing and joining would wait for workers still
                # starting (a spawn worker imports for a second); end them, bounded, now.
                with child_watch.shielded():
                    _end_pool(pool, self._made_by[id(pool)])
                self._ended[id(pool)] = pool
            yield WarmPool(pool, (time.perf_counter() - t0) * 1000.0)

    @contextmanager
    def warm_thread_pool(
        self, threads: int, initializer: Callable[..., Any] | None = None, initargs: tuple = ()
    ) -> Iterator[WarmPool]:
        """A ``multiprocessing.pool.ThreadPool`` of `threads` threads in the conductor, each a
        thread lane of its own (``probe.current()`` in a task is the thread's probe), all
        started and past `initializer` before the block begins.

        Leave its block before making a process pool: a fork start method must not fork a
        process that runs other threads. However the block ends, the threads are ended: a
        normal exit closes and joins the pool; an error terminates it, waiting at most
        :data:`~mpgui.core.timing.THREAD_POOL_END_S` for busy threads. Either way each
        thread's probe then sends what it still holds.
        """
        from multiprocessing.pool import ThreadPool  # noqa: PLC0415 - not in every worker

        ready = threading.Semaphore(0)
        made: list[probe_mod.Probe] = []
        failed: list[BaseException] = []
        t0 = time.perf_counter()
        pool = ThreadPool(
            threads,
            initializer=_init_thread,
            initargs=(self.probe, ready, made, initializer, initargs, failed),
        )
        # The threads' probes have no flusher of their own: one for all of them, for as long
        # as the pool lives (the conductor must not fork meanwhile anyway).
        flushing = threading.Event()
        flusher = threading.Thread(
            target=probe_mod.flush_when_idle,
            args=(made, flushing),
            name="mpgui-threads-flush",
            daemon=True,
        )
        flusher.start()
        ended_well = False
        try:
            _wait_ready(ready, threads, self.should_stop, "thread pool")
            if failed:
                raise failed[0]
            yield WarmPool(pool, (time.perf_counter() - t0) * 1000.0)
            ended_well = True
        finally:
            with child_watch.shielded():
                try:
                    _end_thread_pool(pool, ended_well)
                finally:  # its threads outlived the block (an error): the flusher still ends
                    flushing.set()
                    flusher.join(timing.THREAD_POOL_END_S)
                    for probe in made:
                        probe.flush()

    @contextmanager
    def executor(self, max_workers: int) -> Iterator[ProcessPoolExecutor]:
        """A ``ProcessPoolExecutor`` whose workers report through a probe.

        The executor notices a dead worker itself (``BrokenProcessPool``), so the child watch
        is told not to interrupt for it. On any error, pending tasks are cancelled.
        """
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

        executor = ProcessPoolExecutor(
            max_workers,
            mp_context=self.mp,
            initializer=probe_mod.install,
            initargs=(self.channel, self.stop_event),
        )
        try:
            yield executor
        except BaseException as exc:
            if isinstance(exc, BrokenProcessPool):
                child_watch.claim()
            with child_watch.shielded():
                # After a death, waiting could be forever (the executor joins a worker that
                # ignores SIGTERM); a failed run's conductor ends every process anyway.
                executor.shutdown(wait=not child_watch.failing(), cancel_futures=True)
            raise
        with child_watch.shielded():
            executor.shutdown(wait=True)

    def manager(self) -> SyncManager:
        """A started ``SyncManager`` that only this run can reach; use it in a ``with``.

        It listens where nothing but this machine can connect — a Unix socket in a private
        temporary directory on Linux and macOS, loopback elsewhere — and it asks for a fresh
        random authkey, not the one every process of the run inherits.
        """
        from multiprocessing.managers import SyncManager  # noqa: PLC0415

        address = None if "AF_UNIX" in dir(socket) else ("127.0.0.1", 0)
        manager = SyncManager(address=address, authkey=os.urandom(32), ctx=self.mp)
        manager.start()
        return manager
