"""The scenarios: one folder per demonstration, found by walking this package.

A scenario is ``mpgui/scenarios/<name>/``, `<name>` being its id with ``_`` for ``-``:

- ``model.py`` — Qt-free: parameters, module-level worker functions, ``run(ctx, params)``, the
  names of the series, phases and metrics it emits, and its :class:`~mpgui.core.scenario.Scenario`
  named ``SCENARIO`` (which says where it sits in the list, or that it is unlisted);
- ``chart.py`` — optional: its chart for the window, a
  :class:`~mpgui.ui.panels.scenario_chart.ScenarioChart` subclass named ``CHART`` that imports
  those names from ``model.py`` and lists the ones it reads in its ``READS``;
- ``notice.md`` — "what to notice".

Nothing here imports a scenario until it is asked for: a spawn worker unpickling its task
function imports this package, its folder's (empty) ``__init__`` and that one ``model.py`` —
never another scenario, never a chart. :func:`listed` imports every model, once, for the
window's list and ``mpgui list``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from mpgui.core.params import ParamError, resolve
from mpgui.core.protocol.run_spec import (
    RunSpec,
    available_start_methods,
    default_start_method,
)

if TYPE_CHECKING:
    from mpgui.core.scenario import Scenario


def folder(scenario_id: str) -> str:
    """The package of scenario `scenario_id` (``pool-map`` → ``mpgui.scenarios.pool_map``)."""
    return f"{__name__}.{scenario_id.replace('-', '_')}"


@cache
def _all() -> tuple[Scenario, ...]:
    """Every scenario in this package (listed or not), imported once, in list order."""
    import pkgutil  # noqa: PLC0415 - here, not at the top: every spawn worker imports this package

    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            found.append(importlib.import_module(f"{__name__}.{info.name}.model").SCENARIO)
    return tuple(sorted(found, key=lambda s: (s.order, s.id)))


def listed() -> tuple[Scenario, ...]:
    """The scenarios the window and ``mpgui list`` show, in their order."""
    return tuple(s for s in _all() if s.listed)


def everything() -> tuple[Scenario, ...]:
    """Every scenario, the unlisted instruments included (for tests that cover them all)."""
    return _all()


def get(scenario_id: str) -> Scenario:
    """The scenario called `scenario_id`; raises :class:`ParamError` naming the known ones.

    Imports only that scenario's model.
    """
    name = folder(scenario_id)
    try:
        scenario = importlib.import_module(f"{name}.model").SCENARIO
    except ModuleNotFoundError as exc:
        if exc.name not in (name, f"{name}.model") or not scenario_id.replace("-", "").isalnum():
            raise
        scenario = None
    if scenario is None or scenario.id != scenario_id:
        known = ", ".join(s.id for s in listed())
        raise ParamError(f"unknown scenario {scenario_id!r} (known: {known})")
    return scenario


def make_spec(
    scenario_id: str, given: Mapping[str, Any] | None = None, start_method: str | None = None
) -> RunSpec:
    """Validate a scenario id, parameters (typed or text) and start method into a RunSpec.

    Raises :class:`ParamError` with a one-line reason for anything invalid.
    """
    scenario = get(scenario_id)
    params = resolve(scenario.params, given or {})
    why = scenario.refuse(params) if scenario.refuse is not None else None
    if why is not None:
        raise ParamError(why)
    method = start_method or default_start_method()
    offered = available_start_methods()
    if method not in offered:
        raise ParamError(
            f"unknown start method {method!r} (this platform offers: {', '.join(offered)})"
        )
    return RunSpec(scenario.id, params, method, model=f"{scenario.package}.model")
