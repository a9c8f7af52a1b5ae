"""Process-group liveness (what Stop and the leftover guard rely on); what task timeouts see."""

import os
import signal
import subprocess
import sys
from array import array

import psutil

from mpgui.core import events as ev
from mpgui.core.launch import live_group_members
from mpgui.core.task_timeouts import TaskTimeouts


def test_a_group_counts_live_members_but_not_zombies():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        assert live_group_members(child.pid) == [child.pid]
        os.kill(child.pid, signal.SIGKILL)
        # Not reaped yet: the child is a zombie, still a member as far as killpg(…, 0) knows.
        proc = psutil.Process(child.pid)
        while proc.status() != psutil.STATUS_ZOMBIE:  # SIGKILL lands within microseconds
            pass
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
