"""The scenario registry: every demonstration mpgui can run, by id."""

from __future__ import annotations

from mpgui.core.params import ParamError
from mpgui.core.scenario import Scenario

from . import counter_race, manager_list, pool_map, start_methods, worker_failures

#: Scenarios in the order the window lists them.
SCENARIOS: tuple[Scenario, ...] = (
    pool_map.SCENARIO,
    counter_race.SCENARIO,
    manager_list.SCENARIO,
    start_methods.SCENARIO,
    worker_failures.SCENARIO,
)

_BY_ID = {s.id: s for s in SCENARIOS}


def get(scenario_id: str) -> Scenario:
    """The scenario called `scenario_id`; raises :class:`ParamError` naming the known ones."""
    try:
        return _BY_ID[scenario_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        raise ParamError(f"unknown scenario {scenario_id!r} (known: {known})") from None
