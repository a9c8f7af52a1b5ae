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
