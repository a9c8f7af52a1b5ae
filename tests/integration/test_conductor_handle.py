"""Process-group liveness (what Stop and the leftover guard rely on); what task timeouts see."""

import os
import signal
import struct
import subprocess
import sys
from array import array

import psutil

from mpgui.core.host.handle import Conductor, live_group_members
from mpgui.core.host.task_timeouts import TaskTimeouts
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.scenarios import make_spec
from tests.process_tree import HANG_BOUND_S, wait_for


def test_a_group_counts_live_members_but_not_zombies():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        assert live_group_members(child.pid) == [child.pid]
        os.kill(child.pid, signal.SIGKILL)
        # Not reaped yet: the child is a zombie, still a member as far as killpg(…, 0) knows.
        proc = psutil.Process(child.pid)
        assert wait_for(lambda: proc.status() == psutil.STATUS_ZOMBIE, HANG_BOUND_S)
        os.killpg(child.pid, 0)  # succeeds: the zombie is still in the group
        assert live_group_members(child.pid) == []
    finally:
        child.kill()
        child.wait()
    assert live_group_members(child.pid) == []


def test_task_timeouts_see_a_packed_span_as_the_end_of_the_open_task():
    timeouts = TaskTimeouts(pgid=0)  # group 0: no process is ever signalled
    observe = timeouts.observe_workers
    timeouts.observe_control([(ev.PLAN, 1, {"task_timeout_s": 0.001})])
    pid = 2**22 + 12345  # no such process
    observe([(ev.START, 10, pid, 7)])
    overdue = timeouts.enforce(10**12)
    assert [e[0] for e in overdue] == [ev.LOG, ev.ERROR]  # an open task is watched ...

    timeouts = TaskTimeouts(pgid=0)
    observe = timeouts.observe_workers
    timeouts.observe_control([(ev.PLAN, 1, {"task_timeout_s": 0.001})])
    observe([(ev.START, 10, pid, 7)])
    observe([ev.spans_event(pid, array("q", [7, 10, 20, 0, 8, 21, 22, 0]))])
    assert timeouts.enforce(10**12) == []  # ... and its span ends it


def _malformed_run_state(write) -> tuple[list[tuple], RunState]:
    """A real Conductor (not started) whose workers' pipe gets what `write` writes to it."""
    spec = make_spec("pool-map", {"workers": 1, "tasks": 1})
    conductor = Conductor(spec, telemetry=False)
    try:
        write(conductor.channel.writer)  # the pipe the workers write to
        events = conductor.collect(0.5)
    finally:
        conductor.close()
    state = RunState(spec)
    state.apply(events)  # must not raise
    return events, state


def test_a_message_that_is_not_a_batch_of_events_is_an_error_of_the_run():
    good = [(ev.LOG, 5, 42, "INFO", "still here")]

    def write(pipe) -> None:
        pipe.send(["x", 1])  # unpickles fine, but is not a list of events
        pipe.send([("end", 1, 2)])  # a known kind with the wrong number of fields
        pipe.send(good)

    events, state = _malformed_run_state(write)
    errors = [e for e in events if e[0] == ev.ERROR]
    assert [e[2] for e in errors] == ["ProtocolError", "ProtocolError"]
    assert "not a batch of events" in errors[0][3] and "workers' pipe" in errors[0][3]
    assert good[0] in events  # nothing after it was lost
    assert state.error["type"] == "ProtocolError"
    state.apply([(ev.DONE, 9, ev.STATUS_OK)])
    assert state.status == ev.STATUS_ERROR and not state.ok


def test_a_frame_announcing_two_gigabytes_is_an_error_of_the_run_and_ends_it():
    def write(pipe) -> None:
        os.write(pipe.fileno(), struct.pack("!iQ", -1, 2**31))

    events, state = _malformed_run_state(write)
    assert state.error["type"] == "ProtocolError"
    assert "announces 2,147,483,648 bytes" in state.error["message"]
