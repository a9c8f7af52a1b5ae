"""Warm pools and thread lanes, driven from a RunContext in the test process: real worker
processes and real threads report through real probes, and the events fold into lanes."""

import multiprocessing
import threading
import time

import pytest

from mpgui.core.child import timed
from mpgui.core.child.run_context import RunContext
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe as probe_mod
from mpgui.core.protocol.channel import EventChannel
from mpgui.core.protocol.frames import FrameReader
from mpgui.core.protocol.run_spec import RunSpec, available_start_methods


def _square(x):
    """A task that reports on whatever lane runs it (a process's or a thread's)."""
    with probe_mod.current().task(x):
        return x * x


def _mark_ready(box):
    """An initializer that leaves a trace the warm pool must wait for."""
    box.value += 1


@pytest.fixture
def context(request):
    """A RunContext like the conductor's: its main probe collects batches in a list."""
    method = getattr(request, "param", "fork")
    mp = multiprocessing.get_context(method)
    batches: list[list[tuple]] = []
    main = probe_mod.Probe(batches.append, None, role="main", label="main")
    channel = EventChannel(mp)
    ctx = RunContext(mp, main, channel, mp.Event())
    yield ctx, batches, channel
    channel.close()


def _events(batches, channel):
    out = [e for batch in batches for e in batch]
    out += [e for batch in FrameReader(channel.reader).read() for e in batch]
    return out


@pytest.mark.parametrize("context", available_start_methods(), indirect=True)
def test_a_warm_pool_is_ready_before_its_block_and_times_its_start(context):
    ctx, batches, channel = context
    box = ctx.mp.Value("i", 0)
    with ctx.warm_pool(2, _mark_ready, (box,)) as warm:
        ready_at_start = box.value  # both initializers ran before the block began
        assert warm.pool.map(_square, range(6)) == [x * x for x in range(6)]
    assert ready_at_start == 2
    assert warm.start_ms > 0
    hellos = [e for e in _events(batches, channel) if e[0] == ev.HELLO]
    assert len(hellos) == 2


def test_a_warm_thread_pool_reports_each_thread_as_a_lane_of_this_process(context):
    ctx, batches, channel = context
    with ctx.warm_thread_pool(3) as warm:
        assert warm.pool.map(_square, range(9), chunksize=1) == [x * x for x in range(9)]
    assert not any(t.name.startswith("Thread-") and t.is_alive() for t in threading.enumerate())
    events = _events(batches, channel)
    threads = [e for e in events if e[0] == ev.THREAD]
    assert len(threads) == 3
    tids = {tid for _, _, tid, pid, _, _ in threads}
    assert all(pid == ctx.probe.process for _, _, _, pid, _, _ in threads)
    assert ctx.probe.process not in tids  # never the main thread's lane
    state = RunState(RunSpec("pool-map", {}, "fork"))
    state.apply(events)
    lanes = state.workers()
    assert {lane.tid for lane in lanes} == tids
    assert {lane.label for lane in lanes} == {"thread 1", "thread 2", "thread 3"}
    assert sum(lane.tasks_done for lane in lanes) == 9  # every span reached its thread's lane
    workers = state.result()["workers"]
    assert {w["tid"] for w in workers} == tids
    assert {w["pid"] for w in workers} == {ctx.probe.process}


def test_a_failing_block_still_ends_the_threads_and_flushes_their_lanes(context):
    ctx, batches, channel = context
    with pytest.raises(ZeroDivisionError), ctx.warm_thread_pool(2) as warm:
        warm.pool.map(_square, range(4))
        raise ZeroDivisionError
    events = _events(batches, channel)
    state = RunState(RunSpec("pool-map", {}, "fork"))
    state.apply(events)
    assert sum(lane.tasks_done for lane in state.workers()) == 4


def test_alternate_interleaves_the_measures_and_stops_between_them():
    order = []
    samples = timed.alternate(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")},
        before=lambda name, round_: order.append(f"{name}{round_}"),
    )
    assert order == [x for r in range(timed.ROUNDS) for x in (f"a{r}", "a", f"b{r}", "b")]
    assert [len(v) for v in samples.values()] == [timed.ROUNDS, timed.ROUNDS]
    calls = []
    samples = timed.alternate(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        should_stop=lambda: len(calls) >= 3,
    )
    assert calls == ["a", "b", "a"]
    # The call Stop came during (the third) is no sample, and `after` is told so.
    assert [len(samples["a"]), len(samples["b"])] == [1, 1]
    told = []
    samples = timed.alternate(
        {"a": lambda: None, "b": lambda: None},
        should_stop=lambda: len(told) >= 3,
        after=lambda name, round_, seconds: told.append((name, round_, seconds)),
    )
    assert [(n, r) for n, r, _ in told] == [("a", 0), ("b", 0), ("a", 1)]
    assert [s for _, _, s in told[:2]] == [samples["a"][0], samples["b"][0]]  # one figure
    assert timed.medians({"a": [], "b": [3.0, 1.0, 2.0]}) == {"b": 2.0}


def _task_then_metric(x):
    """A task, then a metric sent after it ended (with the time it was measured at)."""
    p = probe_mod.current()
    with p.task(x):
        pass
    p.emit((ev.METRIC, ev.now_ns() - 10**9, p.pid, "after", x))


def test_a_thread_lane_sends_what_it_holds_while_idle_not_at_its_next_task(qtbot, context):
    ctx, batches, channel = context
    with ctx.warm_thread_pool(2) as warm:
        warm.pool.map(_task_then_metric, range(2), chunksize=1)
        # Still inside the block: the threads are idle, and their last events must come.
        qtbot.waitUntil(
            lambda: sum(e[0] == ev.METRIC for b in batches for e in b) == 2, timeout=2000
        )


def _refuse():
    """An initializer that fails, as a scenario's own might."""
    raise LookupError("no session for this thread")


def test_a_thread_pool_whose_initializer_fails_raises_it_once_and_ends(context):
    ctx, batches, channel = context
    with pytest.raises(LookupError, match="no session"), ctx.warm_thread_pool(2, _refuse):
        pass
    threads = [e for e in _events(batches, channel) if e[0] == ev.THREAD]
    assert len(threads) == 2  # no thread was replaced, again and again


@pytest.mark.parametrize("context", ["spawn"], indirect=True)
def test_stop_while_a_warm_pool_starts_ends_its_workers_at_once(context):
    # Spawn workers take most of a second to start: closing and joining would wait for them.
    ctx, _, _ = context
    stop = threading.Timer(0.1, ctx.stop_event.set)
    stop.start()
    with ctx.warm_pool(6) as warm:
        assert ctx.should_stop()  # the block began because Stop came, not the workers
        t0 = time.monotonic()
    took_s = time.monotonic() - t0
    stop.join()
    workers = warm.pool._pool
    assert all(w.exitcode is not None for w in workers)
    assert took_s < 0.5, took_s
