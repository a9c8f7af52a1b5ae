"""How reliably each scenario shows its effect, with its default parameters, run after run,
under every start method; prints one JSON object.

Exact effects (counts, equalities) are asserted in the tests; ratios and timings are floors
here, as the median of ``--runs`` runs (3 by default) with ``meets_floor`` beside each, since
one run on a shared machine decides nothing. ``--quick`` runs each once, fork only: the suite
checks that every figure is present and finite.

- counter-race: the smallest share of updates lost without the lock (must be > 0 every run)
  and whether the locked count was exact every run; also for smaller `increments`, to show
  why the default is what it is.
- manager-list: Manager list length vs expected, the plain list's length in the parent, and
  the Queue's speed-up over the proxy.
- start-methods: median start latency per method, and which methods' children saw the
  parent's change.
- process-basics: together vs one by one, waiting and computing, against the ratio floors.
- shared-memory: whether the Array filled, the plain list stayed empty in the parent and the
  Value was exact in every run, and the median fill time against its ~2 s target.
- lock-print: the fewest garbled lines without the lock (must be > 0 every run) and the most
  with it (must be 0), on every core and on one, with the median time of each phase.
- threads-vs-processes: the median speedups of threads on waiting and on computing tasks,
  and of processes on computing tasks, against the issue's floors.
- queue-logging: the median largest record delay through the Queue, and whether every record
  came through it (in order) and the count without it was fork's all / the others' none.
- when-not-to: tiny tasks, chunksize=1 vs serial and vs the best chunksize, sending data vs
  counting it in the parent, and a new pool's start-up: medians, and whether the slowdowns
  held in every run.
- file-processing: the median speedup of Pool.map over the serial count (floor 1.4 on 2
  cores), throughput warm and cold, and a worker's peak RSS with readlines against a stream.
- rate-limit: whether 429s came without the limiter, none with it and no second above
  server_rps × 1.1, in every run; the limited phase's pace against requests ÷ client_rps.

    uv run python benchmarks/scenario_effects.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol.run_spec import available_start_methods


def runs_of(scenario_id: str, params: dict, method: str, runs: int) -> tuple[list[dict], dict]:
    """`runs` headless runs of a scenario: the metrics of those that succeeded, and what to
    report of the rest — ``{"failed_runs": n}``, with their errors if there were any."""
    results = [runner.run(scenarios.make_spec(scenario_id, params, method)) for _ in range(runs)]
    ok = [r["metrics"] for r in results if r["ok"]]
    failed: dict = {"failed_runs": runs - len(ok)}
    if len(ok) < runs:
        failed["errors"] = [r["error"] for r in results if not r["ok"]]
    return ok, failed


def counter_race(runs: int, increments: int | None, methods: tuple[str, ...]) -> dict:
    """Lost-update share (%) of `runs` counter races per start method."""
    given = {} if increments is None else {"increments": increments}
    out = {}
    for method in methods:
        lost, exact = [], []
        for _ in range(runs):
            m = runner.run(scenarios.make_spec("counter-race", given, method))["metrics"]
            lost.append(m["lost_pct"])
            exact.append(m["locked_final"] == m["expected"])
        out[method] = {
            "lost_pct_min": min(lost),
            "lost_pct_median": statistics.median(lost),
            "runs_with_loss": sum(x > 0 for x in lost),
            "locked_exact_every_run": all(exact),
        }
    return out


def manager_list(runs: int, methods: tuple[str, ...]) -> dict:
    """Manager vs plain list vs Queue, `runs` runs per start method."""
    out = {}
    for method in methods:
        results = [
            runner.run(scenarios.make_spec("manager-list", {}, method))["metrics"]
            for _ in range(runs)
        ]
        out[method] = {
            "manager_len_equals_expected": all(r["manager_len"] == r["expected"] for r in results),
            "plain_len_in_parent_max": max(r["plain_len_in_parent"] for r in results),
            "appends_per_s_median": statistics.median(r["appends_per_s"] for r in results),
            "queue_speedup_median": statistics.median(r["queue_speedup"] for r in results),
        }
    return out


#: queue-logging: the median largest created→handled delay (ms) must stay under this — a
#: record a few ms old normally; this bound leaves room for a loaded 2-core machine.
QUEUE_LOGGING_MAX_DELAY_MS = 100.0


def queue_logging(runs: int, methods: tuple[str, ...]) -> dict:
    """Per start method over `runs` default runs: the median max_delay_ms, and whether the
    equalities held every run (every record via the queue, in order, from its child; without
    it all of them under fork and none under spawn/forkserver)."""
    out = {}
    for method in methods:
        results = [
            runner.run(scenarios.make_spec("queue-logging", {}, method))["metrics"]
            for _ in range(runs)
        ]
        delay = statistics.median(r["max_delay_ms"] for r in results)
        via = all(
            r["records_via_queue"] == r["records_expected"]
            and r["out_of_order"] == 0
            and r["misattributed"] == 0
            for r in results
        )
        without = all(
            r["records_without_queue"] == (r["records_expected"] if method == "fork" else 0)
            for r in results
        )
        out[method] = {
            "max_delay_ms_median": delay,
            "max_delay_ms_ceiling": QUEUE_LOGGING_MAX_DELAY_MS,
            "via_queue_all_in_order_every_run": via,
            "without_queue_as_expected_every_run": without,
            "meets_floor": via and without and delay <= QUEUE_LOGGING_MAX_DELAY_MS,
        }
    return out


def start_methods(runs: int) -> dict:
    """Median start latency and `sees_parent_change` per method over `runs` runs."""
    medians: dict[str, list[float]] = {}
    sees: dict[str, set[bool]] = {}
    for _ in range(runs):
        m = runner.run(scenarios.make_spec("start-methods", {}))["metrics"]
        for method, fig in m["methods"].items():
            medians.setdefault(method, []).append(fig["start_ms_median"])
            sees.setdefault(method, set()).add(fig["sees_parent_change"])
    return {
        method: {
            "start_ms_median": statistics.median(values),
            "sees_parent_change": sorted(sees[method]),
        }
        for method, values in medians.items()
    }


def process_basics(runs: int, methods: tuple[str, ...]) -> dict:
    """process-basics with its defaults (4 processes waiting 300 ms), and with ``work=cpu``:
    per start method the medians of `runs` runs, against the issue's floors (ratio ≥ 3 for
    waiting processes; ≥ 1.6 computing, on 2 cores)."""
    names = ("together_s", "one_by_one_s", "ratio", "start_return_ms", "parent_waited_ms")
    out = {}
    for method in methods:
        out[method] = {}
        for work, floor in (("wait", 3.0), ("cpu", 1.6)):
            results = [
                runner.run(scenarios.make_spec("process-basics", {"work": work}, method))
                for _ in range(runs)
            ]
            figures = {
                f"{name}_median": statistics.median(r["metrics"][name] for r in results)
                for name in names
            }
            out[method][work] = {
                **figures,
                "ratio_floor": floor,
                "meets_floor": figures["ratio_median"] >= floor,
            }
    return out


#: shared-memory's fill with defaults should last about this long (s): slow enough to watch.
SHARED_MEMORY_FILL_TARGET_S = 2.0
#: The fill times (s) that count as "about 2 s": watchable, and not a drag.
SHARED_MEMORY_FILL_RANGE_S = (1.5, 3.0)


def shared_memory(runs: int, methods: tuple[str, ...]) -> dict:
    """Per start method: did the three equalities hold in every one of `runs` default runs
    (Array filled, plain list empty in the parent, Value exact), and the median fill time
    against the ~2 s target."""
    out = {}
    for method in methods:
        results = [
            runner.run(scenarios.make_spec("shared-memory", {}, method))["metrics"]
            for _ in range(runs)
        ]
        held = [
            r["array_filled"] == r["expected"]
            and r["plain_filled_in_parent"] == 0
            and r["value_final"] == r["value_expected"]
            for r in results
        ]
        fill_s = statistics.median(r["fill_s"] for r in results)
        low, high = SHARED_MEMORY_FILL_RANGE_S
        out[method] = {
            "effect_held_every_run": all(held),
            "fill_s_median": fill_s,
            "fill_s_target": SHARED_MEMORY_FILL_TARGET_S,
            "fill_s_range": [low, high],
            "meets_floor": all(held) and low <= fill_s <= high,
        }
    return out


def lock_print(runs: int, methods: tuple[str, ...]) -> dict:
    """Garbled lines without and with the lock, `runs` runs per start method, on every core
    and on ONE: there the run is ``taskset -c 0 python -m mpgui run lock-print --json`` in a
    subprocess (its conductor and workers inherit the affinity; each result's worker cores
    confirm it)."""

    def on_all_cores(method: str) -> dict:
        return runner.run(scenarios.make_spec("lock-print", {}, method))

    def on_one_core(method: str) -> dict:
        cmd = ["taskset", "-c", "0", sys.executable, "-m", "mpgui", "run", "lock-print"]
        done = subprocess.run(
            [*cmd, "--json", "--start-method", method], capture_output=True, text=True, timeout=120
        )
        return json.loads(done.stdout)

    def figures(results: list[dict]) -> dict:
        ok = [r for r in results if r["ok"]]
        if not ok:  # every run failed: say so (the errors say why), no figures to show
            return {"failed_runs": len(results), "errors": [r["error"] for r in results]}
        m = [r["metrics"] for r in ok]
        return {
            "failed_runs": len(results) - len(ok),
            "garbled_unlocked_min": min(x["garbled_unlocked"] for x in m),
            "garbled_unlocked_median": statistics.median(x["garbled_unlocked"] for x in m),
            "garbled_locked_max": max(x["garbled_locked"] for x in m),
            "lines_expected": m[0]["lines_expected"],
            "unlocked_s_median": statistics.median(x["unlocked_s"] for x in m),
            "locked_s_median": statistics.median(x["locked_s"] for x in m),
            "cores_used": sorted({c for r in ok for w in r["workers"] for c in w["cores"]}),
        }

    def held(f: dict) -> bool:
        garbled = not f["failed_runs"] and f["garbled_unlocked_min"] > 0
        return garbled and f["garbled_locked_max"] == 0

    one_core = shutil.which("taskset") is not None  # util-linux: everywhere on Linux
    out = {}
    for method in methods:
        cores = {"all_cores": figures([on_all_cores(method) for _ in range(runs)])}
        if one_core:
            cores["one_core"] = figures([on_one_core(method) for _ in range(runs)])
        out[method] = {
            **cores,
            "floor": {"garbled_unlocked_min": "> 0", "garbled_locked_max": 0},
            "one_core_confirmed": one_core and cores["one_core"].get("cores_used") == [0],
            "meets_floor": all(held(f) for f in cores.values()),
        }
        if not one_core:
            out[method]["one_core_skipped"] = "no taskset on this machine"
    return out


#: when-not-to's figures whose medians are reported.
WHEN_NOT_TO_FIGURES = (
    "tiny_serial_s",
    "tiny_pool_chunk1_s",
    "tiny_pool_chunked_s",
    "best_chunksize",
    "transfer_pool_s",
    "transfer_serial_s",
    "pool_startup_ms",
)


def when_not_to(runs: int, methods: tuple[str, ...], params: dict | None = None) -> dict:
    """Per start method over `runs` runs (defaults unless `params`): the medians of the
    figures, the slowdowns as ratios (each floor: > 1, i.e. the pool loses: chunksize 1 vs
    serial, sending the data vs counting it in the parent; and chunksize 1 vs the best one),
    and whether both booleans held in every run. A failed run is counted (`failed_runs`,
    its error kept) and fails the floor; the others' figures are still reported."""
    out = {}
    for method in methods:
        done = [
            runner.run(scenarios.make_spec("when-not-to", params or {}, method))
            for _ in range(runs)
        ]
        results = [r["metrics"] for r in done if r["ok"]]
        failed = {"failed_runs": runs - len(results)}
        if len(results) < runs:
            failed["errors"] = [r["error"] for r in done if not r["ok"]]
        if not results:
            out[method] = {**failed, "meets_floor": False}
            continue
        figures = {
            f"{name}_median": statistics.median(r[name] for r in results)
            for name in WHEN_NOT_TO_FIGURES
        }
        ratios = {
            "chunk1_over_serial_median": statistics.median(
                r["tiny_pool_chunk1_s"] / r["tiny_serial_s"] for r in results
            ),
            "chunk1_over_chunked_median": statistics.median(
                r["tiny_pool_chunk1_s"] / r["tiny_pool_chunked_s"] for r in results
            ),
            "transfer_pool_over_serial_median": statistics.median(
                r["transfer_pool_s"] / r["transfer_serial_s"] for r in results
            ),
        }
        held = all(
            r["chunk1_slower_than_serial"] and r["transfer_slower_than_serial"] for r in results
        )
        out[method] = {
            **figures,
            **ratios,
            **failed,
            "ratio_floor": 1.0,
            "booleans_held_every_run": held,
            "meets_floor": not failed["failed_runs"]
            and held
            and all(v > 1.0 for v in ratios.values()),
        }
    return out


