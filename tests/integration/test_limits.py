"""Bad circumstances — few processes allowed, no room in /dev/shm — end a run with one clear
line on stderr and its result on stdout: never a hang, never a traceback, never "ok" for a run
that lost a worker. Real limits, on real runs (see ``tests/limits.py``)."""

import json

import pytest

from mpgui.core.protocol.run_spec import available_start_methods
from tests.limits import PIDS_ROOT, can_unshare_mounts, mpgui_limited, mpgui_with_shm

#: Caps on the whole command's processes and threads, from "cannot start the conductor" to
#: "the run fits". A 4-worker pool-map needs about 16 (host, tracker, conductor and its
#: threads, each worker and its probe's flusher).
TASK_LIMITS = (2, 3, 5, 7, 9, 11, 13, 15, 17, 19, 24)
RUNS = {
    "pool-map": ["--set", "workers=4", "--set", "tasks=8", "--set", "task_ms=5"],
    "worker-failures": [
        "--set", "failure=none", "--set", "api=ProcessPoolExecutor", "--set", "workers=4",
        "--set", "tasks=8", "--set", "task_ms=5",
    ],
}  # fmt: skip


def assert_one_clear_outcome(out, args) -> dict:
    """One JSON result on stdout; nothing on stderr if it succeeded, else one line saying why."""
    where = f"mpgui {' '.join(args)}: rc {out.returncode}, stderr {out.stderr!r}"
    assert out.returncode in (0, 1), where
    assert "Traceback" not in out.stderr, where
    result = json.loads(out.stdout)
    lines = out.stderr.strip().splitlines()
    if result["ok"]:
        assert out.returncode == 0 and lines == [], where
    else:
        assert out.returncode == 1, where
        assert len(lines) == 1 and lines[0].startswith("mpgui: the run failed: "), where
        assert result["error"]["message"], where
    return result


@pytest.mark.skipif(PIDS_ROOT is None, reason="no pids cgroup can be made here")
@pytest.mark.parametrize("scenario", sorted(RUNS))
@pytest.mark.parametrize("method", available_start_methods())
def test_under_a_process_limit_every_run_ends_with_one_clear_line(scenario, method):
    outcomes = {}
    for limit in TASK_LIMITS:
        args = ["run", scenario, *RUNS[scenario], "--start-method", method, "--json"]
        result = assert_one_clear_outcome(mpgui_limited(args, limit, timeout=30), args)
        outcomes[limit] = result["ok"] or result["error"]["type"]
    print(scenario, method, outcomes)
    # The sweep covered both ends: a run that could not start, and one that fitted.
    assert outcomes[TASK_LIMITS[0]] == "StartFailed", outcomes
    assert outcomes[TASK_LIMITS[-1]] is True, outcomes


@pytest.mark.skipif(not can_unshare_mounts(), reason="no private mount namespace here")
@pytest.mark.parametrize(
    ("size", "files", "who"),
    # The host makes one semaphore (its event channel's lock): with room for no file at all
    # it cannot; with room for a few, the conductor's Pool cannot make its locks.
    [("4k", 0, "host"), ("24k", None, "conductor")],
    ids=["no-room-for-the-host's-channel", "no-room-for-the-pool's-locks"],
)
def test_with_dev_shm_full_the_run_fails_with_one_line_and_leaves_nothing(size, files, who):
    args = ["run", "pool-map", "--set", "workers=2", "--set", "tasks=4", "--start-method",
            "spawn", "--json"]  # fmt: skip
    out = mpgui_with_shm(args, size, files)
    result = assert_one_clear_outcome(out, args)
    assert not result["ok"]
    assert "No space left on device (is /dev/shm, or the disk, full?)" in out.stderr
    if who == "host":
        assert result["error"]["type"] == "StartFailed"
    else:  # the conductor started; making the Pool's locks failed
        assert result["error"]["type"] == "OSError"
