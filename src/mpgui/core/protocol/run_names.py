"""A run's named leftovers — semaphores and temp directory — named after the run, so the host
can remove what a killed run left behind.

Every ``multiprocessing`` Lock, Semaphore, Value's lock and Queue has a POSIX named semaphore
behind it; under spawn and forkserver it is a file in ``/dev/shm`` until it is unlinked. The
process that creates one registers it with the resource tracker, which unlinks what is still
registered when it shuts down — and prints "There appear to be N leaked semaphore objects" on
the terminal. A conductor that is SIGKILLed (or stopped, then killed) never unlinks its own,
and the tracker it uses is the *host's* (a spawn child inherits its parent's), so they used to
stay in ``/dev/shm`` until the host exited, and the warning came then. Likewise the run's
temporary directory (``/tmp/pymp-…``: a forkserver's socket, a Manager's) stayed for good.

So every semaphore of a run is named ``/mpgui-<host pid>-<conductor pid>-…`` and its temporary
directory ``pymp-mpgui-<host pid>-<conductor pid>-…``: the conductor sets both for itself and
every process it starts, and once the run's process group is gone the host removes whatever
is left under those names (:func:`remove_leftovers`). The host's own handles on a run (its
queue) are named ``/mpgui-<host pid>-host-…`` (:func:`named`), so a test can check that a run
left nothing, comparing only names its own process made.

There is no public way to choose either name, nor to unlink a named semaphore by its name:
the private ``multiprocessing`` names this needs are in :mod:`mpgui.core.mp_private`
(``process_config``, ``remove_temp_dir_at_exit``, ``sem_unlink``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator

from mpgui.core import mp_private

#: Where Linux keeps named semaphores (as ``sem.<name>`` files).
SHM_DIR = "/dev/shm"


def run_prefix(host_pid: int, conductor_pid: int) -> str:
    """The semaphore name prefix of the run whose conductor is `conductor_pid`."""
    return f"/mpgui-{host_pid}-{conductor_pid}"


def host_prefix(host_pid: int) -> str:
    """The prefix of the semaphores `host_pid` makes for its runs (their queues)."""
    return f"/mpgui-{host_pid}-host"


def _temp_dir_prefix(host_pid: int, conductor_pid: int) -> str:
    return f"pymp-mpgui-{host_pid}-{conductor_pid}-"


def use_run_names(host_pid: int) -> None:
    """In a conductor: name this run's semaphores and temp directory after it (and after
    `host_pid`), for this process and every process it starts from now on.

    The temp directory is made now; if it cannot be (a read-only ``TMPDIR``), the run goes
    on with ``multiprocessing``'s own, made when first needed.
    """
    me = os.getpid()
    config = mp_private.process_config()
    config["semprefix"] = run_prefix(host_pid, me)
    try:
        path = tempfile.mkdtemp(prefix=_temp_dir_prefix(host_pid, me))
    except OSError:
        return
    mp_private.remove_temp_dir_at_exit(path)  # as get_temp_dir() does for its own
    config["tempdir"] = path


@contextlib.contextmanager
def named(prefix: str) -> Iterator[None]:
    """Within the block, semaphores this process creates are named with `prefix`."""
    config = mp_private.process_config()
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


def temp_dirs(host_pid: int) -> list[str]:
    """The temporary directories of `host_pid`'s runs that still exist."""
    return glob.glob(os.path.join(tempfile.gettempdir(), f"pymp-mpgui-{host_pid}-*"))


def remove_leftovers(host_pid: int, conductor_pid: int) -> list[str]:
    """Remove the semaphores and the temp directory the run of `conductor_pid` left behind.

    Call it only once every process of the run has ended: a live process may still use them.
    Returns the semaphore names removed (none when the run ended as it should).
    """
    from multiprocessing import resource_tracker  # noqa: PLC0415

    pattern = os.path.join(tempfile.gettempdir(), _temp_dir_prefix(host_pid, conductor_pid))
    for path in glob.glob(pattern + "*"):
        shutil.rmtree(path, ignore_errors=True)
    mark = "sem." + run_prefix(host_pid, conductor_pid)[1:] + "-"
    removed = []
    for entry in entries(host_pid):
        if not entry.startswith(mark):
            continue
        name = "/" + entry[len("sem.") :]
        try:
            mp_private.sem_unlink(name)
        except OSError:
            continue  # gone meanwhile: nothing of it is left to remove
        removed.append(name)
        # The run registered it with this process's tracker (inherited): take it off there,
        # or the tracker warns about it when this process exits. A tracker that is gone
        # (its pipe broken) has nothing to warn about: only that is passed over.
        with contextlib.suppress(OSError):
            resource_tracker.unregister(name, "semaphore")
    return removed