def threads_vs_processes(runs: int, methods: tuple[str, ...], quick: bool = False) -> dict:
    """threads-vs-processes with its defaults: per start method the medians of `runs` runs
    of each timing and speedup, against the issue's floors (threads on waiting tasks ≥ 0.8 ×
    workers, threads on computing tasks ≤ 1.2, processes on computing tasks ≥ 1.6 on 2
    cores). `quick`: the scenario's small parameters (figures present, not judged: a
    default run takes ~20 s)."""
    scenario = scenarios.get("threads-vs-processes")
    params = dict(scenario.small_params) if quick else {}
    workers = params.get("workers", 4)
    floors = {
        "io_threads_speedup": (">=", 0.8 * workers),
        "cpu_threads_speedup": ("<=", 1.2),
        "cpu_processes_speedup": (">=", 1.6),
    }
    out = {}
    for method in methods:
        ok, failed = runs_of("threads-vs-processes", params, method, runs)
        if not ok:
            out[method] = failed
            continue
        medians = {f"{k}_median": statistics.median(m[k] for m in ok) for k in scenario.metrics}
        met = {
            name: medians[f"{name}_median"] >= floor
            if op == ">="
            else medians[f"{name}_median"] <= floor
            for name, (op, floor) in floors.items()
        }
        out[method] = {
            **medians,
            "params": params or "defaults",
            **failed,
            "floors": {name: f"{op} {floor:g}" for name, (op, floor) in floors.items()},
            "floors_met": met,
            "meets_floor": len(ok) == runs and all(met.values()),
        }
    return out


