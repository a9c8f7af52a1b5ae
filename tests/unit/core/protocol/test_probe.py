"""The probe batches events onto a real multiprocessing queue, and onto the run's channel."""

import io
import multiprocessing
import queue
import threading
import time

import pytest

from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe as probe_mod
from mpgui.core.protocol.channel import EventChannel
from mpgui.core.protocol.frames import FrameReader


def _drain(q):
    batches = []
    while True:
        try:
            batches.append(q.get(timeout=0.5))
        except queue.Empty:
            return batches


def _channel():
    return EventChannel(multiprocessing.get_context("spawn"))


def _read(channel):
    """Every batch written to `channel` so far, read as the host reads them."""
    return FrameReader(channel.reader).read()


def test_batches_until_the_size_limit_then_flushes():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None)
    p._last_flush = ev.now_ns() + 10**12  # time never forces a flush in this test
    for i in range(probe_mod.MAX_BATCH * 2 + 10):
        p.metric("x", i)
    p.flush()
    sizes = [len(b) for b in _drain(q)]
    assert sizes == [probe_mod.MAX_BATCH, probe_mod.MAX_BATCH, 10]
    q.close()
    q.join_thread()


def test_task_span_reports_start_and_end_with_a_core():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None)
    with p.task(7):
        pass
    p.flush()
    batches = _drain(q)
    # The first task is assumed long: its START goes at once, then its span (START and END).
    assert [e[0] for e in batches[0]] == [ev.START]
    (spans,) = batches[1]
    assert spans[0] == ev.SPANS and spans[2] == p.pid
    start, end = ev.expand([spans])
    assert start[0] == ev.START and start[3] == 7 and start[1] == batches[0][0][1]
    assert end[0] == ev.END and end[3] == 7 and end[1] >= start[1]
    assert end[4] >= 0  # the core is known on Linux
    q.close()
    q.join_thread()


def test_hello_is_flushed_alone_so_the_host_can_spot_it():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None, role="worker")
    p.hello()
    (batch,) = _drain(q)
    assert len(batch) == 1 and batch[0][0] == ev.HELLO and batch[0][2] == p.pid
    q.close()
    q.join_thread()


def test_without_an_installed_probe_workers_report_nothing():
    p = probe_mod.current()
    assert isinstance(p, probe_mod.NullProbe)
    with p.task(1):
        pass
    assert not p.should_stop()


def test_a_long_task_is_visible_as_running_before_it_ends():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None)
    p.started(1)  # first task: assumed long, flushed at once
    (batch,) = _drain(q)
    assert [e[0] for e in batch] == [ev.START]
    q.close()
    q.join_thread()


def test_short_tasks_are_batched():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None)
    p._last_flush = ev.now_ns() + 10**12  # time never forces a flush in this test
    for i in range(100):  # back-to-back tasks far shorter than LONG_TASK_NS
        with p.task(i):
            pass
    p.flush()
    batches = _drain(q)
    assert len(batches) == 2  # the first START alone, then every task in one packed event
    (spans,) = batches[1]
    assert ev.span_count(spans) == 100 and ev.count(batches[1]) == 200
    tasks, starts, ends, cpus = ev.span_columns(spans)
    assert list(tasks) == list(range(100))
    assert all(s <= e for s, e in zip(starts, ends, strict=True))
    assert list(starts[1:]) >= list(ends[:-1])  # one after another
    q.close()
    q.join_thread()


def test_a_batch_keeps_the_order_of_what_happened():
    sent = []
    p = probe_mod.Probe(sent.append, None)
    p._last_task_ns = 0  # short tasks
    p._last_flush = ev.now_ns() + 10**12
    for i in range(3):
        with p.task(i):
            pass
    p.metric("x", 1)
    with p.task(3):
        pass
    p.flush()
    (batch,) = sent
    assert [e[0] for e in batch] == [ev.SPANS, ev.METRIC, ev.SPANS]
    assert [e[3] for e in ev.expand(batch) if e[0] == ev.END] == [0, 1, 2, 3]


def test_a_task_still_running_when_its_batch_goes_is_sent_as_running_once():
    sent = []
    p = probe_mod.Probe(sent.append, None)
    p._last_task_ns = 0
    with p.task(0):
        pass
    p.started(1)
    p.flush()  # task 1 is running: the batch says so, after task 0's span
    p.flush()  # nothing new: no second START
    p.finished(1)
    p.flush()
    assert [[e[0] for e in b] for b in sent] == [[ev.SPANS, ev.START], [ev.SPANS]]
    assert sent[0][1][3] == 1
    (task, start, _end, _cpu) = (c[0] for c in ev.span_columns(sent[1][0]))
    assert (task, start) == (1, sent[0][1][1])  # the span starts when the START said


