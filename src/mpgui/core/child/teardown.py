"""How a conductor that is told to end (SIGTERM), or whose run failed, goes without leaving
anything behind.

Ending the process group with one ``SIGKILL`` is quick, but it skips every cleanup. The
named semaphores behind the run's Locks, Values and Queues (under spawn and forkserver they
stay in ``/dev/shm`` until unlinked) would then be left for the resource tracker, which
unlinks them when the host exits — and prints "There appear to be N leaked semaphore objects"
on the user's terminal. So the conductor first kills every *other* process of its group, then
unlinks the semaphores it registered, and only then ends itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import NoReturn

from mpgui.core import ending, mp_private


class OwnGroup(ending.PolledTarget):
    """This process's own group as an :class:`~mpgui.core.ending.Target`: every *other*
    process in it, or — `with_me` — the whole group, this process included (one ``killpg``:
    nothing started meanwhile escapes it).

    Found through ``/proc`` (Linux), not :func:`mpgui.core.host.handle.live_group_members`:
    this runs in a signal handler, where importing psutil (which the conductor never loads
    otherwise) could wait on an import lock the interrupted thread holds.
    """

    def __init__(self, with_me: bool = False) -> None:
        self.with_me = with_me

    @staticmethod
    def others() -> list[int]:
        """Pids of the other processes in this process's group (zombies included)."""
        me, group = os.getpid(), os.getpgrp()
        if not os.path.isdir("/proc"):
            return []
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry)) == group:
                    found.append(int(entry))
        return found

    def alive(self) -> bool:  # noqa: D102 - see ending.Target
        return self.with_me or bool(self.others())

    def signal(self, sig: int) -> None:  # noqa: D102 - see ending.Target
        if self.with_me:
            os.killpg(os.getpgrp(), sig)
            return
        for pid in self.others():
            with contextlib.suppress(OSError):
                os.kill(pid, sig)


def kill_rest_of_group() -> None:
    """SIGKILL every process in this process's group except this one, without waiting.

    The escalation in a hurry, with nothing to reap: the killed are this process's children
    (reaped when it exits) or orphans (init's).
    """
    ending.end(OwnGroup(), hurry=True)


def kill_whole_group() -> NoReturn:
    """SIGKILL this process's whole group, this process with it (nobody is left to end a
    straggler: the host is gone)."""
    ending.end(OwnGroup(with_me=True), hurry=True)
    os._exit(128 + signal.SIGKILL)  # not reached: SIGKILL has ended this process


def release_semaphores() -> bool:
    """Unlink the named semaphores this process created and still holds, and unregister them
    from the resource tracker; False if that had to be skipped, or failed for one.

    Runs only the semaphores' own finalizers, not every finalizer: a Queue's or a Pool's
    would wait on threads and processes that are gone. Skipped while the resource tracker
    is in use (:func:`~mpgui.core.mp_private.tracker_busy`): by another thread, waiting for
    it here might never end; by this very thread — a signal handler that interrupted it
    there — unregistering would re-enter it, and a semaphore would be unlinked but stay
    registered (the tracker would warn about it, and try to unlink it again, at the host's
    exit). Skipped, they stay registered and in ``/dev/shm``, where the host removes them
    and unregisters them once the run's group is gone (``run_names.remove_leftovers``).

    A semaphore that cannot be released is said on stderr (the run's log), not hidden, and
    the rest are still released: this runs while the process is ending, where raising would
    cut the ending short.
    """
    if mp_private.tracker_busy():
        return False
    released = True
    for finalizer in mp_private.semaphore_finalizers():
        try:
            finalizer()  # unlink, then unregister
        except Exception as exc:  # noqa: BLE001 - said below; the ending must go on
            released = False
            # os.write, not print: the interrupted thread may hold sys.stderr's lock.
            with contextlib.suppress(OSError):
                os.write(2, f"mpgui: a semaphore was not released: {exc!r}\n".encode())
    return released


def flush_output() -> None:
    """Flush this process's stdout and stderr (before an exit that skips it)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def end_now() -> NoReturn:
    """End a conductor whose run is over but whose objects may never be torn down.

    After a failure or a Stop, a Pool or a Manager may wait forever on a lock a dead process
    holds, and ``multiprocessing``'s exit handlers would wait with them. The run has already
    reported its outcome; so every other process of the group is killed, the semaphores
    unlinked, and this process exits without running those handlers.
    """
    leave_nothing()
    flush_output()
    os._exit(0)


def leave_nothing() -> None:
    """Kill every other process of the group, then release the run's semaphores and its temp
    directory: what every ending of a conductor does before it exits."""
    kill_rest_of_group()
    release_semaphores()
    remove_temp_dir()


def remove_temp_dir() -> None:
    """Remove the ``multiprocessing`` temporary directory (``/tmp/pymp-…``: a forkserver's
    socket, a Manager's) that *this* process made, as its skipped exit handlers would have.

    Only by running the finalizer ``multiprocessing`` registered where it made the directory:
    a spawned process inherits its parent's ``tempdir`` setting, and that one is not its own.
    """
    for finalizer in mp_private.temp_dir_finalizers():
        with contextlib.suppress(OSError):  # rmtree of a directory someone removed meanwhile
            finalizer()


def die_by(sig: int) -> NoReturn:
    """End this process by signal `sig`'s default action, so its parent sees it (-`sig`).

    Called from the signal's own handler, in whichever thread runs it: the child watch's
    thread too, where ``signal.signal`` may not be called — so the action is reset in C
    there (a Python handler would only set a flag nobody reads any more).
    """
    if threading.get_ident() == threading.main_thread().ident:
        signal.signal(sig, signal.SIG_DFL)
    else:
        import ctypes  # noqa: PLC0415 - loaded already on Linux (PR_SET_PDEATHSIG)

        libc = ctypes.CDLL(None)
        libc.signal.restype = ctypes.c_void_p
        libc.signal.argtypes = (ctypes.c_int, ctypes.c_void_p)
        libc.signal(sig, None)  # SIG_DFL is 0
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)  # not reached: the default action has ended the process
