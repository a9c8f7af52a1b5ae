"""Which CPU core the calling thread runs on, as cheaply as the platform allows."""

from __future__ import annotations

import os
import sys


def _make_current_cpu():
    # Python 3.11 has no os.sched_getcpu; glibc's sched_getcpu() through ctypes costs well
    # under a microsecond (vDSO), cheap enough to call once per task.
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.sched_getcpu
            fn.restype = ctypes.c_int
            fn.argtypes = []
            if fn() >= 0:
                return fn
        except (OSError, AttributeError):
            pass
    try:
        import psutil

        if hasattr(psutil.Process, "cpu_num"):
            # A fresh Process each call: a cached one would name the parent after a fork.
            return lambda: psutil.Process(os.getpid()).cpu_num()
    except ImportError:  # pragma: no cover - psutil is a dependency
        pass
    return lambda: -1


#: ``current_cpu() -> int``: the core this thread is on now, or -1 where unknown.
current_cpu = _make_current_cpu()


def usable_cores() -> int:
    """The CPUs this process may run on: its affinity where the OS says (a container, a
    ``taskset``), else all of them. A run's processes inherit the conductor's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every OS (macOS, Windows)
        return os.cpu_count() or 1
