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
#: The largest frame accepted. A batch of events is tens of KiB; a header announcing more
#: than this is not one of ours, and waiting for it would silently end the channel.
MAX_FRAME_BYTES = 256 << 20


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
        self.why: str = ""  # what was wrong with it, once corrupt

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
                if size < 0 or size > MAX_FRAME_BYTES:
                    self._abandon(f"a frame header announces {size:,} bytes")
                    break
                if len(buf) - pos < head + size:
                    break
                payload = view[pos + head : pos + head + size]
                pos += head + size
                try:
                    out.append(pickle.loads(payload))
                except Exception as exc:  # noqa: BLE001 - a bad frame ends the channel, not the host
                    self._abandon(f"a frame does not unpickle ({type(exc).__name__}: {exc})")
                    break
                finally:
                    payload.release()
        del buf[:pos]  # from the front of a bytearray: no copy of what is left
        return out

    def _abandon(self, why: str) -> None:
        self.corrupt = True
        self.why = why


class LineReader:
    """Reads text lines from a pipe's read end `fd`, taking only what is there now.

    For a run's output (its processes' stdout and stderr): :meth:`read` returns the complete
    lines available, keeping a partial one until its end arrives (or the pipe closes). Lines
    longer than :data:`MAX_LINE` are cut there. Bytes that are not UTF-8 are replaced, never
    an error.
    """

    MAX_LINE = 4096

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buf = bytearray()
        self.eof = False

    def read(self, max_bytes: int = 1 << 20) -> list[str]:
        """Complete lines available now, without blocking (possibly none)."""
        got = 0
        while not self.eof and got < max_bytes and wait([self.fd], 0):
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                break
            self._buf += chunk
            got += len(chunk)
        lines = []
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) >= self.MAX_LINE or (self.eof and self._buf):
                    end = min(len(self._buf), self.MAX_LINE)
                    lines.append(self._take(end, 0))
                    continue
                return lines
            lines.append(self._take(min(end, self.MAX_LINE), 1 if end <= self.MAX_LINE else 0))

    def _take(self, n: int, skip: int) -> str:
        text = self._buf[:n].decode("utf-8", "replace").rstrip("\r")
        del self._buf[: n + skip]
        return text
