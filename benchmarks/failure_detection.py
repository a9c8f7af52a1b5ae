"""How fast a failing worker is reported: from its last words to the run's end, per failure
and API, over several runs; prints one JSON object.

The failing task logs "about to …" (the probe flushes it), waits 50 ms so the line gets out,
then goes wrong. The figure is the time from that log line to the conductor's DONE — the
moment the host knows the run is over, every process already ended. For `hang` the task's
timeout (0.5 s here) and the half second before SIGKILL are part of it. The issue's floor is
2 s for a dead worker (`exit`, `segfault`).

`idle-killed/Pool` is issue 11's case: pool-map with one 3-second task on two workers, and the
worker that waits for work SIGKILLed from outside (it dies holding the task queue's lock).
Its figure is from the kill to DONE; its floor is 2 s too.

    uv run python benchmarks/failure_detection.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol import events as ev

PARAMS = {"workers": 2, "tasks": 8, "fail_task": 3, "task_ms": 20.0, "timeout_s": 0.5}
CASES = [
    (failure, api)
    for failure in ("exit", "segfault", "raise", "unpicklable", "hang")
    for api in ("Pool", "ProcessPoolExecutor")
]


def one_run(failure: str, api: str, method: str) -> tuple[float, str]:
    """Seconds from the failing task's last words to DONE, and the run's error type."""
    seen: list[tuple] = []
    spec = scenarios.make_spec(
        "worker-failures", {**PARAMS, "failure": failure, "api": api}, method
    )
    result = runner.run(spec, on_events=lambda _s, events: seen.extend(events), timeout=60)
    said = next(e[1] for e in seen if e[0] == ev.LOG and "about to" in e[4])
    done = next(e[1] for e in seen if e[0] == ev.DONE)
    return (done - said) / 1e9, result["error"]["type"]


def idle_kill_run(method: str) -> tuple[float, str]:
    """Seconds from SIGKILLing an idle Pool worker to DONE, and the run's error type."""
    import os
    import signal

    killed: dict[str, int] = {}
    seen: list[tuple] = []

    def on_events(state, events) -> None:
        seen.extend(events)
        workers = state.workers()
        if killed or len(workers) < 2 or not any(w.open_task is not None for w in workers):
            return
        idle = next(w for w in workers if w.open_task is None)
        killed["at"] = ev.now_ns()
        os.kill(idle.pid, signal.SIGKILL)

    params = {"workers": 2, "tasks": 1, "task_ms": 3000.0, "baseline": False}
    result = runner.run(scenarios.make_spec("pool-map", params, method), on_events, timeout=60)
    done = next(e[1] for e in seen if e[0] == ev.DONE)
    return (done - killed["at"]) / 1e9, result["error"]["type"]


def main() -> None:
    """Run every case `--runs` times and print the latencies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--method", default="fork", choices=("fork", "spawn", "forkserver"))
    parser.add_argument("--quick", action="store_true", help="one run per case")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    cases = {}
    for failure, api in [*CASES, ("idle-killed", "Pool")]:
        samples, types = [], set()
        for _ in range(runs):
            if failure == "idle-killed":
                seconds, error_type = idle_kill_run(args.method)
            else:
                seconds, error_type = one_run(failure, api, args.method)
            samples.append(seconds)
            types.add(error_type)
        cases[f"{failure}/{api}"] = {
            "error_type": sorted(types),
            "median_s": round(statistics.median(samples), 3),
            "max_s": round(max(samples), 3),
        }
    dead = [
        c["max_s"]
        for k, c in cases.items()
        if k.split("/")[0] in ("exit", "segfault", "idle-killed")
    ]
    print(
        json.dumps(
            {
                "benchmark": "failure_detection",
                "method": args.method,
                "runs_per_case": runs,
                "cases": cases,
                "dead_worker_max_s": max(dead),
                "dead_worker_within_2_s": max(dead) < 2.0,
            }
        )
    )


if __name__ == "__main__":
    main()
