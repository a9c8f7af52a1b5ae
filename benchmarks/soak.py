"""Soak: many consecutive runs in one host process leave nothing behind.

Runs a fixed list of run kinds round-robin, one after another, in this process (the host, as
``mpgui run`` or the GUI would): the cheap scenarios under fork, a few under spawn and
forkserver, every worker-failures failure under both Pool and ProcessPoolExecutor, and a long
pool-map stopped mid-run by its timeout. After every run, once the counts have had up to 2 s to
come back, it measures the host's

- live child processes (zombies and this process's own multiprocessing helpers — the resource
  tracker and the forkserver — not counted), and live processes left in any run's process
  group (a worker orphaned by its conductor is nobody's child any more),
- open file descriptors,
- threads (Python's ``threading.active_count()`` and the OS's count),
- entries in /dev/shm made by this process's runs (their named semaphores carry this
  process's pid, see ``mpgui.core.protocol.run_names``): /dev/shm is the whole machine's, and
  another program's semaphores are not this one's leak.

and compares them with the baseline taken after the first run (when the resource tracker
already exists). Each run kind also declares its expected outcome: ok, or a given error.
Prints one JSON object; exits 1 if the final figures differ from the baseline or a run ended
otherwise than expected.

    uv run python benchmarks/soak.py [--runs N] [--quick]

``--quick`` is 12 runs; the default is 100.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil

from mpgui import scenarios
from mpgui.core.host import handle, runner
from mpgui.core.protocol import run_names

#: Command lines of multiprocessing's long-lived helpers of the host (not a leak).
HELPERS = (
    "from multiprocessing.resource_tracker import main",
    "from multiprocessing.forkserver import main",
)
#: The figures that must come back to the baseline (shm is compared as a set of names).
COUNTS = ("children", "run_group_members", "fds", "threads", "os_threads", "shm")
SETTLE_S = 2.0
#: At most this many changes between consecutive runs are listed in the output.
MAX_CHANGES = 30


@dataclass(frozen=True)
class Kind:
    """One kind of run and the outcome it should have: ok, or an error of `error_type`."""

    name: str
    scenario: str
    params: dict[str, Any]
    method: str = "fork"
    timeout: float | None = None
    error_type: str | None = None

    def unexpected(self, result: dict[str, Any]) -> str | None:
        """Why `result` is not the outcome this kind expects, or None if it is."""
        error = result.get("error") or {}
        if self.error_type is None:
            if result.get("ok") is True:
                return None
            return f"expected ok, got {result.get('status')} {error.get('type')}"
        if result.get("status") == "error" and error.get("type") == self.error_type:
            return None
        return f"expected error {self.error_type}, got {result.get('status')} {error.get('type')}"


def healthy(scenario: str, params: dict[str, Any], method: str = "fork") -> Kind:
    """A run that should end ok."""
    return Kind(f"{scenario}/{method}", scenario, params, method)


def failing(failure: str, api: str, error_type: str | None, method: str = "fork") -> Kind:
    """A worker-failures run whose `failure` should end in `error_type` (None: ok)."""
    params = {
        "workers": 2,
        "tasks": 8,
        "fail_task": 3,
        "task_ms": 10.0,
        "timeout_s": 0.5,
        "failure": failure,
        "api": api,
    }
    name = f"worker-failures/{failure}/{api}/{method}"
    return Kind(name, "worker-failures", params, method, error_type=error_type)


POOL_MAP = {"workers": 2, "tasks": 6, "task_ms": 5.0}
COUNTER = {"workers": 2, "increments": 2000}
MANAGER = {"workers": 2, "items": 50}
PPE = "ProcessPoolExecutor"

#: Interleaved so the first dozen (--quick) already cover all three start methods, the stopped
#: run and every failure (under one API or the other).
KINDS = [
    healthy("pool-map", POOL_MAP),
    failing("raise", "Pool", "ValueError"),
    healthy("counter-race", COUNTER, "forkserver"),
    failing("exit", PPE, "BrokenProcessPool"),
    Kind(
        "pool-map/fork/stopped",
        "pool-map",
        {"workers": 2, "tasks": 100000, "task_ms": 1.0, "baseline": False},
        timeout=0.7,
        error_type="Timeout",
    ),
    failing("segfault", "Pool", "WorkerFailed"),
    healthy("manager-list", MANAGER, "spawn"),
    failing("hang", PPE, "TaskTimeout"),
    healthy("start-methods", {"processes": 2}),
    failing("unpicklable", "Pool", "MaybeEncodingError"),
    healthy("counter-race", COUNTER),
    failing("none", PPE, None),
    healthy("manager-list", MANAGER),
    failing("raise", PPE, "ValueError"),
    healthy("pool-map", POOL_MAP, "spawn"),
    failing("exit", "Pool", "WorkerFailed"),
    healthy("pool-map", POOL_MAP, "forkserver"),
    failing("segfault", PPE, "BrokenProcessPool"),
    failing("hang", "Pool", "TaskTimeout"),
    failing("unpicklable", PPE, "TypeError"),
    failing("none", "Pool", None),
    failing("segfault", PPE, "BrokenProcessPool", "forkserver"),
    failing("exit", "Pool", "WorkerFailed", "spawn"),
]


def _is_helper(proc: psutil.Process) -> bool:
    """Whether `proc` is one of this process's own multiprocessing helpers."""
    if proc.ppid() != os.getpid():
        return False  # a conductor's helper outliving it is a leak
    cmdline = " ".join(proc.cmdline())
    return any(helper in cmdline for helper in HELPERS)


