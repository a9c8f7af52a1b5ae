"""The host's handle on one run's conductor process: start it, collect its events, end it.

Both the headless runner (``mpgui run``, the tests) and the GUI's drain thread use this class,
so the CLI, the tests and the window exercise one path.

Events come on two channels: the workers' event channel (a pipe of ours, see
:mod:`~mpgui.core.protocol.channel`) and the conductor's own control pipe. Collecting
waits with ``multiprocessing.connection.wait`` on both, the conductor's sentinel and any extra
wake-up handles, so a dead conductor or a Stop is noticed at once; and it reads them with
:class:`~mpgui.core.protocol.frames.FrameReader`, which never blocks, even on half a message.

Ending is the escalation of :mod:`mpgui.core.ending` on the conductor's process group (see
:mod:`mpgui.core.child.conductor`): the stop flag, a grace, ``SIGTERM`` to every process in it,
then ``SIGKILL`` to whatever is still there — stepped by :meth:`Conductor.collect` after a
Stop, run through at once by :meth:`Conductor.end_group`. After a kill the
event pipe may hold half a message and its lock may be held by a dead process, so a run's
channel and stop flag are never reused: each run makes new ones.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import types
from collections.abc import Iterator
from multiprocessing.connection import wait
from typing import Any

import psutil

from mpgui.core import ending, timing
from mpgui.core.child.conductor import conductor_main
from mpgui.core.host.task_timeouts import TaskTimeouts
from mpgui.core.host.telemetry import CpuSampler
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import run_names
from mpgui.core.protocol.channel import EventChannel
from mpgui.core.protocol.frames import FrameReader, LineReader
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.core.protocol.stop_flag import StopFlag

#: Process groups of every conductor this process started: tests check they are all empty.
started_groups: list[int] = []

#: Capacity asked for the workers' event pipe (bytes; Linux lets anyone have up to 1 MiB).
EVENTS_PIPE_BYTES = 1 << 20


class RunStartError(Exception):
    """The run could not be started (no room in /dev/shm, a process limit): one line why."""


def _start_failure(what: str, exc: OSError) -> RunStartError:
    """A :class:`RunStartError` saying what could not be made, why, and what to look at."""
    return RunStartError(f"could not {what}: {exc.strerror or exc}{ev.hint(exc)}")


def valid_batch(batch: Any) -> bool:
    """True if `batch` is what our processes send: a list of well-formed event tuples."""
    if type(batch) is not list:
        return False
    for event in batch:
        if type(event) is not tuple or not event or type(event[0]) is not str:
            return False
        names = ev.FIELDS.get(event[0])
        if names is None or len(event) != 1 + len(names) or type(event[1]) is not int:
            return False
    return True


def _enlarge_pipe(fd: int, size: int) -> int:
    """Ask for a pipe buffer of `size` bytes (Linux); return the capacity it now has.

    A pipe holds 64 KiB by default: a flood of events fills it in moments. A larger one lets
    the host read a flood in a few large gulps instead of a wake-up per message, and lets
    workers write on while it does. Elsewhere, or if refused, the pipe stays as it is (0:
    unknown).
    """
    try:
        import fcntl  # noqa: PLC0415 - not on Windows

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (ImportError, AttributeError, OSError):
        return 0


def live_group_members(pgid: int) -> list[int]:
    """Pids in process group `pgid` that are still alive (zombies are dead: not counted).

    ``killpg(pgid, 0)`` alone would count zombies, and an orphaned worker stays a zombie
    until init gets round to reaping it — after it has already stopped existing in every way
    that matters.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []  # the common case, answered without scanning
    except PermissionError:
        pass
    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(proc.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Hide the host's ``__main__`` while a spawn child is being prepared.

    A spawn child normally re-imports the parent's main module. For the conductor that would
    mean importing whatever hosts mpgui (pytest, a teacher's script that imports Qt: slow)
    and, for a script without an ``if __name__ == "__main__":`` guard, starting its window and
    its run all over again. The conductor needs nothing from ``__main__`` (its target lives in
    this package), so it is prepared against an empty stand-in. Runs in the thread that calls
    ``Process.start()``; the real module is back before ``start()`` returns.
    """
    real = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if real is not None:
            sys.modules["__main__"] = real


class _RunGroup(ending.PolledTarget):
    """A run's conductor and every process in its group, as an :class:`~mpgui.core.ending.Target`.

    Alive while the conductor runs — before its ``setpgrp()`` its group is still ours, and
    empty — or while any member of its group lives.
    """

    def __init__(self, conductor: Conductor) -> None:
        self.conductor = conductor

    def alive(self) -> bool:  # noqa: D102 - see ending.Target
        return not self.conductor.exited() or self.conductor.group_alive()

    def signal(self, sig: int) -> None:  # noqa: D102 - see ending.Target
        self.conductor.signal_group(sig)


class Conductor:
    """One run's conductor process, its event channel and its stop flag (spawn context)."""

    def __init__(self, spec: RunSpec, telemetry: bool = True) -> None:
        """Make the run's channels (nothing starts yet); :class:`RunStartError` if they
        cannot be made."""
        self.spec = spec
        self.host_pid = os.getpid()
        mp = multiprocessing.get_context("spawn")
        try:
            with run_names.named(run_names.host_prefix(self.host_pid)):
                self.channel: EventChannel | None = EventChannel(mp)
            self.stop_event: Any = StopFlag(mp)
            self._control_r, self._control_w = mp.Pipe(duplex=False)
            self._output_r, self._output_w = mp.Pipe(duplex=False)
        except OSError as exc:
            raise _start_failure("create the run's event channel and pipes", exc) from None
        #: How many bytes the workers' pipe holds unread (0: unknown, likely 64 KiB).
        self.events_pipe_bytes = _enlarge_pipe(self.channel.reader.fileno(), EVENTS_PIPE_BYTES)
        self.process = mp.Process(
            target=conductor_main,
            args=(
                spec,
                self.channel,
                self._control_w,
                self.stop_event,
                self.host_pid,
                self._output_w,
            ),
            name=f"mpgui-conductor-{spec.scenario}",
        )
        self.pids: list[int] = []  # every process that said hello, in order
        self._sampler = CpuSampler() if telemetry else None
        # Control first: the conductor announces a phase before its workers report in it.
        self._readers = [FrameReader(self._control_r), FrameReader(self.channel.reader)]
        self._output = LineReader(self._output_r.fileno())
        self._reported_corrupt: set[FrameReader] = set()  # readers said to be corrupt
        self.exitcode: int | None = None  # the conductor's exit code, kept after close()
        # Stop's escalation, stepped by collect().
        self._stopping = ending.Escalation(_RunGroup(self), timing.GROUP_TERM_GRACE_S)
        self._leftovers_ended = False
        self._control_eof_ns: int | None = None  # when the conductor closed its pipe
        self._timeouts = TaskTimeouts(0)  # its group is known once the conductor has started

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the conductor process; :class:`RunStartError` if it cannot be started."""
        try:
            with _main_module_hidden():
                self.process.start()
        except OSError as exc:
            raise _start_failure("start the run's conductor process", exc) from None
        finally:
            # The host only reads. Closing its copies of the write ends lets the readers see
            # EOF once every writer has gone.
            self.channel.close_writer()
            self._control_w.close()
            self._output_w.close()
        started_groups.append(self.process.pid)
        self._timeouts.pgid = self.process.pid

    @property
    def pid(self) -> int | None:
        """The conductor's pid (also its process group id), once started."""
        return self.process.pid

    @property
    def sentinel(self) -> int:
        """A handle that becomes ready when the conductor process ends."""
        return self.process.sentinel

    def started(self) -> bool:
        """True once the conductor process has been started (it may have ended since)."""
        return self.process.pid is not None

    def exited(self) -> bool:
        """True once the conductor process has ended (or was never started)."""
        return not self.started() or self.process.exitcode is not None

    def request_stop(self, grace_s: float = timing.STOP_GRACE_S) -> None:
        """Ask the scenario to wind down; if it has not ended after `grace_s`, end it.

        The stop event is set now (scenarios check it between tasks). The rest — SIGTERM to
        the group after `grace_s`, SIGKILL :data:`~mpgui.core.timing.GROUP_TERM_GRACE_S`
        later — is the escalation's step form, advanced by :meth:`collect`, so whoever
        collects (the drain thread, the headless runner) never blocks on it. A later call can
        only bring the deadline closer. Does nothing once :meth:`close` has run.
        """
        if self.stop_event is None:
            return
        self.stop_event.set()
        self._stopping.begin(grace_s, now=ev.now_ns())

    def signal_group(self, sig: int) -> None:
        """Send `sig` to the conductor and every process it started."""
        pid = self.process.pid
        if pid is None:
            return
        if hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
        # Until the child has called setpgrp() its group is ours: signal it directly too.
        if self.process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def group_alive(self) -> bool:
        """True while any process of the conductor's group is still alive."""
        pid = self.process.pid
        if pid is None:
            return False  # never started: there is no group
        self.process.join(0)  # reap the conductor if it has ended, so it is not a zombie
        if not hasattr(os, "killpg"):
            return self.process.is_alive()
        return bool(live_group_members(pid))

    def end_group(
        self,
        term_wait: float = timing.GROUP_TERM_GRACE_S,
        kill_wait: float = timing.GROUP_KILL_WAIT_S,
    ) -> None:
        """SIGTERM the whole group, wait up to `term_wait` s, then SIGKILL what is left and
        wait up to `kill_wait` s for it to be gone: the escalation's run form, no grace.
        Returns at once if the group is empty."""
        ending.end(_RunGroup(self), term_grace_s=term_wait, reap_s=kill_wait)

    def close(self) -> None:
        """Release the channel, the pipes and the process object. The group must have ended.

        Semaphores the run's processes never unlinked (they were killed) are removed now,
        so nothing of the run stays in ``/dev/shm`` and this host's resource tracker has
        nothing to warn about when it exits.
        """
        if self.channel is None:
            return  # closed already
        if self.started():
            self.process.join(timing.CONDUCTOR_EXIT_S)
            if self.process.exitcode is None:
                # Never leave it running: at interpreter exit multiprocessing joins every
                # live child, and a conductor that outlived its run would hang the host's exit.
                ending.end(_RunGroup(self), reap_s=timing.KILLED_EXIT_S, hurry=True)
            self.exitcode = self.process.exitcode
            if not self.group_alive():
                run_names.remove_leftovers(self.host_pid, self.process.pid)
        for conn in (self._control_r, self._output_r, self._control_w, self._output_w):
            conn.close()
        self.channel.close()
        if self.process.exitcode is not None or not self.started():
            self.process.close()
        # Let go of the channel's lock and the stop flag now, not whenever this object is
        # collected: under spawn the lock is a named semaphore in /dev/shm. Never reused anyway.
        self.channel = self.stop_event = None
        self._readers = []

    # -- events --------------------------------------------------------------------------
    def collect(self, timeout: float | None, wake: tuple[Any, ...] = ()) -> list[tuple]:
        """Wait up to `timeout` s for events, the conductor's end or a `wake` handle; read.

        Returns every event that could be read without blocking, plus telemetry events when a
        sample is due. Also advances a requested stop (see :meth:`request_stop`), and once the
        conductor has ended, ends anything it left in its group, so :meth:`drained` never
        waits on an orphan.
        """
        handles: list[Any] = [*wake, *(r.conn for r in self._readers if not r.done)]
        if not self._output.eof:
            handles.append(self._output.fd)
        if not self.exited():
            handles.append(self.process.sentinel)
        if handles:
            wait(handles, timeout)
        out: list[tuple] = []
        control, workers = self._readers
        for reader, observe in (
            (control, self._timeouts.observe_control),
            (workers, self._timeouts.observe_workers),
        ):
            for batch in reader.read():
                if not valid_batch(batch):
                    out.append(
                        self._protocol_error(
                            reader, f"a message that is not a batch of events: {batch!r:.80}"
                        )
                    )
                    continue
                # A probe's HELLO is always flushed alone, as the first event of a batch.
                match batch:
                    # A lane that is not a process (start-methods' lane of one method's
                    # children) has a negative id: nothing to sample, nothing to signal.
                    case [(ev.HELLO, _, pid, _, _, _), *_] if pid > 0:
                        self.pids.append(pid)
                observe(batch)
                out.extend(batch)
            if reader.corrupt and reader not in self._reported_corrupt:
                self._reported_corrupt.add(reader)
                out.append(self._protocol_error(reader, reader.why))
                # Nothing more can be read from it, and writers would block on it: end the run.
                self.request_stop(grace_s=0)
        out.extend((ev.LOG, ev.now_ns(), 0, ev.OUTPUT_LEVEL, line) for line in self._output.read())
        now = ev.now_ns()
        if self._sampler is not None and self._sampler.due(now):
            out.extend(self._sampler.sample(self.pids))
        if not self.exited():
            out.extend(self._timeouts.enforce(now))
        self._stopping.step(now)
        self._end_a_lingering_exit(now)
        if self.exited() and not self._leftovers_ended:
            self._leftovers_ended = True
            # Instant when the group is already empty, as it is unless something outlived it.
            self.end_group(term_wait=timing.LEFTOVER_TERM_GRACE_S)
        return out

    def _protocol_error(self, reader: FrameReader, why: str) -> tuple:
        """An ERROR event (host-made) about a malformed message on `reader`'s channel."""
        channel = "the conductor's pipe" if reader is self._readers[0] else "the workers' pipe"
        return (ev.ERROR, ev.now_ns(), "ProtocolError", f"{why} on {channel}", None, {})

    def _end_a_lingering_exit(self, now: int) -> None:
        """End a conductor that has reported and closed its pipe but does not exit.

        At exit, multiprocessing joins the conductor's children; one that ignores SIGTERM
        would keep it there forever. Its outcome is already reported: only the end is left.
        """
        control = self._readers[0]
        if not control.done or self.exited() or self._stopping.begun:
            return
        if self._control_eof_ns is None:
            self._control_eof_ns = now
        elif now - self._control_eof_ns >= timing.CONDUCTOR_LINGER_S * 1e9:
            self.request_stop(grace_s=0)

    def drained(self) -> bool:
        """True when the conductor has ended and its channels hold nothing more to read.

        The control pipe must reach end-of-file (its only writer was the conductor). The
        workers' pipe and the output pipe count as drained once nothing is readable: a
        worker that outlived the conductor is ended by the caller, not waited for.
        """
        if not self.exited():
            return False
        if not self.started():
            return True
        control, workers = self._readers
        output_idle = self._output.eof or not wait([self._output.fd], 0)
        return control.done and output_idle and (workers.done or not wait([workers.conn], 0))