def test_a_worker_writes_its_batches_to_the_channel_itself_in_whole_frames():
    # No feeder thread: a busy worker's main thread would starve it of the GIL.
    channel = _channel()
    threads = {t.ident for t in threading.enumerate()}
    p = probe_mod.Probe(channel.send, None)
    p.metric("x", 1)
    p.flush()
    assert {t.ident for t in threading.enumerate()} == threads  # none started
    (batch,) = _read(channel)  # the host's reader decodes the frame ...
    assert [e[0] for e in batch] == [ev.METRIC]
    big = [(ev.LOG, 1, 2, "INFO", "x" * 20_000)]  # past 16 KiB (still within the pipe)
    channel.send(big)
    assert channel.reader.poll(5) and channel.reader.recv() == big  # ... and so does recv()
    channel.close()


def test_an_idle_worker_sends_what_it_holds_without_another_event():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None, background_flush=True)
    p._last_task_ns = 0  # short tasks: nothing is flushed on the way
    p.metric("x", 1)  # buffered; the worker now does nothing more
    batch = q.get(timeout=2)  # the flusher thread sends it within ~2 flush intervals
    assert [e[0] for e in batch] == [ev.METRIC]
    q.close()
    q.join_thread()


def test_an_idle_worker_stuck_in_a_short_tasks_run_is_shown_running():
    sent = []
    p = probe_mod.Probe(sent.append, None, background_flush=True)
    p._last_task_ns = 0  # short tasks: a START is not flushed at once
    p.started(5)  # ... and this one never ends
    deadline = ev.now_ns() + 2 * 10**9
    while not sent and ev.now_ns() < deadline:
        time.sleep(0.01)
    assert [e[0] for e in sent[0]] == [ev.START] and sent[0][0][3] == 5


def test_without_a_probe_many_tasks_report_nothing_and_cost_no_memory():
    p = probe_mod.NullProbe()
    for i in range(probe_mod.MAX_BATCH * 2):  # past a batch: nothing may try to send it
        p.started(i)
        p.finished(i)
    assert not p._spans and not p._buf


def test_an_unpicklable_value_costs_only_its_own_event_with_a_log_line_saying_so():
    channel = _channel()
    p = probe_mod.Probe(channel.send, None)
    p.metric("before", 1)
    p.metric("bad", lambda: 0)  # a lambda cannot be pickled
    p.metric("after", 2)
    p.flush()  # must not raise in the scenario's code
    events = [e for batch in _read(channel) for e in batch]
    assert [(e[0], e[3]) for e in events if e[0] == ev.METRIC] == [
        (ev.METRIC, "before"),
        (ev.METRIC, "after"),
    ]
    (log,) = [e for e in events if e[0] == ev.LOG]
    assert log[3] == "ERROR" and "could not send a 'metric' event" in log[4]
    channel.close()


def test_a_task_number_must_be_an_int_and_a_huge_one_costs_only_its_batch():
    channel = _channel()
    p = probe_mod.Probe(channel.send, None)
    with pytest.raises(TypeError):
        p.task("a")  # a str task number is refused at once
    with p.task(2**70):  # an int, but not an int64: its spans cannot be packed
        pass
    with pytest.raises(OverflowError):
        p.flush()  # the flush that packs it says so, and drops only that batch
    with p.task(1):  # the probe still works
        pass
    p.flush()
    events = ev.expand([e for batch in _read(channel) for e in batch])
    assert [e[3] for e in events if e[0] == ev.END] == [1]
    channel.close()


class _Writes(io.RawIOBase):
    """A raw stream that keeps every write(2) it is given, as the run's output pipe would."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes.append(bytes(data))
        return len(data)


def test_a_printed_line_is_one_write_even_where_python_runs_unbuffered():
    # PYTHONUNBUFFERED=1 gives stdout a raw buffer and write-through: print() then writes
    # the text and its newline apart, and two processes printing at once mix their lines.
    raw = _Writes()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    print("pid 1: process 0 running", file=stream)
    assert raw.writes == [b"pid 1: process 0 running", b"\n"]  # how it goes wrong
    raw.writes.clear()
    probe_mod.write_whole_lines(stream)
    print("pid 1: process 0", "running", file=stream)
    assert raw.writes == [b"pid 1: process 0 running\n"]
