"""The scenarios show their effect for real, with their default parameters, on this machine.

Every run here goes through the headless runner: a real conductor, real worker processes.
"""

import multiprocessing

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol.run_spec import available_start_methods
from tests.runs import stop_when


@pytest.mark.parametrize("method", available_start_methods())
def test_counter_race_with_defaults_loses_updates_without_the_lock_and_none_with_it(method):
    result = runner.run(scenarios.make_spec("counter-race", {}, method))
    assert result["ok"] is True, result["error"]
    assert result["start_method"] == method
    m = result["metrics"]
    assert m["expected"] == 4 * 200_000
    # Unlocked read-modify-writes really collide: the shared counter ends short.
    assert m["unlocked_final"] < m["expected"]
    assert m["lost_updates"] == m["expected"] - m["unlocked_final"] > 0
    assert m["lost_pct"] == pytest.approx(100 * m["lost_updates"] / m["expected"])
    # Under the lock, every increment counts.
    assert m["locked_final"] == m["expected"]
    assert m["lock_cost"] == pytest.approx(m["locked_s"] / m["unlocked_s"])
    # Two races of four real processes each, every one of them did all its blocks.
    assert len({w["pid"] for w in result["workers"]}) == 8
    assert all(w["tasks"] == 100 for w in result["workers"])


def test_counter_race_runs_one_mode_alone():
    result = runner.run(
        scenarios.make_spec("counter-race", {"mode": "locked", "increments": 1000}, "fork")
    )
    m = result["metrics"]
    assert m["locked_final"] == m["expected"] == 4000
    assert m["unlocked_final"] is None and m["lost_updates"] is None


@pytest.mark.parametrize("method", available_start_methods())
def test_manager_list_reaches_the_parent_and_the_plain_list_does_not(method):
    params = {} if method == "fork" else {"items": 2000}  # spawn'd managers: keep it short
    result = runner.run(scenarios.make_spec("manager-list", params, method))
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    workers, items = result["params"]["workers"], result["params"]["items"]
    assert m["expected"] == workers * items
    assert m["manager_len"] == workers * items
    assert m["plain_len_in_parent"] == 0
    assert m["appends_per_s"] > 0 and m["queue_items_per_s"] > 0
    assert m["queue_speedup"] == pytest.approx(m["queue_items_per_s"] / m["appends_per_s"])


def test_start_methods_measures_every_method_and_what_the_child_inherits():
    result = runner.run(scenarios.make_spec("start-methods", {}))
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    assert m["default_method"] == multiprocessing.get_all_start_methods()[0]
    assert list(m["methods"]) == available_start_methods()
    for method, figures in m["methods"].items():
        assert len(figures["start_ms"]) == 10, method
        assert 0 < figures["start_ms_median"] <= figures["start_ms_p90"], method
        assert figures["join_ms_median"] > 0, method
        assert figures["sees_parent_change"] is (method == "fork"), method


def test_start_methods_measures_only_the_chosen_methods():
    result = runner.run(scenarios.make_spec("start-methods", {"processes": 3, "methods": "spawn"}))
    assert list(result["metrics"]["methods"]) == ["spawn"]
    assert result["metrics"]["methods"]["spawn"]["sees_parent_change"] is False


@pytest.mark.parametrize(
    ("scenario", "phase", "params"),
    [
        ("counter-race", "unlocked", {"increments": 2_000_000}),
        ("counter-race", "locked", {"increments": 200_000}),
        ("manager-list", "manager", {"items": 60_000}),
        ("manager-list", "queue", {"items": 60_000}),
    ],
)
def test_stop_in_any_phase_winds_down_by_itself(scenario, phase, params):
    """Stop is honoured by the scenario: no SIGTERM from the host's escalation is needed."""
    spec = scenarios.make_spec(scenario, params, "fork")
    run = stop_when(spec, lambda state: state.current_phase() == phase)
    assert run.stopped_at is not None
    assert run.exitcode == 0  # it wound down by itself: no SIGTERM (that would be -15)
    assert run.state.status == "stopped"
