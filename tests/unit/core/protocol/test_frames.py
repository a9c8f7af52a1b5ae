"""FrameReader: decode multiprocessing's framing without ever blocking."""

import os
import pickle
import struct
import threading
from multiprocessing import Pipe

from mpgui.core.protocol.frames import FrameReader, LineReader
from tests.process_tree import HANG_BOUND_S


def _frame(obj) -> bytes:
    payload = pickle.dumps(obj)
    return struct.pack("!i", len(payload)) + payload


def test_reads_what_connection_send_writes():
    r, w = Pipe(duplex=False)
    reader = FrameReader(r)
    w.send([("hello", 1)])
    w.send({"a": 1})
    assert reader.read() == [[("hello", 1)], {"a": 1}]
    assert reader.read() == []
    w.close()
    r.close()


def test_half_a_message_never_blocks_and_completes_later():
    r, w = Pipe(duplex=False)
    reader = FrameReader(r)
    frame = _frame(list(range(1000)))
    os.write(w.fileno(), frame[:10])  # a writer killed mid-message leaves exactly this
    # Read in a thread: a read that blocked would wait forever for the rest of the frame.
    got = []
    reading = threading.Thread(target=lambda: got.append(reader.read()), daemon=True)
    reading.start()
    reading.join(HANG_BOUND_S)
    assert not reading.is_alive(), "read() blocked on half a frame"
    assert got == [[]]
    assert reader.pending_bytes() == 10
    os.write(w.fileno(), frame[10:])
    assert reader.read() == [list(range(1000))]
    assert reader.pending_bytes() == 0
    w.close()
    r.close()


def test_end_of_file_after_half_a_message_ends_the_channel():
    r, w = Pipe(duplex=False)
    reader = FrameReader(r)
    os.write(w.fileno(), _frame("whole") + _frame("cut")[:7])
    w.close()
    assert reader.read() == ["whole"]
    assert reader.eof and reader.done
    assert reader.read() == []
    r.close()


def test_a_frame_that_does_not_unpickle_marks_the_channel_corrupt():
    r, w = Pipe(duplex=False)
    reader = FrameReader(r)
    os.write(w.fileno(), struct.pack("!i", 3) + b"\x00\x01\x02")
    assert reader.read() == []
    assert reader.corrupt and reader.done
    w.close()
    r.close()


def test_a_header_announcing_gigabytes_marks_the_channel_corrupt_at_once():
    # Waiting for 2 GiB that will never come would silently end the channel.
    r, w = Pipe(duplex=False)
    reader = FrameReader(r)
    os.write(w.fileno(), _frame("before") + struct.pack("!iQ", -1, 2**31) + _frame("after"))
    assert reader.read() == ["before"]
    assert reader.corrupt and "2,147,483,648 bytes" in reader.why
    w.close()
    r.close()


def test_lines_are_read_whole_and_a_partial_one_waits_for_its_end():
    r, w = os.pipe()
    lines = LineReader(r)
    os.write(w, b"one\ntw")
    assert lines.read() == ["one"]
    os.write(w, b"o\r\n\xff bad byte\n" + b"x" * 5000 + b"\nlast")
    assert lines.read() == ["two", "\ufffd bad byte", "x" * 4096, "x" * 904]
    os.close(w)
    assert lines.read() == ["last"] and lines.eof
    os.close(r)
