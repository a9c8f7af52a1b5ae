"""Per-task timeouts, enforced by the host: a task that runs too long has its worker ended.

A scenario announces a limit with its plan — ``ctx.probe.plan(tasks=…, task_timeout_s=2.0)``
— and from then on the host watches every task's START and END. A worker whose task passes
the limit gets SIGTERM; if it is still alive :data:`~mpgui.core.timing.TIMEOUT_TERM_GRACE_S`
later (it ignores SIGTERM), SIGKILL — the escalation of :mod:`mpgui.core.ending`, one per
worker, stepped by :meth:`TaskTimeouts.enforce`. The conductor's child watch then sees the
death like any other, so the scenario's pool is interrupted instead of waiting for the task
forever.

The host does this, not the conductor, because the host is the one process that sees every
worker's task events as they happen — and it must be able to end a worker even when the
conductor is stuck waiting on it.
"""

from __future__ import annotations

import contextlib
import os
import signal

from mpgui.core import ending, timing
from mpgui.core.protocol import events as ev


class _GroupMember(ending.PolledTarget):
    """One worker as an :class:`~mpgui.core.ending.Target`: pid `pid`, while it is still in
    process group `pgid` (a pid reused by another process is never signalled)."""

    def __init__(self, pid: int, pgid: int) -> None:
        self.pid = pid
        self.pgid = pgid

    def alive(self) -> bool:  # noqa: D102 - see ending.Target
        try:
            return os.getpgid(self.pid) == self.pgid
        except ProcessLookupError:
            return False

    def signal(self, sig: int) -> None:  # noqa: D102 - see ending.Target
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)


class TaskTimeouts:
    """Tracks open tasks against the announced limit; :meth:`enforce` ends overdue workers.

    `pgid` is the conductor's process group: only its members are ever signalled, so a
    recycled pid can never hit an unrelated process.
    """

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid
        self.limit_ns: int | None = None
        self._open: dict[int, tuple[int, int]] = {}  # pid -> (task, started at)
        self._ending: dict[int, ending.Escalation] = {}  # pid -> its escalation, once overdue
        self._failed = False

    def observe_control(self, events: list[tuple]) -> None:
        """Fold the conductor's own events: its PLAN sets or clears the limit; EXITs close."""
        for event in events:
            match event:
                case (ev.PLAN, _, info):
                    limit = info.get("task_timeout_s")
                    self.limit_ns = int(limit * 1e9) if limit else None
                case (ev.EXIT, _, pid, _, _, _):
                    self._open.pop(pid, None)
                    self._ending.pop(pid, None)

    def observe_workers(self, events: list[tuple]) -> None:
        """Fold workers' events (only while a limit is set: otherwise this costs nothing)."""
        if self.limit_ns is None:
            return
        for event in events:
            match event:
                case (ev.START, t, pid, task):
                    self._open[pid] = (task, t)
                case (ev.END, _, pid, _, _) | (ev.SPANS, _, pid, _):
                    self._open.pop(pid, None)  # a block of finished tasks ends the open one

    def enforce(self, now: int) -> list[tuple]:
        """End workers whose task is overdue; return the events that say so (host-made).

        The step form of each worker's escalation: never blocks.
        """
        out: list[tuple] = []
        if self.limit_ns is not None:
            for pid, (task, since) in list(self._open.items()):
                if now - since >= self.limit_ns and pid not in self._ending:
                    out.extend(self._overdue(now, pid, task))
        for pid, escalation in list(self._ending.items()):
            if escalation.step(now) == signal.SIGKILL:
                out.append(
                    (ev.LOG, now, pid, "ERROR", f"pid {pid} ignored SIGTERM for "
                     f"{timing.TIMEOUT_TERM_GRACE_S:g} s: SIGKILL")
                )  # fmt: skip
        return out

    def _overdue(self, now: int, pid: int, task: int) -> list[tuple]:
        limit_s = self.limit_ns / 1e9 if self.limit_ns else 0
        out = [(ev.LOG, now, pid, "ERROR",
                f"task {task} on pid {pid} passed its {limit_s:g} s timeout: SIGTERM")]  # fmt: skip
        if not self._failed:  # the first timeout is the run's failure; later ones follow it
            self._failed = True
            message = f"task {task} ran longer than its {limit_s:g} s timeout; its worker was ended"
            out.append((ev.ERROR, now, "TaskTimeout", message, None, {"pid": pid, "task": task}))
        escalation = ending.Escalation(
            _GroupMember(pid, self.pgid), term_grace_s=timing.TIMEOUT_TERM_GRACE_S
        )
        escalation.begin(now=now)
        escalation.step(now)  # SIGTERM, now
        self._ending[pid] = escalation
        return out
