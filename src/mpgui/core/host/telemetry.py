"""Telemetry the host samples itself: per-core CPU load and which core each process is on.

It produces ordinary protocol events (``CPU`` and ``WHERE``), so they travel with the workers'
batches, are timestamped on the same clock, and reach the run state by the same path.
"""

from __future__ import annotations

from collections.abc import Iterable

import psutil

from mpgui.core.protocol import events as ev

#: Sample at most this often (ns): 10 Hz.
INTERVAL_NS = 100_000_000


class CpuSampler:
    """Samples ``psutil.cpu_percent(percpu=True)`` and each watched pid's current core."""

    def __init__(self) -> None:
        # The first cpu_percent call only sets the reference point and returns zeros.
        psutil.cpu_percent(percpu=True)
        self._procs: dict[int, psutil.Process] = {}
        self._has_cpu_num = hasattr(psutil.Process, "cpu_num")
        self._last = ev.now_ns()

    def due(self, now: int) -> bool:
        """True when the last sample is at least :data:`INTERVAL_NS` old."""
        return now - self._last >= INTERVAL_NS

    def sample(self, pids: Iterable[int]) -> list[tuple]:
        """One CPU event and one WHERE event per live pid in `pids`."""
        t = self._last = ev.now_ns()
        out: list[tuple] = [(ev.CPU, t, tuple(psutil.cpu_percent(percpu=True)))]
        if not self._has_cpu_num:
            return out
        for pid in pids:
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                out.append((ev.WHERE, t, pid, proc.cpu_num()))
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(pid, None)
        return out
