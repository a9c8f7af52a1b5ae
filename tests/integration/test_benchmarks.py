"""Every benchmark script still runs (in --quick mode) and prints one JSON object.

The figures themselves are not judged here: on a shared machine they belong in benchmark
runs compared side by side, not in pass/fail tests.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

#: The repository's benchmarks/ folder.
BENCHMARK_DIR = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
#: Every benchmark script: files starting with "_" are helpers, and run.py runs the others.
SCRIPTS = sorted(
    p for p in BENCHMARK_DIR.glob("*.py") if not p.name.startswith("_") and p.name != "run.py"
)


def test_the_benchmarks_are_found():
    # A wrong folder would parametrize the test below over nothing, and it would pass.
    assert len(SCRIPTS) >= 10, BENCHMARK_DIR


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_benchmark_runs_quick_and_prints_json(script):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, str(script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout
    figures = json.loads(lines[0])
    assert figures["benchmark"] == script.stem
    if script.stem == "scenario_effects":
        _check_scenario_effects(figures)


#: The scenarios whose effects scenario_effects.py measures as floors (issue 14 onwards).
FLOORED_SCENARIOS = (
    "process-basics",
    "shared-memory",
    "lock-print",
    "queue-logging",
    "when-not-to",
    "file-processing",
    "threads-vs-processes",
    "web-fetch",
    "rate-limit",
)


def _numbers(value):
    """Every number in a JSON value, however deeply nested (bools are not numbers here)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield value


def _check_scenario_effects(figures):
    """--quick measures each floored scenario once: its figures are there and finite, and it
    says whether each floor was met (not judged: one quick run on a shared machine)."""
    for scenario in FLOORED_SCENARIOS:
        part = figures[scenario]
        numbers = list(_numbers(part))
        assert numbers, scenario
        assert all(math.isfinite(x) for x in numbers), (scenario, part)
        assert "meets_floor" in json.dumps(part), (scenario, part)


def test_run_py_runs_the_benchmarks_it_is_given_and_prints_one_json_object():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = BENCHMARK_DIR / "run.py"
    out = subprocess.run(
        [sys.executable, str(run), "--quick", "--only", "cli_speedup", "--table"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    first, *table = out.stdout.strip().splitlines()
    figures = json.loads(first)
    assert list(figures["results"]) == ["cli_speedup"]
    assert figures["results"]["cli_speedup"]["all_ok"] is True
    assert table[0].startswith("| figure |")


def test_run_py_refuses_an_unknown_benchmark_in_one_line():
    run = BENCHMARK_DIR / "run.py"
    out = subprocess.run(
        [sys.executable, str(run), "--only", "nonesuch"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert out.stderr.strip() == "run.py: unknown benchmark(s) nonesuch"
