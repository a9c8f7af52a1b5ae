"""Worker processes a scenario starts itself: a crash is reported fast, nothing is left."""

import multiprocessing
import os
import time

import pytest

from mpgui.core.child.failures import WorkerFailed
from mpgui.core.child.run_context import RunContext
from mpgui.core.child.workers import blocks
from mpgui.core.protocol.channel import EventChannel
from mpgui.core.protocol.probe import NullProbe


@pytest.fixture
def ctx():
    """A RunContext like the conductor's, in this process (forkserver: no forking of pytest)."""
    mp = multiprocessing.get_context("forkserver")
    return RunContext(mp, NullProbe(), EventChannel(mp), mp.Event())


def dies_at_once(start):
    os._exit(3)


def waits_at_the_line(start):
    start.wait()


def dies_holding(lock, start):
    lock.acquire()  # before it reports ready: the other cannot have the lock first
    start.wait()
    os._exit(3)


def waits_for(lock, start):
    start.wait()
    lock.acquire()  # never granted: the holder died


def never_exits(start, stop):
    start.wait()
    while True:
        stop.wait(1.0)  # even after Stop this worker does not return by itself


@pytest.mark.parametrize(("total", "parts"), [(1, 100), (50, 100), (150, 100), (20_001, 100)])
def test_blocks_cover_the_range_in_at_most_parts_pieces(total, parts):
    pieces = blocks(total, parts)
    assert len(pieces) <= parts
    assert [i for piece in pieces for i in piece] == list(range(total))


def test_a_worker_that_dies_before_the_start_line_fails_the_run_at_once(ctx):
    start = ctx.start_line(2)
    procs = [ctx.process(dies_at_once, start), ctx.process(waits_at_the_line, start)]
    t0 = time.monotonic()
    with pytest.raises(WorkerFailed, match="exited with code 3"), ctx.running(procs, start):
        pass
    assert time.monotonic() - t0 < 5.0  # not the old 120 s barrier timeout
    assert all(p.exitcode is not None for p in procs)


def test_a_worker_that_dies_holding_a_lock_does_not_hang_the_others(ctx):
    lock = ctx.mp.Lock()
    start = ctx.start_line(2)
    procs = [ctx.process(dies_holding, lock, start), ctx.process(waits_for, lock, start)]
    with pytest.raises(WorkerFailed) as info, ctx.running(procs, start):
        pass
    assert info.value.exitcode == 3
    assert procs[1].exitcode is not None  # the blocked one was ended, not waited for


def test_after_stop_a_worker_that_will_not_return_is_ended(ctx):
    start = ctx.start_line(1)
    procs = [ctx.process(never_exits, start, ctx.stop_event)]
    with ctx.running(procs, start):
        ctx.stop_event.set()
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 2.0
    assert procs[0].exitcode is not None


def test_a_worker_killed_by_a_signal_is_named_by_its_signal():
    assert str(WorkerFailed(42, -11)) == "worker 42 was killed by SIGSEGV"
    assert str(WorkerFailed(42, 3)) == "worker 42 exited with code 3"
