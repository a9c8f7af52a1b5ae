"""Run every benchmark, one after another, and print their figures as one JSON object.

    uv run python benchmarks/run.py [--quick] [--only NAME ...] [--table]

Each benchmark is a script in this folder that prints one JSON object; they run one at a time
(in their own processes) so that none competes with another for the CPU. ``--quick`` runs
each in its short mode (under two minutes in all, on 2 cores). ``--table`` prints, after the
JSON, the Markdown table of headline figures that README's *Performance* section shows.
A benchmark that fails is reported with its error and makes the exit status 1.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
from typing import Any, NamedTuple

from _common import machine, setup

HERE = pathlib.Path(__file__).parent


class Headline(NamedTuple):
    """One of the issue's figures: where it is in a benchmark's JSON, and its floor."""

    benchmark: str
    figure: str
    path: str  # "a.b" is figures["a"]["b"]
    floor: str
    met: str = "meets_floor"  # where the JSON says whether the floor is met


#: The issue's figures, in its order.
HEADLINES = (
    Headline(
        "probe_overhead", "probe overhead (ratio)", "pool_map_defaults.ratio_median", "≤ 1.02"
    ),
    Headline(
        "bridge_throughput",
        "bridge throughput (events/s)",
        "events_per_s",
        "≥ 1,000,000",
        "meets_floor_events_per_s",
    ),
    Headline("bridge_throughput", "display lag p95 (ms)", "lag_ms_p95", "≤ 100", "meets_floor_lag"),
    Headline("gui_responsiveness", "10 ms timer lateness p99 (ms)", "worst_p99_ms", "≤ 30"),
    Headline("frame_time", "frame time p95 (ms)", "p95_ms", "≤ 12"),
    Headline("inapp_speedup", "pool-map speedup in the window", "in_app_speedup_median", "≥ 1.85"),
    Headline("startup", "start-up → window shown (s)", "shown_s_median", "≤ 0.9"),
    Headline(
        "first_event", "Run → first worker event (ms)", "first_worker_event_ms_median", "≤ 250"
    ),
    Headline("memory", "GUI RSS after pool-map (MB)", "gui_rss_mb_after_pool_map", "≤ 200"),
    Headline("memory", "spawn worker RSS (MB)", "spawn_worker_rss_mb_max", "≤ 30"),
    Headline("bounded_history", "GUI RSS growth over the run (MB)", "growth_mb", "≤ 20"),
)


def benchmarks() -> list[str]:
    """Every benchmark's name (its script's stem), sorted."""
    return sorted(
        p.stem for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != "run.py"
    )


def run_one(name: str, quick: bool) -> dict[str, Any]:
    """Run benchmark `name` in its own process; its JSON, or an ``error`` entry."""
    cmd = [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if quick else [])]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = round(time.perf_counter() - t0, 1)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        tail = out.stderr.strip().splitlines()[-1:] or [f"exit status {out.returncode}"]
        return {"benchmark": name, "error": tail[0], "took_s": took}
    return {**json.loads(lines[-1]), "took_s": took}


def dig(figures: dict[str, Any], path: str) -> Any:
    """``figures["a"]["b"]`` for the path ``"a.b"`` (None where a key is missing)."""
    for key in path.split("."):
        if not isinstance(figures, dict):
            return None
        figures = figures.get(key)
    return figures


def table(results: dict[str, dict[str, Any]], quick: bool) -> str:
    """The Markdown table of the headline figures, with each floor and whether it is met."""
    rows = ["| figure | measured | floor | met | command |", "|---|---|---|---|---|"]
    for name, figure, path, floor, met_path in HEADLINES:
        if name not in results:
            continue
        got = results[name]
        value = dig(got, path)
        text = f"{value:,}" if isinstance(value, int) else str(value)
        met = {True: "yes", False: "**no**", None: "—"}[dig(got, met_path)]
        command = f"`uv run python benchmarks/{name}.py{' --quick' if quick else ''}`"
        rows.append(f"| {figure} | {text} | {floor} | {met} | {command} |")
    return "\n".join(rows)


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--table", action="store_true", help="also print the README table")
    args = parser.parse_args()
    names = benchmarks()
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        parser.exit(2, f"run.py: unknown benchmark(s) {', '.join(unknown)}\n")
    t0 = time.perf_counter()
    results = {name: run_one(name, args.quick) for name in (args.only or names)}
    print(
        json.dumps(
            {
                "benchmark": "run",
                "machine": machine(),
                "quick": args.quick,
                "took_s": round(time.perf_counter() - t0, 1),
                "results": results,
            }
        )
    )
    if args.table:
        print(table(results, args.quick))
    sys.exit(1 if any("error" in r for r in results.values()) else 0)


if __name__ == "__main__":
    main()
