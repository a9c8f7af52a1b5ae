"""Every private ``multiprocessing`` name mpgui touches, here and nowhere else, each with why.

mpgui uses public routes where they exist: a context whose ``Process`` records its starts and
ends (:mod:`~mpgui.core.child.recording_context`) for the pools, executors and managers it
creates, a pipe and a lock of its own for the run's events
(:mod:`~mpgui.core.protocol.channel`), ``signal.raise_signal`` for a real crash. What is left
has no public route; ``tests/unit/test_architecture.py`` fails if any other module of ``src/`` names
one of these, and ``tests/unit/core/test_mp_private.py`` checks each still exists and does what
is relied on, on the running Python (DESIGN: 3.11, 3.12, 3.13).

``multiprocessing.process._children``
    The set ``BaseProcess.start()`` adds every started process to, whatever context or class
    made it. Swapped for a recording set (:func:`watch_children`), it is the one place where
    the child watch sees *every* process, however started — also those of code mpgui did not
    write (a learner's own script, traced unmodified).
``BaseProcess._popen`` (its ``returncode``)
    Whether a process's owner has already reaped it, and with what exit code, asked without
    reaping it (``exitcode`` and ``is_alive()`` reap): :func:`reaped_exit_code`. The watch must
    never take an exit code from under the owner (a Pool's worker handler, an executor's
    manager thread), which would then wait for it.
``BaseProcess._config`` (of ``current_process()``)
    Its ``semprefix`` (what ``SemLock`` names new semaphores with) and ``tempdir`` (what
    ``util.get_temp_dir()`` hands out), both inherited by child processes: naming a run's
    semaphores and temporary directory after the run lets the host remove what a killed run
    left behind (:func:`process_config`).
``util._remove_temp_dir``
    The finalizer ``get_temp_dir()`` registers for the directory it makes: registered the same
    way for the run's own directory (:func:`remove_temp_dir_at_exit`), and run early when a
    conductor ends without its exit handlers (:func:`temp_dir_finalizers`).
``util._finalizer_registry`` and ``Finalize._callback``
    The finalizers registered in this process, and what each calls: a conductor ending in a
    hurry runs only the semaphores' and the temporary directory's — a Queue's or a Pool's
    would wait on threads and processes that are gone.
``synchronize.SemLock._cleanup``
    The callback of a named semaphore's finalizer (unlink it, unregister it from the resource
    tracker): how those finalizers are told apart (:func:`semaphore_finalizers`).
``resource_tracker._resource_tracker`` and its ``_lock`` (``RLock._is_owned``)
    The process's resource tracker client and the lock it holds while it talks to the tracker.
    A semaphore's cleanup unregisters it, which takes that lock; in a signal handler the
    interrupted thread may be holding it — and since it became an ``RLock`` (gh-109629; the
    3.11.7 here has it), a non-blocking acquire *succeeds* in that very thread, and the
    unregister re-enters (``ReentrantCallError``). :func:`tracker_busy` sees both cases.
``_multiprocessing.sem_unlink``
    What ``SemLock`` unlinks a named semaphore with: the host removes those a killed run left
    in ``/dev/shm`` (:func:`sem_unlink`).
"""

from __future__ import annotations

import multiprocessing.process as mp_process
from collections.abc import Callable
from multiprocessing import resource_tracker, util
from typing import Any


# -- seeing every process ---------------------------------------------------------------------
class _RecordingSet(set):
    """``multiprocessing.process._children``, also telling `on_add` about each new process."""

    def __init__(self, items: Any, on_add: Callable[[Any], None]) -> None:
        super().__init__(items)
        self._on_add = on_add

    def add(self, proc: Any) -> None:  # noqa: D102 - set.add, recorded
        super().add(proc)
        self._on_add(proc)


def watch_children(on_add: Callable[[Any], None]) -> Callable[[], None]:
    """From now on, call `on_add` with every process this process starts (in the starting
    thread, as ``start()`` records it). Returns the undo, which puts a plain set back.

    Only this process's own set: a child starts with a fresh one.
    """
    mp_process._children = _RecordingSet(mp_process._children, on_add)  # noqa: SLF001

    def undo() -> None:
        mp_process._children = set(mp_process._children)  # noqa: SLF001

    return undo


def reaped_exit_code(proc: Any) -> int | None:
    """`proc`'s exit code if its owner has already reaped it; None if not (or not started, or
    closed). Never reaps it."""
    popen = getattr(proc, "_popen", None)
    return None if popen is None else popen.returncode


# -- naming a run's OS objects ----------------------------------------------------------------
def process_config() -> dict[str, Any]:
    """This process's multiprocessing configuration (``semprefix``, ``tempdir``, …), which
    processes it starts inherit. Changes to the dict take effect."""
    return mp_process.current_process()._config  # noqa: SLF001


def remove_temp_dir_at_exit(path: str) -> None:
    """Remove directory `path` at this process's normal exit, as ``util.get_temp_dir()`` does
    for the one it makes (same finalizer, same priority)."""
    import shutil  # noqa: PLC0415

    util.Finalize(None, util._remove_temp_dir, args=(shutil.rmtree, path), exitpriority=-100)  # noqa: SLF001


def sem_unlink(name: str) -> None:
    """Unlink the named semaphore `name` (``OSError`` if there is none)."""
    import _multiprocessing  # noqa: PLC0415 - the C module SemLock itself uses

    _multiprocessing.sem_unlink(name)


# -- ending without exit handlers -------------------------------------------------------------
def _finalizers_calling(callback: Callable[..., Any]) -> list[Callable[[], Any]]:
    registry = util._finalizer_registry  # noqa: SLF001
    return [f for f in list(registry.values()) if getattr(f, "_callback", None) is callback]


def semaphore_finalizers() -> list[Callable[[], Any]]:
    """The registered finalizers of this process's named semaphores: each unlinks one and
    unregisters it from the resource tracker when called."""
    from multiprocessing import synchronize  # noqa: PLC0415 - a worker may never need it

    return _finalizers_calling(synchronize.SemLock._cleanup)  # noqa: SLF001


def temp_dir_finalizers() -> list[Callable[[], Any]]:
    """The registered finalizers that remove a multiprocessing temporary directory this
    process made."""
    return _finalizers_calling(util._remove_temp_dir)  # noqa: SLF001


def tracker_busy() -> bool:
    """True if this process's resource tracker client is in use — by another thread, or by
    this very thread (interrupted by a signal handler in the middle of it): calling into it
    now (``unregister``) would wait for good, or re-enter."""
    lock = resource_tracker._resource_tracker._lock  # noqa: SLF001
    is_owned = getattr(lock, "_is_owned", None)  # an RLock's; a plain Lock cannot re-enter
    if is_owned is not None and is_owned():
        return True
    if not lock.acquire(blocking=False):
        return True
    lock.release()
    return False
