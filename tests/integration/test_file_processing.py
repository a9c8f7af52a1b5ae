"""File processing for real: with defaults under every start method every count of every file
equals its ``\\n`` bytes, on a pool of two processes that took turns with the files; readlines
costs a worker tens of MB where a stream costs almost nothing; Stop, and a full disk, leave no
process and no file behind, and a full disk is the run's one-line error."""

import contextlib
import os
import re
import signal
import subprocess
import tempfile

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.file_processing.model import (
    COLD,
    FILE_PID,
    PASS_S,
    WARM,
    WRITE,
    file_lines,
    file_series,
    filesystem,
)
from mpgui.scenarios.file_processing.model import SCENARIO as FILE_PROCESSING
from mpgui.ui.panels.scenario_chart import newest
from tests.process_tree import HANG_BOUND_S
from tests.runs import run_with_state, stop_when


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_every_count_matches_and_both_workers_count(method):
    result, state = run_with_state("file-processing", {}, method, timeout=120)
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    assert m["files"] == 16
    assert m["total_lines"] == sum(file_lines(16, 200_000)) == 3_200_000
    assert m["lines_match"] is True
    # Uneven files: the biggest has seven times the lines of the smallest.
    sizes = file_lines(16, 200_000)
    assert max(sizes) == 7 * min(sizes)
    assert 80 < m["total_mb"] < 200
    for name in ("serial_s", "parallel_s", "cold_serial_s", "cold_parallel_s", "pool_start_ms"):
        assert m[name] > 0, name
    assert m["speedup"] == pytest.approx(m["serial_s"] / m["parallel_s"])
    assert m["mb_per_s"] == pytest.approx(m["total_mb"] / m["parallel_s"])
    assert 0 < m["cpu_share"] <= 1.05 and 0 < m["cold_cpu_share"] <= 1.05
    assert isinstance(m["cold_disk_bound"], bool)
    # readlines (the default) holds every line of a file: the biggest file's count took tens
    # of MB above the worker's RSS, and the worker's peak is at least that.
    assert m["count_mem_mb"] > 15
    assert m["worker_peak_rss_mb"] > m["count_mem_mb"]
    # The files were counted by the pool's two processes, both of them: who counted each
    # file last (the last cold parallel pass) is one of the two workers' pids. Last by the
    # samples' own times, as the chart reads it: the conductor and the workers report on
    # two pipes, so arrival order is not the order things happened in.
    workers = {lane.pid for lane in state.workers()}
    assert len(workers) == 2
    counters = {int(newest(state, file_series(FILE_PID, i))) for i in range(16)}
    assert counters == workers
    assert [name for _t, name in state.phases] == [WRITE, WARM, COLD]
    for name in ("serial", "parallel", "cold_serial", "cold_parallel"):
        assert len(state.series[PASS_S + name]) == 3  # every round measured, and shown


def test_a_stream_takes_almost_no_memory_where_readlines_takes_tens_of_mb():
    params = {"files": 2, "lines_per_file": 200_000, "cold": False}
    taken = {}
    for how in ("readlines", "stream"):
        result, _ = run_with_state("file-processing", {**params, "method": how}, "fork")
        assert result["ok"] is True, result["error"]
        assert result["metrics"]["lines_match"] is True
        taken[how] = result["metrics"]["count_mem_mb"]
        assert result["metrics"]["cold_parallel_s"] is None  # no cold pass asked for
    assert taken["stream"] < 3
    assert taken["readlines"] > 10 + 5 * taken["stream"]


def _folder(state: RunState) -> str | None:
    """The run's private folder of files, from its first log line."""
    for _t, _p, _level, message in state.logs:
        found = re.search(r"files into (\S+)$", message)
        if found:
            return found.group(1)
    return None


@pytest.mark.parametrize(
    ("phase", "params"),
    [
        (WRITE, {"lines_per_file": 400_000}),
        (WARM, {"files": 8}),
        (COLD, {"files": 4, "lines_per_file": 50_000}),
    ],
)
def test_stop_mid_run_leaves_no_process_and_no_file(phase, params):
    spec = scenarios.make_spec("file-processing", params, "fork")
    folders = []

    def in_phase_with_files(state: RunState) -> bool:
        folder = _folder(state)
        if state.current_phase() != phase or folder is None or not os.listdir(folder):
            return False
        folders.append(folder)  # the files really are there mid-run
        return True

    run = stop_when(spec, in_phase_with_files)
    assert run.stop_took_s < 5
    assert run.exitcode == 0  # wound down by itself: no SIGTERM was needed
    assert run.state.status == "stopped"
    assert not os.path.exists(folders[0])  # the files and their folder are gone
    # (No process is left: the conftest checks that after every test.)