#: file-processing's floor: the pool's speedup over the serial count, with defaults on 2 cores.
FILE_PROCESSING_SPEEDUP_FLOOR = 1.4


def file_processing(runs: int, methods: tuple[str, ...], quick: bool = False) -> dict:
    """file-processing with its defaults (readlines, cold pass): per start method the medians
    of `runs` runs against the speedup floor, and whether every count matched in every run;
    and (not `quick`) the same files counted as a stream, for its memory. `quick`: the
    scenario's small parameters (figures present, not judged: a default run takes ~10 s).
    A failed run is counted (`failed_runs`, its error kept), never a crash."""
    scenario = scenarios.get("file-processing")
    params = dict(scenario.small_params) if quick else {}
    names = (
        "serial_s", "parallel_s", "speedup", "mb_per_s", "worker_peak_rss_mb", "count_mem_mb",
        "cpu_share", "cold_serial_s", "cold_parallel_s", "cold_speedup", "cold_mb_per_s",
        "cold_cpu_share",
    )  # fmt: skip

    def measured(run_params: dict, method: str, figures: tuple[str, ...]) -> tuple[dict, list]:
        ok, failed = runs_of("file-processing", run_params, method, runs)
        if not ok:
            return failed, ok
        medians = {f"{n}_median": statistics.median(m[n] for m in ok) for n in figures}
        return {**medians, **failed}, ok

    out = {}
    for method in methods:
        figures, ok = measured(params, method, names)
        matched = bool(ok) and all(m["lines_match"] for m in ok)
        out[method] = {
            **figures,
            "params": params or "defaults",
            "filesystems": sorted({str(m["filesystem"]) for m in ok}),
            "lines_match_every_run": matched,
            "cold_disk_bound_runs": sum(bool(m["cold_disk_bound"]) for m in ok),
            "speedup_floor": FILE_PROCESSING_SPEEDUP_FLOOR,
            "meets_floor": matched
            and len(ok) == runs
            and figures["speedup_median"] >= FILE_PROCESSING_SPEEDUP_FLOOR,
        }
        if not quick:
            stream, _ = measured(
                {"method": "stream", "cold": False},
                method,
                ("speedup", "worker_peak_rss_mb", "count_mem_mb"),
            )
            out[method]["stream"] = stream
    return out


