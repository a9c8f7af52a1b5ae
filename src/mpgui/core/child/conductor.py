"""The conductor: the Qt-free process that runs one scenario and reports how it went.

::

    GUI or `mpgui run` (host)                conductor (spawn child, own process group)
    ─────────────────────────                ───────────────────────────────────────────
    Conductor.start() ── spawn ────────────▶ conductor_main(spec, channel, control, …)
                                               ├─ main probe → HELLO
                                               ├─ scenario.run(ctx, params)
                                               │    └─ workers (fork/spawn/forkserver)
                                               │         └─ probe → batches ──┐
    Conductor.collect() ◀── event pipe ◀────────────────────────────────────────┘
                        ◀── control pipe ◀──── main lane, PHASE, RESULT | ERROR, DONE
    stop_event.set()  ── Stop ──────────────▶  scenarios check it between tasks

The host starts it with the *spawn* context: the host may run threads (Qt's, the drain thread)
and forking a threaded process can deadlock the child. The conductor writes its own events
synchronously to a pipe of its own. Its one thread of its own, the
:mod:`~mpgui.core.child.child_watch` that notices dead workers, waits in ``select`` and holds
no lock a forked child could inherit held, so every start method stays safe from here.

The conductor makes itself a process-group leader (``os.setpgrp``). Every process it starts —
pool workers, a Manager's server — inherits that group, so the host can end the whole tree with
one ``killpg`` even after the conductor has died and its children were re-parented. It stays in
the host's session, and lowers its priority (:data:`RUN_NICENESS`), so that the window keeps a
core while the run keeps every core busy.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from mpgui.core import timing
from mpgui.core.child import teardown
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe as probe_mod
from mpgui.core.protocol import run_names
from mpgui.core.protocol.channel import EventChannel
from mpgui.core.protocol.run_spec import RunSpec

#: How much nicer (lower priority) than its host a run's processes are. A scenario's workers
#: are batch work that may keep every core busy; the window watching them must still get a
#: core the moment it has a frame to draw or a click to handle. Niceness only decides who
#: waits when both want a core: the window's few % still come out of the run's time, and
#: the run's processes share the CPU among themselves exactly as before. Without it, a run
#: that keeps every core busy can leave the GUI thread runnable but unscheduled for long
#: enough to freeze the window (``benchmarks/gui_responsiveness.py`` reports how late it gets).
RUN_NICENESS = 10


def _die_with_host(host_pid: int) -> Callable[[], None]:
    """End this conductor's whole process group if the host process dies, or on SIGTERM.

    Linux delivers SIGTERM when the host exits (``PR_SET_PDEATHSIG``); the handler SIGKILLs the
    rest of the group, workers and all, releases the run's semaphores (see
    :mod:`~mpgui.core.child.teardown`) and ends the conductor. The host's own Stop escalation also
    sends SIGTERM, and gets the same quick end. Returns that ending, for the child watch to call
    from its thread when the main thread is blocked (see
    :class:`~mpgui.core.child.child_watch.ChildWatch`).

    The conductor then ends *by SIGTERM*, as the signal asked, so a host that did not send it
    (someone ran ``kill``) can say what happened. Only if the host is gone does it SIGKILL the
    whole group, itself included, so that nothing started in the meantime outlives it.

    Forked workers must not inherit the handler (see :func:`fork_with_default_sigterm`).
    """
    ending = threading.Lock()

    def end_run_group() -> None:
        if not ending.acquire(blocking=False):
            return  # already under way, from the other thread
        from mpgui.core.child.child_watch import disarm  # noqa: PLC0415

        disarm()  # no WorkerFailed may cut this short
        teardown.leave_nothing()
        if os.getppid() != host_pid:  # nobody is left to end a straggler: take them all
            teardown.kill_whole_group()
        teardown.kill_rest_of_group()  # a process started meanwhile
        teardown.flush_output()
        teardown.die_by(signal.SIGTERM)

    def on_sigterm(_signum: int, _frame: Any) -> None:
        end_run_group()

    fork_with_default_sigterm()
    signal.signal(signal.SIGTERM, on_sigterm)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != host_pid:  # the host died before the line above took effect
        end_run_group()
    return end_run_group


def fork_with_default_sigterm() -> None:
    """Make every process this one forks from now on start with SIGTERM's (and SIGUSR1's)
    default action, and never run this process's handler for them.

    In a worker whose main thread is blocked, a SIGTERM that lands on another thread (a
    queue's feeder) would only set a flag nobody reads, and ``Pool.terminate()`` would wait
    for that worker forever. So each forked child goes back to the default action, which ends
    a process whichever thread the signal reaches.

    Resetting the handler after the fork is not enough: a child terminated the moment it is
    forked (Stop while the parent is starting children) can get SIGTERM before its
    after-fork hooks run. Its inherited C handler then writes "15" to the inherited wake-up
    pipe, and the *conductor's* child watch hears a SIGTERM of its own and ends the run by
    it: exit code -15 after a clean Stop (``tests/integration/test_fork_signals.py``). So
    SIGTERM is blocked in the forking thread around the fork; the child unblocks it once its
    handler is the default, and a SIGTERM that came early is delivered then, and ends it.
    """
    term = {signal.SIGTERM}

    def before() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, term)

    def after_in_parent() -> None:  # also after a fork that failed
        signal.pthread_sigmask(signal.SIG_UNBLOCK, term)

    def after_in_child() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, term)

    os.register_at_fork(
        before=before, after_in_parent=after_in_parent, after_in_child=after_in_child
    )


def _capture_output(output: Connection | None) -> None:
    """Send this process's stdout and stderr — and so every child's — to the host's pipe.

    A worker's print or traceback, a thread's dying words, CPython's warnings: none of it may
    reach the host's own terminal (``mpgui run --json`` prints one object, and a failure one
    line); the host reads the pipe and shows each line in the run's log. Lines are written
    whole (:func:`~mpgui.core.protocol.probe.write_whole_lines`, here and in every worker
    the probe is installed in), so lines of different processes never mix mid-line.
    """
    if output is None:
        return
    fd = output.fileno()
    for std in (1, 2):
        os.dup2(fd, std)
    output.close()
    probe_mod.write_whole_lines(sys.stdout, sys.stderr)


def conductor_main(
    spec: RunSpec,
    channel: EventChannel,
    control: Connection,
    stop_event: Any,
    host_pid: int,
    output: Connection | None = None,
) -> None:
    """Entry point of the conductor process: run `spec`, report, finish with a DONE event.

    Workers report on `channel`; the conductor reports on `control`, a pipe of its own that it
    writes synchronously, so its RESULT, ERROR and DONE never wait behind the channel's lock,
    which a killed worker may still hold. A :class:`~mpgui.core.child.child_watch.ChildWatch`
    watches every process the scenario starts while it runs. Everything the run prints goes
    to `output`.

    A run that failed or was stopped ends here at once after its DONE (every other process of
    its group killed, its semaphores released): its pools and managers may wait forever on
    what a dead process held, and nothing of them is needed any more.
    """
    _capture_output(output)
    end_run_group = None
    if hasattr(os, "setpgrp"):
        # A process group of its own, not a session: Linux schedules each session as one
        # group (autogroup), and a run in a session of its own would get half the machine
        # whatever its niceness, leaving the window's thread waiting for a core.
        os.setpgrp()
        end_run_group = _die_with_host(host_pid)
    # Named after the run, so the host can remove what a killed run leaves behind.
    run_names.use_run_names(host_pid)
    if hasattr(os, "nice"):
        os.nice(RUN_NICENESS)  # inherited by every process the scenario starts
    if hasattr(signal, "SIGTTOU"):
        # Still in the terminal's session but not its foreground group: with `stty tostop`
        # a worker's print or traceback would stop it. Ignored, the write simply goes out.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    # Ctrl+C in a terminal is the host's to handle (it stops the run); the scenario's
    # processes inherit this and must not die half-way through an event write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from mpgui.core.child.child_watch import ChildWatch, shielded  # noqa: PLC0415
    from mpgui.core.child.failures import ThreadFailed, WorkerFailed  # noqa: PLC0415
    from mpgui.core.child.recording_context import recording_context  # noqa: PLC0415
    from mpgui.core.child.run_context import RunContext  # noqa: PLC0415

    def send(batch: list[tuple]) -> None:
        # A watch interrupt must never cut a message in half: the host would lose the pipe.
        with shielded():
            control.send(batch)

    main = probe_mod.install_probe(probe_mod.Probe(send, stop_event, role="main", label="main"))

    def report_exit(event: tuple) -> None:  # from the watch thread
        main.emit(event)
        main.flush()

    def finish(status: str, error: tuple | None) -> None:
        if error is not None:
            main.emit(error)
        main.emit((ev.DONE, ev.now_ns(), status))
        probe_mod.uninstall()
        control.close()

    def rescue(failure: WorkerFailed | ThreadFailed) -> None:  # the watch thread: see ChildWatch
        main.log(
            f"the run failed ({failure}) and its cleanup had not finished "
            f"{timing.CLEANUP_BOUND_S:g} s later: mpgui ended the run",
            "ERROR",
        )
        finish(ev.STATUS_ERROR, ev.error_event(failure, failure.info()))
        teardown.end_now()

    watch = ChildWatch(
        report_exit,
        stop_event,
        on_sigterm=end_run_group,
        on_stuck=rescue,
        flush=main.flush_if_idle,
    )
    status = ev.STATUS_OK
    error = None
    try:
        # The one scenario module this run needs, by the name the host resolved: core knows
        # no scenario by itself (scenarios are plug-ins found by mpgui.scenarios).
        scenario = importlib.import_module(spec.model).SCENARIO
        # Recording: its processes tell the watch when their owner ends them (no failure).
        ctx = recording_context(spec.start_method or None)
        watch.start()
        try:
            metrics = scenario.run(RunContext(ctx, main, channel, stop_event), dict(spec.params))
        finally:
            watch.close()  # after a last look: every process that ended is reported
        late = watch.unclaimed_failure()
        if late is not None and not stop_event.is_set():
            raise late  # a worker died as the work finished: the run still failed
        if stop_event.is_set():
            status = ev.STATUS_STOPPED
        else:
            main.emit((ev.RESULT, ev.now_ns(), metrics))
    except BaseException as exc:  # noqa: BLE001 - every failure crosses to the host as data
        if stop_event.is_set():
            status = ev.STATUS_STOPPED
        else:
            status = ev.STATUS_ERROR
            # The first death is the cause of what followed: name it, even when the error is
            # another's (a BrokenProcessPool, a proxy whose server died, a later worker).
            cause = watch.failure()
            if isinstance(exc, WorkerFailed) and cause is not None:
                exc = cause
            # A WorkerFailed's traceback would show only where mpgui interrupted the
            # conductor; the worker that died has none to give.
            error = ev.error_event(
                exc,
                cause.info() if cause is not None else None,
                with_traceback=not isinstance(exc, WorkerFailed),
            )
    if not watch.claim_report():
        # The watch thread is reporting this run (its cleanup was stuck) and ends the
        # process when it has; wait for it, within a bound.
        threading.Event().wait(timing.WATCH_REPORT_S)
        teardown.end_now()
    finish(status, error)
    if status != ev.STATUS_OK:
        teardown.end_now()
