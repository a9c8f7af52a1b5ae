"""The scenario registry: every demonstration mpgui can run, by id.

Scenario modules are imported only when asked for. A spawn worker unpickles its task function
from one scenario module, which imports this package first; importing every scenario here
would make each worker load all of them. ``SCENARIOS`` (every listed scenario, in the window's
order) imports them all on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mpgui.core.params import ParamError

if TYPE_CHECKING:
    from mpgui.core.scenario import Scenario

#: Listed scenarios, in the order the window shows them: id → module in this package.
_LISTED: dict[str, str] = {
    "pool-map": "pool_map",
    "counter-race": "counter_race",
    "manager-list": "manager_list",
    "start-methods": "start_methods",
    "worker-failures": "worker_failures",
}
#: Scenarios that run by id but are not listed (instruments for benchmarks and tests).
_UNLISTED: dict[str, str] = {
    "event-flood": "event_flood",
}


def get(scenario_id: str) -> Scenario:
    """The scenario called `scenario_id`; raises :class:`ParamError` naming the known ones."""
    module = _LISTED.get(scenario_id) or _UNLISTED.get(scenario_id)
    if module is None:
        known = ", ".join(_LISTED)
        raise ParamError(f"unknown scenario {scenario_id!r} (known: {known})")
    return importlib.import_module(f"{__name__}.{module}").SCENARIO


def __getattr__(name: str) -> tuple[Scenario, ...]:
    # PEP 562: ``from mpgui.core.scenarios import SCENARIOS`` imports the listed scenarios
    # then, and only then.
    if name == "SCENARIOS":
        scenarios = tuple(get(scenario_id) for scenario_id in _LISTED)
        globals()["SCENARIOS"] = scenarios
        return scenarios
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
