"""The run's Stop: one flag every process of the run reads, and nothing can hold locked.

A ``multiprocessing.Event`` would do the job, but ``is_set()`` takes the Event's lock — a
semaphore shared by every process — and workers ask between every task. A worker killed while
it holds that lock (the OOM killer, a ``kill -9``, a segfault at the wrong moment) would leave
every later ``is_set()`` waiting forever: the conductor's, the child watch's, the host's Stop.
A byte of shared memory, written by the host and read by everyone, has no lock to lose.
"""

from __future__ import annotations

import ctypes
from typing import Any


class StopFlag:
    """Set once by the host (Stop), read by every process of the run; never blocks.

    Made with a ``multiprocessing`` context (`mp`): it travels to processes that context
    starts (as a Pool initializer's argument, a Process's argument), like a Queue does.
    The same ``set()``/``is_set()`` as an Event's.
    """

    def __init__(self, mp: Any) -> None:
        self._value = mp.RawValue(ctypes.c_bool, False)

    def set(self) -> None:
        """Ask every process of the run to stop."""
        self._value.value = True

    def is_set(self) -> bool:
        """True once Stop was asked for."""
        return bool(self._value.value)
