"""A run's named semaphores: named after the run, so what a killed run left can be found.

Every ``multiprocessing`` Lock, Semaphore, Event, Value and Queue has a POSIX named semaphore
behind it; under spawn and forkserver it is a file in ``/dev/shm`` until it is unlinked.
The process that creates one registers it with the resource tracker, which unlinks what is
still registered when it shuts down — and prints "There appear to be N leaked semaphore
objects" on the terminal. A conductor that is SIGKILLed (or whose host is) never unlinks its
own, and the tracker it uses is the *host's* (a spawn child inherits its parent's), so before
this module they stayed in ``/dev/shm`` until the host exited, and the warning came then.

So every semaphore of a run is named ``/mpgui-<host pid>-<conductor pid>-…``: the conductor
sets that prefix for itself and every process it starts, and once the run's process group is
gone the host unlinks and unregisters whatever is left under it (:func:`remove_leftovers`).
The host's own handles on a run (its queue and stop event) are named
``/mpgui-<host pid>-host-…`` (:func:`named`), so a test can check that a run left nothing,
comparing only names its own process made.

Private ``multiprocessing`` names used here, and why: ``current_process()._config["semprefix"]``
(the prefix ``SemLock`` names a new semaphore with: no public way to choose it; children
inherit it with the process object) and ``_multiprocessing.sem_unlink`` (what ``SemLock``
itself unlinks with).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from multiprocessing import process

#: Where Linux keeps named semaphores (as ``sem.<name>`` files).
SHM_DIR = "/dev/shm"


def run_prefix(host_pid: int, conductor_pid: int) -> str:
    """The semaphore name prefix of the run whose conductor is `conductor_pid`."""
    return f"/mpgui-{host_pid}-{conductor_pid}"


def host_prefix(host_pid: int) -> str:
    """The prefix of the semaphores `host_pid` makes for its runs (queue, stop event)."""
    return f"/mpgui-{host_pid}-host"


def use_prefix(prefix: str) -> None:
    """Name every semaphore this process (and each process it starts from now on) creates
    with `prefix`."""
    process.current_process()._config["semprefix"] = prefix  # noqa: SLF001


@contextlib.contextmanager
def named(prefix: str) -> Iterator[None]:
    """Within the block, semaphores this process creates are named with `prefix`."""
    config = process.current_process()._config  # noqa: SLF001
    previous = config.get("semprefix", "/mp")
    config["semprefix"] = prefix
    try:
        yield
    finally:
        config["semprefix"] = previous


def entries(host_pid: int) -> set[str]:
    """The ``/dev/shm`` files of semaphores made for `host_pid`'s runs, by it or them."""
    mark = f"sem.mpgui-{host_pid}-"
    try:
        return {name for name in os.listdir(SHM_DIR) if name.startswith(mark)}
    except OSError:  # no /dev/shm (not Linux): nothing to find
        return set()


def remove_leftovers(host_pid: int, conductor_pid: int) -> list[str]:
    """Unlink and unregister the semaphores the run of `conductor_pid` left behind.

    Call it only once every process of the run has ended: a live process may still use them.
    Returns the names removed (none when the run ended as it should).
    """
    import _multiprocessing  # noqa: PLC0415 - the C module SemLock itself uses
    from multiprocessing import resource_tracker  # noqa: PLC0415

    mark = "sem." + run_prefix(host_pid, conductor_pid)[1:] + "-"
    removed = []
    for entry in entries(host_pid):
        if not entry.startswith(mark):
            continue
        name = "/" + entry[len("sem.") :]
        try:
            _multiprocessing.sem_unlink(name)
        except OSError:
            continue  # gone meanwhile: nothing of it is left to remove
        removed.append(name)
        # The run registered it with this process's tracker (inherited): take it off there,
        # or the tracker warns about it when this process exits.
        with contextlib.suppress(Exception):
            resource_tracker.unregister(name, "semaphore")
    return removed
