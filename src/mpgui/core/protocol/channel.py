"""The run's event channel: one pipe that every worker writes whole frames to, under one lock.

::

    worker ─┐  pickle the batch (no lock held), then, holding the channel's lock,
    worker ─┼─ os.write(header + payload) ──▶ pipe ──▶ host: FrameReader (never blocks)
    worker ─┘  one write per frame

Why not a ``multiprocessing.Queue``: its ``put`` hands the batch to a feeder thread, which a
busy worker's main thread starves of the GIL (every batch then waits a switch interval or two,
and a flooding worker's batches pile up in its memory); and writing around the feeder means
reaching into the queue's private pipe and locks. A pipe and a lock of our own need neither.

Frames are what ``Connection.send_bytes`` writes (what the host's
:class:`~mpgui.core.protocol.frames.FrameReader` — and ``Connection.recv`` — read): a 4-byte
big-endian signed length, or ``-1`` and an 8-byte length past 2 GiB, then the pickle. Header
and payload go out in one ``write`` (``send_bytes`` makes two past 16 KiB), so on a roomy pipe a
worker killed mid-send leaves no half frame for the reader to choke on.
"""

from __future__ import annotations

import os
import struct
from multiprocessing.reduction import ForkingPickler
from typing import Any

#: The largest length the short (4-byte) header can say.
_SHORT_MAX = 0x7FFFFFFF


def frame(payload: bytes) -> bytes:
    """`payload` with the length header ``Connection.send_bytes`` would put before it."""
    size = len(payload)
    head = struct.pack("!i", size) if size <= _SHORT_MAX else struct.pack("!iQ", -1, size)
    return head + payload


class EventChannel:
    """A one-way pipe (the host reads, the run's processes write) and the lock writers share.

    Made by the host with the run's context (`mp`). It travels to the conductor, and on to
    workers, as a process argument — a Pool initializer's, a Process's — while that process is
    being created, the only time its pipe end and lock may be pickled. Only the write end and
    the lock travel: the reader stays with the host, the one process that reads.
    """

    def __init__(self, mp: Any) -> None:
        self.reader, self.writer = mp.Pipe(duplex=False)
        self.lock = mp.Lock()

    def __getstate__(self) -> tuple[Any, Any]:
        return self.writer, self.lock

    def __setstate__(self, state: tuple[Any, Any]) -> None:
        self.reader = None
        self.writer, self.lock = state

    def send(self, obj: Any) -> None:
        """Pickle `obj` and write it as one frame, from the calling thread.

        Pickled before the lock is taken, as a Queue's feeder does: other writers wait only
        for the write. If the host reads slower than the run writes, this waits for it (the
        pipe is full) instead of buffering without bound.
        """
        data = frame(ForkingPickler.dumps(obj))
        fd = self.writer.fileno()
        with self.lock:
            view = memoryview(data)
            while view:  # a pipe write may be partial (a signal after part of it went)
                view = view[os.write(fd, view) :]

    def close_writer(self) -> None:
        """Close this process's write end (the host, once the conductor has its own)."""
        self.writer.close()

    def close(self) -> None:
        """Close this process's ends of the pipe."""
        for conn in (self.reader, self.writer):
            if conn is not None:
                conn.close()
