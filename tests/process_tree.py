"""Starting an mpgui command as a subprocess and finding the run's whole process tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil


def start_run_tree(args: list[str], descendants: int, **popen_args):
    """Start ``python -m mpgui *args``; wait until its conductor has `descendants` processes.

    Returns the command's Popen and the run's tree: the conductor (a process-group leader
    among the command's children) and everything under it — workers, a Manager's server.
    """
    cli = subprocess.Popen([sys.executable, "-m", "mpgui", *args], **popen_args)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            kids = psutil.Process(cli.pid).children()
            leaders = [p for p in kids if os.getpgid(p.pid) == p.pid]
            if leaders and len(leaders[0].children(recursive=True)) >= descendants:
                return cli, [leaders[0], *leaders[0].children(recursive=True)]
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
        time.sleep(0.05)  # waiting on another process to start: there is no signal to await
    cli.kill()
    cli.wait()
    raise AssertionError(f"the run's {descendants} processes did not start within 30 s")


def orphaned_shm() -> set[str]:
    """Entries in /dev/shm that no process maps or has open: what a run that leaked left.

    /dev/shm is the whole machine's, and other programs' live semaphores come and go in it;
    an entry nobody holds is a leak (or about to be unlinked — callers wait a moment).
    Matched by inode, because glibc maps a new semaphore under a temporary name.
    """
    by_inode = {}
    for name in os.listdir("/dev/shm") if os.path.isdir("/dev/shm") else ():
        try:
            by_inode[os.stat(f"/dev/shm/{name}").st_ino] = name
        except OSError:
            continue
    for pid in psutil.pids():
        try:
            with open(f"/proc/{pid}/maps") as maps:  # the inode is the fifth field
                for line in maps:
                    if " /dev/shm/" in line:
                        by_inode.pop(int(line.split()[4]), None)
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("/dev/shm/"):
                    by_inode.pop(os.stat(f"/proc/{pid}/fd/{fd}").st_ino, None)
        except OSError:
            continue  # gone, or not ours to read
    return set(by_inode.values())


def shm_entries() -> set[str]:
    """The names in /dev/shm now (empty where there is none)."""
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


def wait_for(condition, timeout_s: float) -> bool:
    """Poll `condition` until it holds or `timeout_s` passes; its last value.

    For waiting on other processes to end, which sends no Qt signal to wait on.
    """
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()