#: web-fetch's floor: each pool's speedup over serial, as a share of `workers`.
WEB_FETCH_SHARE_FLOOR = 0.7


def web_fetch(runs: int, methods: tuple[str, ...], quick: bool = False) -> dict:
    """web-fetch with its defaults: per start method the medians of `runs` runs of each
    timing and speedup, against the issue's floor (both speedups ≥ 0.7 × workers), and
    whether every fetch got a 200 and the server had `workers` requests in flight in every
    run. `quick`: the scenario's small parameters (figures present, not judged)."""
    scenario = scenarios.get("web-fetch")
    params = dict(scenario.small_params) if quick else {}
    workers = params.get("workers", 8)
    floor = WEB_FETCH_SHARE_FLOOR * workers
    names = (
        "serial_s", "pool_s", "threads_s", "pool_speedup", "threads_speedup",
        "pool_start_ms", "threads_start_ms",
    )  # fmt: skip
    out = {}
    for method in methods:
        ok, failed = runs_of("web-fetch", params, method, runs)
        if not ok:
            out[method] = failed
            continue
        medians = {f"{n}_median": statistics.median(m[n] for m in ok) for n in names}
        held = all(set(m["status_counts"]) == {"200"} and m["max_in_flight"] == workers for m in ok)
        out[method] = {
            **medians,
            # The notice says a way timed once is steady (one round a run): this shows it.
            **{
                f"{n}_range": [min(m[n] for m in ok), max(m[n] for m in ok)]
                for n in ("pool_speedup", "threads_speedup")
            },
            "params": params or "defaults",
            **failed,
            "speedup_floor": floor,
            "all_200_and_workers_in_flight_every_run": held,
            "meets_floor": len(ok) == runs
            and held
            and medians["pool_speedup_median"] >= floor
            and medians["threads_speedup_median"] >= floor,
        }
    return out