def live_children() -> int:
    """Live descendants of this process, not counting zombies or multiprocessing's helpers."""
    count = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and not _is_helper(proc):
                count += 1
        except psutil.Error:
            continue  # gone while we looked: not live
    return count


def stray_in_run_groups() -> int:
    """Live processes left in any run's process group, children of this process or not: a
    worker orphaned by its conductor is no longer a child, but it is still there."""
    return sum(len(handle.live_group_members(pgid)) for pgid in handle.started_groups)


def measure() -> dict[str, Any]:
    """This process's children, fds and threads, stray run processes and the /dev/shm
    entries of its runs (named after this process: other programs' are not counted), now."""
    return {
        "children": live_children(),
        "run_group_members": stray_in_run_groups(),
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": threading.active_count(),
        "os_threads": psutil.Process().num_threads(),
        "shm": frozenset(run_names.entries(os.getpid())),
    }


def settled(baseline: dict[str, Any] | None) -> dict[str, Any]:
    """Measure, polling up to 2 s for the figures to reach `baseline` (or, with none, to hold
    still); the last measurement either way."""
    deadline = time.monotonic() + SETTLE_S
    now = measure()
    while time.monotonic() < deadline and now != baseline:
        time.sleep(0.05)  # processes and threads end on their own time: nothing to wait on
        previous, now = now, measure()
        if baseline is None and now == previous:
            break
    return now


def counts(figures: dict[str, Any]) -> dict[str, int]:
    """The figures as numbers (the number of /dev/shm entries for the set of names)."""
    return {key: len(v) if key == "shm" else v for key, v in figures.items()}


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed from `before` to `after`: counts that moved, /dev/shm names that came or
    went. Empty if nothing did."""
    diff: dict[str, Any] = {
        key: after[key] - before[key]
        for key in COUNTS
        if key != "shm" and after[key] != before[key]
    }
    if after["shm"] - before["shm"]:
        diff["shm_added"] = sorted(after["shm"] - before["shm"])
    if before["shm"] - after["shm"]:
        diff["shm_removed"] = sorted(before["shm"] - after["shm"])
    return diff


def run_one(kind: Kind) -> str | None:
    """Run `kind` once; why its outcome was unexpected, or None."""
    try:
        spec = scenarios.make_spec(kind.scenario, kind.params, kind.method)
        return kind.unexpected(runner.run(spec, timeout=kind.timeout))
    except Exception as exc:  # a crash of the runner is a finding, not the end of the soak
        return f"raised {type(exc).__name__}: {exc}"


def soak(runs: int, verbose: bool = False) -> dict[str, Any]:
    """Run `runs` kinds round-robin; the figures as the JSON-ready dict the script prints."""
    t0 = time.monotonic()
    failed: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    off_baseline = 0
    baseline = final = None
    max_seen: dict[str, int] = {}
    for i in range(runs):
        kind = KINDS[i % len(KINDS)]
        why = run_one(kind)
        if why is not None:
            failed.append({"run": i + 1, "kind": kind.name, "why": why})
        previous, final = final, settled(baseline)
        if baseline is None:
            baseline = final
        off_baseline += final != baseline
        if previous is not None and final != previous and len(changes) < MAX_CHANGES:
            changes.append({"run": i + 1, "kind": kind.name, **difference(previous, final)})
        max_seen = {k: max(v, max_seen.get(k, v)) for k, v in counts(final).items()}
        if verbose:
            print(f"{i + 1:4d} {kind.name:45s} {counts(final)} {why or ''}", file=sys.stderr)
    assert baseline is not None and final is not None, "at least one run"
    return {
        "benchmark": "soak",
        "runs": runs,
        "baseline": counts(baseline),
        "final": counts(final),
        "max_seen": max_seen,
        "runs_not_at_baseline": off_baseline,
        "final_vs_baseline": difference(baseline, final),
        "changed_after": changes,
        "failed_unexpectedly": failed,
        "ok": final == baseline and not failed,
        "seconds": round(time.monotonic() - t0, 1),
    }


def main() -> None:
    """Parse the command line, soak, print one JSON line, exit 0 if ok else 1."""
    parser = argparse.ArgumentParser(description="consecutive runs leave nothing behind")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="12 runs")
    parser.add_argument("--verbose", action="store_true", help="one line per run on stderr")
    args = parser.parse_args()
    figures = soak(12 if args.quick else max(1, args.runs), args.verbose)
    print(json.dumps(figures))
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
