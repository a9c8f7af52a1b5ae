"""A short soak: 15 consecutive runs of every kind leave the host as the first run left it.

Runs benchmarks/soak.py in its own process, so the children, fds, threads and /dev/shm entries
it counts are the soak's own, not the test session's.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOAK = ROOT / "benchmarks" / "soak.py"


@pytest.mark.timeout(300)
def test_15_consecutive_runs_return_to_the_first_runs_baseline():
    out = subprocess.run(
        [sys.executable, str(SOAK), "--runs", "15"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout + out.stderr
    figures = json.loads(lines[0])
    assert figures["runs"] == 15
    assert figures["failed_unexpectedly"] == []
    assert figures["final"] == figures["baseline"], figures["final_vs_baseline"]
    assert figures["ok"] is True, figures
    assert out.returncode == 0, out.stderr
