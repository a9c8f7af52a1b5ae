"""One way to end processes: grace → SIGTERM → SIGKILL, every wait bounded.

Every ending in mpgui is this escalation, on some *target*::

    begin(grace_s)      the caller has asked nicely (set the stop flag) — or not (grace 0)
      │  grace_s        the target may end by itself
      ▼
    SIGTERM             if it is still alive: handlers run (the conductor's ends its group)
      │  term_grace_s
      ▼
    SIGKILL             if it is still alive
      │  reap_s         (run form only) wait for it to be gone
      ▼
    done

``hurry`` skips the grace and the SIGTERM: SIGKILL at once, for a run that has already failed
(nothing its processes could still do matters) or a process ending itself in a signal handler.

Two forms of the same steps:

- the **step form** — :meth:`Escalation.begin`, then :meth:`Escalation.step` from the caller's
  own loop (``Conductor.collect``, ``TaskTimeouts.enforce``), which does whatever is due and
  never blocks: the loop goes on reading events meanwhile;
- the **run form** — :meth:`Escalation.run` (or :func:`end`), which blocks until the target is
  gone or the last bound has passed: at most ``grace_s + term_grace_s + reap_s``.

A target is anything with ``alive()``, ``signal(sig)`` and ``wait(timeout)`` (:class:`Target`):
a list of ``multiprocessing`` processes (:class:`Processes`, here), a run's process group (the
host's), a worker inside that group (the task timeouts'), the rest of the conductor's own
group (its teardown), a Pool (whose "SIGTERM" is its own ``terminate()``). The bounds come from
:mod:`mpgui.core.timing`.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterable
from multiprocessing.connection import wait
from typing import Any, Protocol

from mpgui.core import timing

#: The escalation's clock: the protocol's (``events.now_ns``), so a caller can pass the time
#: it already read for its events.
_now = time.perf_counter_ns

# Where an escalation is: not begun; SIGTERM due; SIGKILL due; SIGKILL sent; target gone.
_IDLE, _TERM_DUE, _KILL_DUE, _KILLED, _GONE = range(5)


class Target(Protocol):
    """What an escalation ends: it can say whether it lives, take a signal, wait for its end."""

    def alive(self) -> bool:
        """True while any process of the target is still running."""

    def signal(self, sig: int) -> None:
        """Send `sig` (SIGTERM or SIGKILL) to what of the target still runs."""

    def wait(self, timeout: float) -> None:
        """Return when the target may have ended, or after `timeout` s at most."""


class PolledTarget:
    """A :class:`Target` with nothing to wait on (a process group, a pid): ``wait`` polls."""

    def alive(self) -> bool:  # noqa: D102 - see Target
        raise NotImplementedError

    def signal(self, sig: int) -> None:  # noqa: D102 - see Target
        raise NotImplementedError

    def wait(self, timeout: float) -> None:
        """Poll :meth:`alive` every :data:`~mpgui.core.timing.GROUP_POLL_S` for `timeout` s."""
        deadline = time.monotonic() + timeout
        while self.alive():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, timing.GROUP_POLL_S))


class Processes:
    """A :class:`Target`: ``multiprocessing`` processes this process started (and owns).

    Signals go through ``terminate()`` and ``kill()``, so the child watch knows their owner
    ended them; waiting is on their sentinels; ``alive()`` reaps the ones that have ended.
    Processes never started are ignored.
    """

    def __init__(self, processes: Iterable[Any]) -> None:
        self._procs = [p for p in processes if p.pid is not None]

    def alive(self) -> bool:  # noqa: D102 - see Target
        # A list, not any(): every one is polled, so every one that ended is reaped.
        return any([p.is_alive() for p in self._procs])

    def signal(self, sig: int) -> None:  # noqa: D102 - see Target
        for proc in self._procs:
            if not proc.is_alive():
                continue
            if sig == signal.SIGKILL:
                proc.kill()
            else:
                proc.terminate()

    def wait(self, timeout: float) -> None:  # noqa: D102 - see Target
        sentinels = [p.sentinel for p in self._procs if p.exitcode is None]
        if sentinels:
            wait(sentinels, timeout)


class Escalation:
    """Grace → SIGTERM → SIGKILL on one `target` (see the module docstring).

    `term_grace_s` is how long SIGTERM gets before SIGKILL; `reap_s` how long the run form
    waits after SIGKILL for the target to be gone. Times passed as `now` are
    ``time.perf_counter_ns()`` values (the events' clock); omitted, it is read.
    """

    def __init__(self, target: Target, term_grace_s: float = 0.0, reap_s: float = 0.0) -> None:
        self.target = target
        self._term_grace_ns = int(term_grace_s * 1e9)
        self._reap_ns = int(reap_s * 1e9)
        self._state = _IDLE
        self._due = 0  # when the next signal is due (after SIGKILL: when reaping ends)

    @property
    def begun(self) -> bool:
        """True once :meth:`begin` has been called."""
        return self._state != _IDLE

    @property
    def done(self) -> bool:
        """True once there is nothing left to send: the target is gone, or was SIGKILLed."""
        return self._state in (_KILLED, _GONE)

    def begin(self, grace_s: float = 0.0, now: int | None = None, hurry: bool = False) -> None:
        """Start the escalation: SIGTERM after `grace_s` (SIGKILL at once if `hurry`).

        Called again, it can only bring what is due closer, never put it off: a second Stop
        with a shorter grace shortens it; a hurry after SIGTERM makes SIGKILL due now.
        """
        now = _now() if now is None else now
        due = now if hurry else now + int(grace_s * 1e9)
        if self._state == _IDLE:
            self._state = _KILL_DUE if hurry else _TERM_DUE
            self._due = due
        elif self._state == _TERM_DUE:
            if hurry:
                self._state = _KILL_DUE
            self._due = min(self._due, due)
        elif self._state == _KILL_DUE and hurry:
            self._due = min(self._due, due)

    def step(self, now: int | None = None) -> int | None:
        """Send whatever signal is due now (the step form); return it, or None. Never blocks.

        The target is asked whether it is alive only when a signal is due, so a loop may call
        this as often as it likes.
        """
        if self._state not in (_TERM_DUE, _KILL_DUE):
            return None
        now = _now() if now is None else now
        if now < self._due:
            return None
        if not self.target.alive():
            self._state = _GONE
            return None
        if self._state == _TERM_DUE:
            self.target.signal(signal.SIGTERM)
            self._state, self._due = _KILL_DUE, now + self._term_grace_ns
            return signal.SIGTERM
        self.target.signal(signal.SIGKILL)
        self._state, self._due = _KILLED, now + self._reap_ns
        return signal.SIGKILL

    def run(self, grace_s: float = 0.0, hurry: bool = False) -> None:
        """Begin (if not begun) and see it through, blocking (the run form).

        Returns as soon as the target is gone, and at the latest `grace_s` + `term_grace_s`
        + `reap_s` after it began.
        """
        self.begin(grace_s, hurry=hurry)
        while self._state in (_TERM_DUE, _KILL_DUE):
            left = self._due - _now()
            if left > 0:
                self.target.wait(left / 1e9)
                if not self.target.alive():
                    self._state = _GONE
                    return
                continue
            self.step()
        while self._state == _KILLED:
            left = self._due - _now()
            if left <= 0:
                return  # the bound: what is left is the kernel's, or init's, to reap
            if not self.target.alive():
                self._state = _GONE
                return
            self.target.wait(left / 1e9)


def end(
    target: Target,
    grace_s: float = 0.0,
    term_grace_s: float = 0.0,
    reap_s: float = 0.0,
    hurry: bool = False,
) -> None:
    """End `target` now, blocking: ``Escalation(target, term_grace_s, reap_s).run(...)``."""
    Escalation(target, term_grace_s, reap_s).run(grace_s, hurry=hurry)


def end_processes(processes: Iterable[Any], hurry: bool = False) -> None:
    """Terminate `processes` (this process's children), kill what ignores that, reap them.

    :data:`~mpgui.core.timing.WORKER_TERM_GRACE_S` between SIGTERM and SIGKILL, at most
    :data:`~mpgui.core.timing.KILLED_EXIT_S` for the killed to be gone. `hurry`: SIGKILL at
    once.
    """
    end(
        Processes(processes),
        term_grace_s=timing.WORKER_TERM_GRACE_S,
        reap_s=timing.KILLED_EXIT_S,
        hurry=hurry,
    )
