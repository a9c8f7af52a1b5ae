"""The acceptance run of issue 2, repeated: `mpgui run pool-map --set workers=2 --set tasks=16
--json` as a user types it (a real subprocess each time); prints one JSON object.

    uv run python benchmarks/cli_speedup.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

COMMAND = ["run", "pool-map", "--set", "workers=2", "--set", "tasks=16", "--json"]


def main() -> None:
    parser = argparse.ArgumentParser(description="mpgui run pool-map speedup, repeated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="two runs")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    speedups, pid_counts, oks = [], [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-m", "mpgui", *COMMAND], capture_output=True, text=True, check=False
        )
        result = json.loads(out.stdout)
        oks.append(result["ok"])
        pid_counts.append(len({w["pid"] for w in result["workers"]}))
        speedups.append(result["metrics"]["speedup"])
    print(
        json.dumps(
            {
                "benchmark": "cli_speedup",
                "command": "mpgui " + " ".join(COMMAND),
                "runs": runs,
                "all_ok": all(oks),
                "distinct_worker_pids": sorted(set(pid_counts)),
                "speedup_median": statistics.median(speedups),
                "speedup_min": min(speedups),
                "speedups": speedups,
            }
        )
    )


if __name__ == "__main__":
    main()