#: rate-limit's band for the limited phase's pace: its wall time over the floor the slots
#: set, (requests - 1) / client_rps. The low end holds by construction (sends are never less
#: than 1 / client_rps apart), so it only checks the limiter; the high end is the measure:
#: the last page's latency (50 ms) and the sleepers' late wake-ups, a few per cent at most.
RATE_LIMIT_PACE = (1.0, 1.1)


def rate_limit(runs: int, methods: tuple[str, ...], quick: bool = False) -> dict:
    """rate-limit with its defaults: per start method, whether the three inequalities held
    in every run (429s without the limiter, none with it, no second above server_rps × 1.1),
    and the median of limited_s / expected_limited_s against its band. `quick`: the
    scenario's small parameters (a default run takes ~8 s)."""
    from mpgui.scenarios.rate_limit.model import RPS_MARGIN  # noqa: PLC0415

    scenario = scenarios.get("rate-limit")
    params = dict(scenario.small_params) if quick else {}
    low, high = RATE_LIMIT_PACE
    out = {}
    for method in methods:
        ok, failed = runs_of("rate-limit", params, method, runs)
        if not ok:
            out[method] = failed
            continue
        held = [
            m["status_429_unlimited"] > 0
            and m["status_429_limited"] == 0
            and m["max_rps_limited"] <= m["server_rps"] * RPS_MARGIN
            for m in ok
        ]
        pace = statistics.median(m["limited_s"] / m["expected_limited_s"] for m in ok)
        out[method] = {
            "params": params or "defaults",
            **failed,
            "status_429_unlimited_min": min(m["status_429_unlimited"] for m in ok),
            "status_429_limited_max": max(m["status_429_limited"] for m in ok),
            "max_rps_limited_max": max(m["max_rps_limited"] for m in ok),
            "max_rps_ceiling": ok[0]["server_rps"] * RPS_MARGIN,
            "limited_s_median": statistics.median(m["limited_s"] for m in ok),
            "expected_limited_s": ok[0]["expected_limited_s"],
            "pace_median": pace,
            "pace_band": f"{low:g}..{high:g}",
            "inequalities_held_every_run": all(held),
            "meets_floor": len(ok) == runs and all(held) and low <= pace <= high,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="scenario effects: shown every run, floors met?")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="one run of each, defaults only, fork only"
    )
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    methods = ("fork",) if args.quick else tuple(available_start_methods())
    figures = {
        "benchmark": "scenario_effects",
        "runs": runs,
        "counter_race_default": counter_race(runs, None, methods),
        "manager_list": manager_list(runs, methods),
        "start_methods": start_methods(runs),
        "process-basics": process_basics(runs, methods),
        "shared-memory": shared_memory(runs, methods),
        "lock-print": lock_print(runs, methods),
        "queue-logging": queue_logging(runs, methods),
        # --quick: fewer tiny tasks, so one run takes ~2 s, not ~8 (chunksize 1 is slow).
        "when-not-to": when_not_to(runs, methods, {"n": 20_000} if args.quick else None),
        "file-processing": file_processing(runs, methods, quick=args.quick),
        "threads-vs-processes": threads_vs_processes(runs, methods, quick=args.quick),
        "web-fetch": web_fetch(runs, methods, quick=args.quick),
        "rate-limit": rate_limit(runs, methods, quick=args.quick),
    }
    if not args.quick:
        figures["counter_race_by_increments"] = {
            str(n): counter_race(runs, n, ("fork",))["fork"] for n in (100, 1_000, 10_000)
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
