"""The GUI as a process: Ctrl+C in its terminal, a kill -9, the window closed mid-run.

Each test starts the real ``mpgui`` command (offscreen), lets a run get going, ends the app the
way a user or the system would, and checks that the whole process tree is gone and that
nothing complained on stderr.
"""

import os
import signal
import subprocess
import sys

import psutil
import pytest

from tests.process_tree import run_shm, run_temp_dirs, start_run_tree, wait_for

#: What must never appear on the app's stderr.
COMPLAINTS = ("Traceback", "QThread: Destroyed", "leaked", "resource_tracker")


def test_ctrl_c_in_the_terminal_closes_the_window_and_ends_the_run():
    cli, tree = start_run_tree(
        ["--scenario", "pool-map", "--run"],
        descendants=2,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # like a terminal's foreground job: Ctrl+C goes to the group
    )
    os.killpg(cli.pid, signal.SIGINT)
    try:
        _, stderr = cli.communicate(timeout=10)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert cli.returncode == 0
    _, alive = psutil.wait_procs(tree, timeout=2)
    assert not alive, alive
    assert not [c for c in COMPLAINTS if c in stderr], stderr


@pytest.mark.parametrize(
    ("scenario", "descendants"),
    [
        ("manager-list", 3),  # the Manager's server and (at least) two workers
        ("web-fetch", 1),  # the page server, while the conductor fetches serially
    ],
)
def test_a_killed_gui_takes_its_conductor_workers_and_servers_with_it(scenario, descendants):
    cli, tree = start_run_tree(
        ["--scenario", scenario, "--run"],
        descendants=descendants,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cli.send_signal(signal.SIGKILL)
    cli.wait(5)
    _, alive = psutil.wait_procs(tree, timeout=3)
    assert not alive, alive
    assert wait_for(lambda: not run_shm(cli.pid), 3)
    assert wait_for(lambda: not run_temp_dirs(cli.pid), 3)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_closing_the_window_mid_run_exits_0_and_leaves_nothing(tmp_path, method):
    app = subprocess.Popen(
        [
            sys.executable, "-m", "mpgui", "screenshot", "counter-race", "--start-method", method,
            "--set", "increments=5000000", "--at", "2.5", "--out", str(tmp_path / "shot.png"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _, stderr = app.communicate(timeout=120)
    assert app.returncode == 0, stderr
    assert not [c for c in COMPLAINTS if c in stderr], stderr
    assert wait_for(lambda: not run_shm(app.pid), 2)
