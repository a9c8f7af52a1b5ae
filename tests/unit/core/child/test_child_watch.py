"""The child watch, in this process: a worker that dies badly interrupts whatever the main
thread is waiting on — but never inside a shielded cleanup block."""

import multiprocessing
import os
import signal
import threading
import time
import warnings

import pytest

from mpgui.core import timing
from mpgui.core.child import child_watch
from mpgui.core.child.child_watch import ChildWatch, is_bad_exit
from mpgui.core.child.failures import WorkerFailed
from mpgui.core.child.recording_context import recording_context
from mpgui.core.protocol.probe import FLUSH_S


def exit_with(code: int) -> None:
    os._exit(code)


def exit_when_the_pipe_closes(conn) -> None:
    """Wait on `conn` until its other end's holder dies, then exit with 1 — as a worker does
    whose Manager's server was killed."""
    try:
        conn.recv()
    except EOFError:
        pass
    os._exit(1)


#: The OS threads (tids) of this process at each of its forks. A ``before`` hook registered
#: now — at collection, before any watch registers its own — runs after every later one
#: (they run in reverse order), so it sees the threads fork() copies.
THREADS_AT_FORK: list[set[int]] = []
os.register_at_fork(
    before=lambda: THREADS_AT_FORK.append({int(t) for t in os.listdir("/proc/self/task")})
)


@pytest.fixture
def watch():
    events: list[tuple] = []
    stuck: list[WorkerFailed] = []
    rescued = threading.Event()

    def on_stuck(failure: WorkerFailed) -> None:
        stuck.append(failure)
        rescued.set()

    w = ChildWatch(events.append, threading.Event(), on_stuck=on_stuck)
    w.events, w.stuck, w.rescued = events, stuck, rescued
    w.start()
    yield w
    w.close()


def wait_forever_for(seconds: float) -> None:
    """Wait the way Pool.map waits for a lost task: on a lock nobody will release."""
    threading.Event().wait(seconds)


def exits_without_interrupt(watch) -> None:
    """Wait for the watch's EXIT event, then long enough that an interrupt would have come."""
    deadline = time.monotonic() + 5
    while not watch.events and time.monotonic() < deadline:
        wait_forever_for(0.05)
    wait_forever_for(timing.FAIL_GRACE_S + 0.2)


def test_a_bad_exit_interrupts_the_waiting_main_thread(watch):
    # A plain context's process, which records nothing: the watch sees it all the same.
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(3,))
    t0 = time.monotonic()
    proc.start()
    with pytest.raises(WorkerFailed, match="exited with code 3") as caught:
        wait_forever_for(20)
    assert time.monotonic() - t0 < 5  # the spawn start, the grace, the interrupt
    assert caught.value.pid == proc.pid
    assert (caught.value.exitcode, proc.exitcode) == (3, 3)
    assert [e[2:5] for e in watch.events] == [(proc.pid, 3, True)]  # the EXIT event


def test_a_clean_exit_is_reported_and_interrupts_nothing(watch):
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(0,))
    proc.start()
    proc.join()
    exits_without_interrupt(watch)
    assert [e[2:5] for e in watch.events] == [(proc.pid, 0, False)]


def test_the_interrupt_waits_for_a_shielded_block_to_end(watch):
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(5,))
    proc.start()
    finished_block = False
    with pytest.raises(WorkerFailed):
        with child_watch.shielded():
            wait_forever_for(0.1)
            proc.join()
            wait_forever_for(timing.FAIL_GRACE_S + 0.5)  # the interrupt arrives here
            finished_block = True
    assert finished_block


def test_a_death_the_scenario_noticed_itself_is_not_raised_again(watch):
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(4,))
    proc.start()
    proc.join()
    child_watch.claim(proc.pid)
    wait_forever_for(timing.FAIL_GRACE_S + 0.5)  # no interrupt comes
    assert watch.failure().pid == proc.pid  # still known, to name an error's cause


@pytest.mark.parametrize(
    ("code", "by_owner", "bad"),
    [
        (0, False, False),
        (-15, True, False),  # Pool.terminate(), RunContext.running's cleanup
        (-9, True, False),
        (-15, False, True),  # the host's task timeout, a user's kill
        (-9, False, True),
        (-11, False, True),
        (3, True, True),
        (1, False, True),
    ],
)
def test_what_counts_as_a_bad_exit(code, by_owner, bad):
    assert is_bad_exit(code, by_owner) is bad


def test_a_process_its_owner_terminates_is_no_failure(watch):
    # mpgui's contexts record their processes' ends, as Pool.terminate() makes them.
    proc = recording_context("spawn").Process(target=wait_forever_for, args=(30,))
    proc.start()
    proc.terminate()
    proc.join()
    exits_without_interrupt(watch)
    assert [e[2:5] for e in watch.events] == [(proc.pid, -15, False)]


def test_a_pool_terminated_by_its_owner_fails_nothing_and_its_workers_are_seen(watch):
    mp = recording_context("spawn")
    pool = mp.Pool(2)
    workers = {p.pid for p in mp.made()}
    assert len(workers) == 2  # the pool made its workers through the context
    pool.terminate()
    pool.join()
    deadline = time.monotonic() + 5
    while len(watch.events) < 2 and time.monotonic() < deadline:
        wait_forever_for(0.05)
    wait_forever_for(timing.FAIL_GRACE_S + 0.2)  # an interrupt would have come by now
    assert {e[2] for e in watch.events} == workers
    assert all(e[3] == -15 and e[4] is False for e in watch.events), watch.events


