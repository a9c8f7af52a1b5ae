"""The headless runner drives real conductor and worker processes."""

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.params import ParamError
from mpgui.core.protocol.run_spec import available_start_methods

SMALL = {"workers": 2, "tasks": 8, "task_ms": 5.0, "baseline": False}


@pytest.mark.parametrize("method", available_start_methods())
def test_pool_map_runs_on_two_real_workers(method):
    result = runner.run(scenarios.make_spec("pool-map", SMALL, method))
    assert result["ok"] is True, result["error"]
    assert result["start_method"] == method
    pids = {w["pid"] for w in result["workers"]}
    assert len(pids) == 2
    assert sum(w["tasks"] for w in result["workers"]) == 8
    assert all(w["cores"] for w in result["workers"])
    assert result["metrics"]["speedup"] is None  # no baseline, no speedup
    assert result["metrics"]["tasks_per_s"] > 0


def test_pool_map_measures_its_speedup_against_a_real_serial_run():
    params = {"workers": 2, "tasks": 8, "task_ms": 20.0, "baseline": True}
    result = runner.run(scenarios.make_spec("pool-map", params, "fork"))
    m = result["metrics"]
    assert result["ok"] is True
    assert m["serial_s"] > 0 and m["parallel_s"] > 0
    assert m["speedup"] == pytest.approx(m["serial_s"] / m["parallel_s"])
    assert m["efficiency"] == pytest.approx(m["speedup"] / 2)
    # How large the speedup is depends on how busy this shared machine is: that figure is
    # measured side by side by benchmarks/cli_speedup.py and inapp_speedup.py, not here.


def test_a_timeout_stops_the_run_and_leaves_nothing():
    params = {"workers": 2, "tasks": 10_000, "task_ms": 50.0, "baseline": False}
    result = runner.run(scenarios.make_spec("pool-map", params, "fork"), timeout=1.0)
    assert result["ok"] is False
    assert result["error"]["type"] == "Timeout"
    # the autouse fixture checks that no process of the run is left


@pytest.mark.parametrize(
    ("given", "method", "reason"),
    [
        ({"workers": "0"}, None, "workers: must be from 1 to 256, got 0"),
        ({"nope": "1"}, None, "unknown parameter 'nope'"),
        ({}, "threads", "unknown start method 'threads'"),
    ],
)
def test_make_spec_refuses_bad_input(given, method, reason):
    with pytest.raises(ParamError, match=reason):
        scenarios.make_spec("pool-map", given, method)


def test_make_spec_refuses_an_unknown_scenario():
    with pytest.raises(ParamError, match="unknown scenario 'nope'"):
        scenarios.make_spec("nope")
