"""Running ``mpgui`` under a limit a test sets: few processes and threads, or a full /dev/shm.

- A cap on processes *and threads* (what ``ulimit -u`` caps for a user) comes from a pids
  cgroup of the test's own, so it counts only the command's own tree, and binds root too
  (``ulimit -u`` does not).
- A full ``/dev/shm`` is a tiny tmpfs mounted over it in a private mount namespace
  (``unshare -m``): the machine's own ``/dev/shm`` is never touched.

Both need root (or the rights to make cgroups and namespaces); tests skip where they are
missing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

#: Where a pids cgroup can be made: the cgroup v1 pids hierarchy, or the v2 unified one.
_PIDS_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup")
_names = itertools.count()


def _pids_root() -> str | None:
    for root in _PIDS_ROOTS:
        probe = os.path.join(root, f"mpgui-test-probe-{os.getpid()}")
        try:
            os.mkdir(probe)
        except OSError:
            continue
        try:
            if os.path.exists(os.path.join(probe, "pids.max")):
                return root
        finally:
            os.rmdir(probe)
    return None


PIDS_ROOT = _pids_root()


def can_unshare_mounts() -> bool:
    """True if a private mount namespace with its own tmpfs can be made here."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /dev/shm"],
        capture_output=True,
    )
    return probe.returncode == 0


@contextlib.contextmanager
def pids_cgroup(limit: int) -> Iterator[str]:
    """A fresh pids cgroup allowing `limit` tasks; yields its ``cgroup.procs`` path.

    Removed afterwards, once the processes in it have gone (within a bound).
    """
    assert PIDS_ROOT is not None
    path = os.path.join(PIDS_ROOT, f"mpgui-test-{os.getpid()}-{next(_names)}")
    os.mkdir(path)
    try:
        with open(os.path.join(path, "pids.max"), "w") as f:
            f.write(str(limit))
        yield os.path.join(path, "cgroup.procs")
    finally:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with open(os.path.join(path, "cgroup.procs")) as f:
                if not f.read().strip():
                    break
            time.sleep(0.05)  # waiting for other processes to be reaped: no signal to await
        with contextlib.suppress(OSError):
            os.rmdir(path)


def mpgui_limited(args: list[str], tasks: int, timeout: float = 30) -> subprocess.CompletedProcess:
    """``python -m mpgui *args`` allowed at most `tasks` processes and threads in all."""
    with pids_cgroup(tasks) as procs:
        return subprocess.run(
            ["sh", "-c", f'echo $$ > {procs} && exec "$@"', "sh", sys.executable, "-m", "mpgui"]
            + args,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def mpgui_with_shm(
    args: list[str], size: str, files: int | None = None, timeout: float = 30
) -> subprocess.CompletedProcess:
    """``python -m mpgui *args`` with a private ``/dev/shm`` of `size` (e.g. ``"16k"``), and
    room for at most `files` files in it (its inodes; its root directory takes one)."""
    options = f"size={size}" if files is None else f"size={size},nr_inodes={files + 1}"
    script = f'mount -t tmpfs -o {options} tmpfs /dev/shm && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", sys.executable, "-m", "mpgui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