def test_a_failed_run_whose_cleanup_hangs_is_rescued_by_the_watch(watch):
    # A Pool's terminate() waiting for the task queue's lock that a dead worker holds: the
    # main thread is stuck in a shielded block, where the interrupt cannot reach it.
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(3,))
    proc.start()
    proc.join()
    t0 = time.monotonic()
    with pytest.raises(WorkerFailed):
        with child_watch.shielded():
            assert watch.rescued.wait(10), "the watch never took over"
    took = time.monotonic() - t0
    assert [f.pid for f in watch.stuck] == [proc.pid]
    # The watch gave the run its grace and the cleanup bound first (how soon after that is
    # the failure-detection benchmark's figure).
    assert took >= timing.CLEANUP_BOUND_S
    assert not watch.claim_report()  # the watch reports it: the main thread must not


def test_a_run_that_reports_in_time_is_not_rescued(watch):
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(3,))
    proc.start()
    with pytest.raises(WorkerFailed):
        wait_forever_for(20)
    assert watch.claim_report()  # the main thread reports the failure itself
    wait_forever_for(timing.FAIL_GRACE_S + timing.CLEANUP_BOUND_S + 0.3)
    assert not watch.stuck


def test_a_worker_that_dies_just_before_the_watch_closes_still_failed_the_run(watch):
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(1,))
    proc.start()
    proc.join()
    watch.close()  # at once: well inside the grace, before any interrupt
    failure = watch.unclaimed_failure()
    assert isinstance(failure, WorkerFailed) and failure.pid == proc.pid


def test_the_first_death_is_the_cause_even_if_a_later_one_is_reaped_first(watch):
    # As when a Manager's server is killed: its clients fail a moment later, and their owner
    # reaps them before the watch can read the server's exit code.
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    server = ctx.Process(target=hold, args=(writer,), name="SyncManager-9")
    client = ctx.Process(target=exit_when_the_pipe_closes, args=(reader,))
    server.start()
    client.start()
    reader.close()
    writer.close()  # now only the server holds the write end
    os.kill(server.pid, signal.SIGKILL)  # from outside: not its owner
    with pytest.raises(WorkerFailed, match="Manager's server"):  # the interrupt names it
        client.join()  # reaped at once, as a worker's owner would
        wait_forever_for(5)
    client.join()
    deadline = time.monotonic() + 5
    while len(watch.events) < 2 and time.monotonic() < deadline:  # the client's EXIT too
        wait_forever_for(0.05)
    first = watch.failure()
    assert (first.pid, first.exitcode, first.name) == (server.pid, -9, "SyncManager-9")
    assert str(first) == f"the Manager's server (pid {server.pid}) was killed by SIGKILL"
    assert [e[2] for e in watch.events] == [server.pid, client.pid]  # EXITs in order of death
    assert [f.pid for f in watch._failures] == [server.pid, client.pid]  # noqa: SLF001
    server.join()


def hold(conn) -> None:
    """Hold `conn` open until killed."""
    threading.Event().wait(30)


def test_the_watch_thread_is_not_there_when_the_process_forks(watch):
    # Python 3.12+ warns about fork() in a process with other threads (3.13 counts them after
    # the after-fork hooks); the watch's thread must not be one of them.
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    deadline = time.monotonic() + 5
    while not watch._runner._tid and time.monotonic() < deadline:  # noqa: SLF001
        wait_forever_for(0.01)  # the thread has been started; let it run
    watch_tid = watch._runner._tid  # noqa: SLF001
    assert watch_tid in {int(t) for t in os.listdir("/proc/self/task")}  # it runs now
    THREADS_AT_FORK.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proc = recording_context("fork").Process(target=exit_with, args=(0,))
        proc.start()
        proc.join()
    assert THREADS_AT_FORK and all(watch_tid not in tids for tids in THREADS_AT_FORK)
    assert not [w for w in caught if "multi-threaded" in str(w.message)]
    # ...and it is back after the fork: a death is still noticed.
    bad = recording_context("fork").Process(target=exit_with, args=(7,))
    bad.start()
    with pytest.raises(WorkerFailed, match="code 7"):
        wait_forever_for(20)


def test_an_interrupt_that_comes_while_the_main_thread_forks_is_not_lost(watch):
    # Starting fork processes back to back, the main thread spends much of its time in the
    # at-fork hooks, where an exception would be swallowed: the failure must still arrive.
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    ctx = recording_context("fork")
    bad = ctx.Process(target=exit_with, args=(3,))
    bad.start()
    deadline = time.monotonic() + 10
    with pytest.raises(WorkerFailed, match="code 3"):
        while time.monotonic() < deadline:
            proc = ctx.Process(target=exit_with, args=(0,))
            proc.start()
            proc.join()
    assert time.monotonic() < deadline


def test_the_watch_flushes_every_flush_interval_until_the_pipe_is_gone():
    # The conductor's probe has no flusher thread of its own: the watch calls `flush` at
    # least every FLUSH_S even when nothing else happens (its idle wait is WATCH_IDLE_S),
    # and stops calling it once it raises OSError (the host closed the pipe).
    calls: list[float] = []
    third = threading.Event()

    def flush() -> None:
        calls.append(time.monotonic())
        if len(calls) == 3:
            third.set()
            raise OSError("handle is closed")

    w = ChildWatch(lambda _event: None, threading.Event(), flush=flush)
    t0 = time.monotonic()
    w.start()
    try:
        assert third.wait(5)
        took = time.monotonic() - t0
        wait_forever_for(10 * FLUSH_S)
    finally:
        w.close()
    assert took < timing.WATCH_IDLE_S  # three idle waits would take 3 × WATCH_IDLE_S
    assert len(calls) == 3  # not once more after the OSError
