"""Reading a multiprocessing pipe without ever blocking, even on half a message.

``Queue.get`` and ``Connection.recv`` check that *some* bytes are waiting and then block until
the whole message has arrived. If the writer was killed half-way through a message (Stop
escalation, a crash) and another process still holds the pipe's write end, that read never
returns — and the thread that should end those processes is the one stuck in it.

:class:`FrameReader` reads only what the pipe holds now, keeps incomplete frames in a buffer
across calls, and decodes the frames ``Connection.send_bytes`` writes (which is also what
``multiprocessing.Queue`` writes): a 4-byte big-endian signed length, or ``-1`` followed by an
8-byte length for messages over 2 GiB, then the pickled payload.
"""

from __future__ import annotations

import os
import pickle
import struct
from multiprocessing.connection import Connection, wait
from typing import Any

#: Bytes read per call at most, so one call's time is bounded during a flood.
MAX_READ_BYTES = 8 << 20
_CHUNK = 1 << 20


class FrameReader:
    """Decodes pickled messages from `conn`, reading only bytes already in the pipe.

    The reader must be the pipe's only reader (the host is, for its event channels).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._fd = conn.fileno()
        self._buf = bytearray()
        self.eof = False  # every writer has closed its end
        self.corrupt = False  # a frame could not be decoded; the channel is abandoned

    @property
    def done(self) -> bool:
        """True once nothing more can come: end of file, or a corrupt stream."""
        return self.eof or self.corrupt

    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame held back until the rest arrives."""
        return len(self._buf)

    def read(self) -> list[Any]:
        """Every complete message available now (possibly none). Never blocks."""
        if self.done:
            return []
        got = 0
        while got < MAX_READ_BYTES and wait([self.conn], 0):
            chunk = os.read(self._fd, _CHUNK)  # poll said readable: returns without blocking
            if not chunk:
                self.eof = True
                break
            self._buf += chunk
            got += len(chunk)
        return self._decode()

    def _decode(self) -> list[Any]:
        out: list[Any] = []
        buf = self._buf
        pos = 0
        # Unpickle straight from the buffer: a memoryview slice copies nothing. The view must
        # be released before the buffer is resized.
        with memoryview(buf) as view:
            while len(buf) - pos >= 4:
                (size,) = struct.unpack_from("!i", buf, pos)
                head = 4
                if size == -1:
                    if len(buf) - pos < 12:
                        break
                    (size,) = struct.unpack_from("!Q", buf, pos + 4)
                    head = 12
                if size < 0 or len(buf) - pos < head + size:
                    if size < 0:
                        self.corrupt = True
                    break
                payload = view[pos + head : pos + head + size]
                pos += head + size
                try:
                    out.append(pickle.loads(payload))
                except Exception:  # noqa: BLE001 - a bad frame ends the channel, not the host
                    self.corrupt = True
                    break
                finally:
                    payload.release()
        del buf[:pos]  # from the front of a bytearray: no copy of what is left
        return out
