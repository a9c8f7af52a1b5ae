"""The one escalation (grace → SIGTERM → SIGKILL), on real processes, in both its forms."""

import multiprocessing
import signal
import time

import pytest

from mpgui.core import ending


def ignore_sigterm_then_wait(ready) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    while True:
        signal.pause()  # only SIGKILL ends this one


def just_wait(ready) -> None:
    ready.set()
    while True:
        signal.pause()  # SIGTERM's default action ends it


@pytest.fixture
def mp():
    """Forkserver: the test process (which runs threads) is never forked."""
    return multiprocessing.get_context("forkserver")


def started(mp, target):
    ready = mp.Event()
    proc = mp.Process(target=target, args=(ready,))
    proc.start()
    assert ready.wait(30), "the worker never got going"
    return proc


def test_a_worker_that_ends_on_sigterm_is_never_killed(mp):
    proc = started(mp, just_wait)
    t0 = time.monotonic()
    ending.end(ending.Processes([proc]), term_grace_s=5.0, reap_s=5.0)
    assert time.monotonic() - t0 < 5.0  # returned as soon as it was gone, not at the bound
    assert proc.exitcode == -signal.SIGTERM


def test_a_worker_that_ignores_sigterm_is_killed_after_the_term_grace(mp):
    proc = started(mp, ignore_sigterm_then_wait)
    t0 = time.monotonic()
    ending.end(ending.Processes([proc]), term_grace_s=0.3, reap_s=5.0)
    took = time.monotonic() - t0
    assert proc.exitcode == -signal.SIGKILL
    assert 0.3 <= took < 5.0


def test_in_a_hurry_a_worker_is_killed_at_once_without_sigterm(mp):
    proc = started(mp, just_wait)  # SIGTERM would end it: it must not be sent
    t0 = time.monotonic()
    ending.end(ending.Processes([proc]), term_grace_s=5.0, reap_s=5.0, hurry=True)
    assert proc.exitcode == -signal.SIGKILL
    assert time.monotonic() - t0 < 5.0


def test_the_step_form_sends_each_signal_when_it_is_due_and_never_blocks(mp):
    proc = started(mp, ignore_sigterm_then_wait)
    try:
        escalation = ending.Escalation(ending.Processes([proc]), term_grace_s=0.5)
        t0 = time.perf_counter_ns()
        second = 10**9
        escalation.begin(grace_s=1.0, now=t0)
        assert escalation.begun and not escalation.done
        assert escalation.step(t0 + second // 2) is None  # in the grace
        escalation.begin(grace_s=5.0, now=t0)  # a later call cannot put SIGTERM off ...
        assert escalation.step(t0 + second) == signal.SIGTERM
        assert escalation.step(t0 + second + second // 4) is None  # in the term grace
        assert proc.is_alive()  # it ignores SIGTERM
        escalation.begin(grace_s=0.0, now=t0 + second)  # ... nor SIGKILL, once SIGTERM went
        assert escalation.step(t0 + second + second // 4) is None
        assert escalation.step(t0 + 2 * second) == signal.SIGKILL
        assert escalation.done
        assert escalation.step(t0 + 3 * second) is None  # nothing more to send
        proc.join(5)
        assert proc.exitcode == -signal.SIGKILL
    finally:
        proc.kill()
        proc.join(5)


def test_the_step_form_hurried_after_sigterm_kills_now(mp):
    proc = started(mp, ignore_sigterm_then_wait)
    try:
        escalation = ending.Escalation(ending.Processes([proc]), term_grace_s=60.0)
        t0 = time.perf_counter_ns()
        escalation.begin(now=t0)
        assert escalation.step(t0) == signal.SIGTERM
        escalation.begin(now=t0 + 1, hurry=True)
        assert escalation.step(t0 + 1) == signal.SIGKILL
        proc.join(5)
        assert proc.exitcode == -signal.SIGKILL
    finally:
        proc.kill()
        proc.join(5)


def test_a_target_already_gone_gets_no_signal(mp):
    proc = started(mp, just_wait)
    proc.kill()
    proc.join(5)
    escalation = ending.Escalation(ending.Processes([proc]), term_grace_s=1.0)
    escalation.begin()
    assert escalation.step() is None and escalation.done


class Unkillable(ending.PolledTarget):
    """A target that never ends, whatever it is sent (a process in uninterruptible sleep):
    what the bounds are for."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def alive(self) -> bool:
        return True

    def signal(self, sig: int) -> None:
        self.sent.append(sig)


def test_the_run_form_gives_up_at_its_bound():
    target = Unkillable()
    t0 = time.monotonic()
    ending.end(target, grace_s=0.1, term_grace_s=0.1, reap_s=0.1)
    took = time.monotonic() - t0
    assert target.sent == [signal.SIGTERM, signal.SIGKILL]
    assert 0.3 <= took < 2.0
