"""Process-group liveness: what Stop and the leftover guard rely on."""

import os
import signal
import subprocess
import sys

import psutil

from mpgui.core.launch import live_group_members


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
