"""The child watch, in this process: a worker that dies badly interrupts whatever the main
thread is waiting on — but never inside a shielded cleanup block."""

import multiprocessing
import os
import threading
import time

import pytest

from mpgui.core import child_watch
from mpgui.core.child_watch import ChildWatch, is_bad_exit
from mpgui.core.workers import WorkerFailed


def exit_with(code: int) -> None:
    os._exit(code)


@pytest.fixture
def watch():
    events: list[tuple] = []
    w = ChildWatch(events.append, threading.Event())
    w.events = events
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
    wait_forever_for(child_watch.FAIL_GRACE_S + 0.2)


def test_a_bad_exit_interrupts_the_waiting_main_thread(watch):
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
            wait_forever_for(child_watch.FAIL_GRACE_S + 0.5)  # the interrupt arrives here
            finished_block = True
    assert finished_block


def test_a_death_the_scenario_noticed_itself_is_not_raised_again(watch):
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(4,))
    proc.start()
    proc.join()
    child_watch.claim(proc.pid)
    wait_forever_for(child_watch.FAIL_GRACE_S + 0.5)  # no interrupt comes
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
    proc = multiprocessing.get_context("spawn").Process(target=wait_forever_for, args=(30,))
    proc.start()
    proc.terminate()
    proc.join()
    exits_without_interrupt(watch)
    assert [e[2:5] for e in watch.events] == [(proc.pid, -15, False)]