@contextlib.contextmanager
def small_tmpfs(size: str):
    """A tmpfs of `size` mounted on a new directory, for the block; skips the test where
    mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    where = tempfile.mkdtemp(prefix="mpgui-full-")
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        os.rmdir(where)
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", where], check=True)
        os.rmdir(where)


def test_a_full_disk_is_the_runs_one_line_error_and_leaves_nothing(monkeypatch):
    # A real full disk: TMPDIR on a 2 MB tmpfs, where the first 7 MB file cannot fit. The
    # conductor (a fresh interpreter) takes its temporary directory from TMPDIR.
    with small_tmpfs("2m") as disk:
        monkeypatch.setenv("TMPDIR", disk)
        result = runner.run(scenarios.make_spec("file-processing", {}, "fork"), timeout=60)
        assert result["ok"] is False
        error = result["error"]
        assert error["type"] == "DiskFull"
        message = error["message"]
        assert message.startswith("the disk is full: file 1 of 16 (")
        assert f" in {disk}/" in message and "No space left on device" in message
        assert "\n" not in message
        assert os.listdir(disk) == []  # the partial file, its folder, the run's temp dir


def test_a_filesystem_in_memory_is_named_and_the_run_says_it_has_no_disk(monkeypatch):
    # TMPDIR on a tmpfs (the default /tmp on Fedora and Arch): small files fit its 2 MB, and
    # the cold pass runs, but dropping a tmpfs file's pages does nothing: no disk to show.
    with small_tmpfs("2m") as disk:
        monkeypatch.setenv("TMPDIR", disk)
        params = {**FILE_PROCESSING.small_params, "cold": True}
        result, state = run_with_state("file-processing", params, "fork", timeout=60)
        assert result["ok"] is True, result["error"]
        m = result["metrics"]
        assert m["filesystem"] == "tmpfs"
        assert m["lines_match"] is True and m["cold_speedup"] > 0
        warnings = [msg for _t, _p, level, msg in state.logs if level == "WARNING"]
        assert any("is on a tmpfs, in memory: there is no disk" in w for w in warnings)
        assert os.listdir(disk) == []


def test_the_filesystem_is_the_longest_mount_point_over_the_folder(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda / ext4 rw 0 0\n"
        "tmpfs /tmp tmpfs rw 0 0\n"
        "/dev/vdb /tmp/my\\040disk xfs rw 0 0\n"  # a space in the mount point, escaped
        "tmpfs /tmpx tmpfs rw 0 0\n"  # a prefix of the path's text, not of its folders
        "overlay /srv ext4 rw 0 0\n"
        "ramfs /srv ramfs rw 0 0\n"  # mounted over the one before: the last one counts
    )
    assert filesystem("/tmp/x/file", str(mounts)) == "tmpfs"
    assert filesystem("/tmp", str(mounts)) == "tmpfs"
    assert filesystem("/tmp/my disk/f", str(mounts)) == "xfs"
    assert filesystem("/tmpxy/f", str(mounts)) == "ext4"
    assert filesystem("/srv/f", str(mounts)) == "ramfs"
    assert filesystem("/tmp", str(tmp_path / "none")) is None  # no mount table: unknown
    assert filesystem(tempfile.gettempdir()) is not None  # this machine's own table


@pytest.mark.parametrize("method", available_start_methods())
def test_a_pool_worker_killed_mid_count_ends_the_run_with_its_death_and_leaves_nothing(method):
    killed: dict = {}

    def kill_a_counting_worker(state: RunState, _events) -> None:
        if killed or state.current_phase() != WARM:
            return
        busy = [w for w in state.workers() if w.open_task is not None]
        if busy:
            killed["pid"], killed["at"], killed["folder"] = busy[0].pid, ev.now_ns(), _folder(state)
            os.kill(busy[0].pid, signal.SIGKILL)  # as the OOM killer or a `kill -9` would

    spec = scenarios.make_spec("file-processing", {"files": 8, "lines_per_file": 100_000}, method)
    result = runner.run(spec, on_events=kill_a_counting_worker, timeout=60)
    assert killed, "no worker was ever seen counting"
    took_s = (ev.now_ns() - killed["at"]) / 1e9
    assert took_s < HANG_BOUND_S, f"the run went on {took_s:.1f} s after the kill"
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "WorkerFailed", error
    assert (error["pid"], error["signal"]) == (killed["pid"], "SIGKILL")
    assert "\n" not in error["message"]
    assert killed["folder"] and not os.path.exists(killed["folder"])  # the files are gone
    # (No process is left: the conftest checks that after every test.)
