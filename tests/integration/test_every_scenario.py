"""Every discovered scenario, listed or not, run small for real: it reports the metrics it
declares, and its chart reads only names that a run emits.

A chart imports its names from its model, so it cannot misspell one; but a model can stop
emitting a name, or emit it under another spelling it builds by hand, and the chart would
silently draw nothing. Each run here is a real conductor with real workers.
"""

from __future__ import annotations

from typing import Any

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.scenario import Scenario
from mpgui.ui.panels.scenario_chart import Reads, chart_class

#: Far beyond what a small run takes: a scenario that hangs fails instead of stalling the suite.
RUN_TIMEOUT_S = 120.0


def run_small(scenario: Scenario, params: dict[str, Any]) -> tuple[dict[str, Any], RunState]:
    """Run `scenario` with `params`; return its result and the state the host folded."""
    states: list[RunState] = []

    def keep(state: RunState, _events: list[tuple]) -> None:
        if not states:
            states.append(state)

    spec = scenarios.make_spec(scenario.id, params, "fork")
    result = runner.run(spec, on_events=keep, timeout=RUN_TIMEOUT_S)
    assert states, f"{scenario.id} reported nothing"
    return result, states[0]


def unread(reads: Reads, series: set[str], phases: set[str], metrics: set[str]) -> list[str]:
    """What `reads` lists that was not emitted, as "series 'x'"-style lines."""
    missing = [f"series {name!r}" for name in reads.series if name not in series]
    missing += [
        f"series starting {prefix!r}"
        for prefix in reads.series_prefixes
        if not any(name.startswith(prefix) for name in series)
    ]
    missing += [f"phase {name!r}" for name in reads.phases if name not in phases]
    missing += [f"metric {name!r}" for name in reads.metrics if name not in metrics]
    return missing


@pytest.mark.parametrize("scenario", scenarios.everything(), ids=lambda s: s.id)
def test_every_scenario_reports_its_metrics_and_emits_what_its_chart_reads(scenario):
    runs = [
        run_small(scenario, {**scenario.small_params, **variant})
        for variant in ({}, *scenario.small_variants)  # variants: paths the first run skips
    ]
    result, _ = runs[0]
    assert result["ok"] is True, result["error"]
    assert tuple(result["metrics"]) == scenario.metrics
    assert scenario.notice().startswith("**What to notice**")
    assert "def run(" in scenario.source()

    series = {name for _, state in runs for name in state.series}
    phases = {name for _, state in runs for _, name in state.phases}
    metrics = {name for result, _ in runs for name in result["metrics"]}
    chart = chart_class(scenario)
    missing = unread(chart.READS, series, phases, metrics)
    assert not missing, (
        f"{chart.__name__} reads what no small run of {scenario.id} emitted: "
        f"{', '.join(missing)}. Emitted: series {sorted(series)}, phases {sorted(phases)}, "
        f"metrics {sorted(metrics)}"
    )
