"""The probe batches events onto a real multiprocessing queue."""

import multiprocessing
import queue

from mpgui.core import events as ev
from mpgui.core import probe as probe_mod


def _drain(q):
    batches = []
    while True:
        try:
            batches.append(q.get(timeout=0.5))
        except queue.Empty:
            return batches


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
    start, end = [e for batch in _drain(q) for e in batch]
    assert start[0] == ev.START and start[3] == 7
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
    assert sum(len(b) for b in batches) == 200
    assert len(batches) <= 2  # the first START alone, then everything else in one batch
    q.close()
    q.join_thread()


def test_an_idle_worker_sends_what_it_holds_without_another_event():
    q = multiprocessing.get_context("spawn").Queue()
    p = probe_mod.Probe(q.put, None, background_flush=True)
    p._last_task_ns = 0  # short tasks: nothing is flushed on the way
    p.metric("x", 1)  # buffered; the worker now does nothing more
    batch = q.get(timeout=2)  # the flusher thread sends it within ~2 flush intervals
    assert [e[0] for e in batch] == [ev.METRIC]
    q.close()
    q.join_thread()
