"""Starting an mpgui command as a subprocess and finding the run's whole process tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil

from mpgui.core.protocol import run_names

#: How long a test allows for something that must end by itself and must never hang: far above
#: what it takes even on a loaded one-core machine, far below forever. How *soon* things end
#: is measured in benchmarks/, side by side, not asserted in tests.
HANG_BOUND_S = 10.0


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


def run_shm(host_pid: int) -> set[str]:
    """The /dev/shm entries of the runs `host_pid` made (their semaphores), and only those.

    /dev/shm is the whole machine's: other programs' entries come and go in it. A run's are
    named after its host (see :mod:`mpgui.core.protocol.run_names`), so a test checks exactly what
    the processes it started made.
    """
    return run_names.entries(host_pid)


def run_temp_dirs(host_pid: int) -> list[str]:
    """The temporary directories (``pymp-mpgui-<host pid>-…``) of the runs `host_pid` made
    that still exist: a run that ended leaves none."""
    return run_names.temp_dirs(host_pid)


def wait_for(condition, timeout_s: float) -> bool:
    """Poll `condition` until it holds or `timeout_s` passes; its last value.

    For waiting on other processes to end, which sends no Qt signal to wait on.
    """
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()
