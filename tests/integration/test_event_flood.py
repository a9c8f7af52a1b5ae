"""The event-flood instrument: every event its producers say they sent reaches the host."""

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol import events as ev
from mpgui.scenarios import get, listed


def _run(params):
    seen = {ev.END: 0, ev.METRIC: 0}

    def count(_state, events):
        for e in events:
            if e[0] == ev.SPANS:
                seen[ev.END] += ev.span_count(e)
            elif e[0] in seen:
                seen[e[0]] += 1

    result = runner.run(scenarios.make_spec("event-flood", params, "fork"), on_events=count)
    assert result["ok"] is True, result["error"]
    return result, seen


def test_a_counted_flood_arrives_whole():
    result, seen = _run({"producers": 2, "events": 20_000, "metric_every": 1000})
    m = result["metrics"]
    assert m["producers"] == 2
    tasks = 2 * 10_000  # two events a task
    assert [w["tasks"] for w in result["workers"]] == [10_000, 10_000]
    assert seen == {ev.END: tasks, ev.METRIC: tasks // 1000}
    assert m["events"] == 2 * tasks + tasks // 1000
    assert m["seconds"] > 0 and m["events_per_s"] == pytest.approx(m["events"] / m["seconds"])


def test_a_timed_flood_keeps_its_rate():
    result, seen = _run({"producers": 2, "duration_s": 0.5, "rate": 20_000})
    m = result["metrics"]
    # 10,000 events in 0.5 s, paced ~10 ms at a time: never more, and near it.
    assert 0.45 <= m["seconds"] <= 1.0
    assert 5_000 <= m["events"] <= 10_500
    assert m["events"] == 2 * seen[ev.END] + seen[ev.METRIC]


def test_it_runs_by_id_but_is_not_listed():
    scenario = get("event-flood")
    assert scenario not in listed()
    assert scenario.notice().startswith("**What to notice**")
    assert "def run(" in scenario.source()
