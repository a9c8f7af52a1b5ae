"""The queue-logging chart, fed synthetic run states: a lane per child with both ways'
counts, the totals with what they mean under the start method, and the newest log lines."""

from __future__ import annotations

import pytest

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.queue_logging.chart import QueueLoggingChart
from mpgui.scenarios.queue_logging.model import (
    FILE_LEVEL,
    LISTENER_LEVEL,
    VIA_QUEUE,
    WITHOUT_QUEUE,
    records_series,
)

T0 = 10**12
MS = 1_000_000


def _state(method: str, without: list[int], via: list[int] | None, records: int = 10):
    """A run of `len(without)` children: each one's count in phase 1 and (if given) 2, with
    one log line per record the listener handled."""
    spec = RunSpec("queue-logging", {"processes": len(without), "records": records}, method)
    state = RunState(spec, t0_ns=T0)
    events = [(ev.PHASE, T0 + MS, WITHOUT_QUEUE)]
    for slot, count in enumerate(without):
        events.append((ev.METRIC, T0 + 2 * MS, 0, records_series(WITHOUT_QUEUE, slot), 0))
        events.append((ev.METRIC, T0 + 9 * MS, 0, records_series(WITHOUT_QUEUE, slot), count))
        events += [
            (ev.LOG, T0 + 5 * MS, 100 + slot, FILE_LEVEL, f"child-{slot}[{100 + slot}] record {i}")
            for i in range(count)
        ]
    if via is not None:
        events.append((ev.PHASE, T0 + 20 * MS, VIA_QUEUE))
        for slot, count in enumerate(via):
            pid = 200 + slot
            events.append((ev.METRIC, T0 + 29 * MS, 0, records_series(VIA_QUEUE, slot), count))
            events += [
                (ev.LOG, T0 + 25 * MS, pid, LISTENER_LEVEL, f"child-{slot}[{pid}] record {i}")
                for i in range(count)
            ]
    state.apply(events)
    return state


@pytest.fixture
def chart(qtbot):
    chart = QueueLoggingChart()
    qtbot.addWidget(chart)
    chart.resize(600, 380)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def test_under_spawn_the_dashed_lines_stay_at_zero_and_the_queue_brings_all(chart):
    chart.redraw(_state("spawn", [0, 0, 0], [10, 10, 10]), T0 + 30 * MS)
    assert chart.ends[WITHOUT_QUEUE].texts() == ["0", "0", "0"]
    assert chart.ends[VIA_QUEUE].texts() == ["10", "10", "10"]
    # Each child's two lines stay in its own lane, child-0 at the top.
    ends = chart.ends[VIA_QUEUE].points()
    assert ends[0][1] > ends[2][1] + 1.5
    assert "spawn: nothing inherited" in chart.figures.text
    assert ">30<" in chart.figures.text and "of 30 records" in chart.figures.text
    assert chart.listener_pids == {200, 201, 202}
    # The newest of the listener's lines, in order, under its heading.
    assert "QueueListener" in chart.log.text and "child-2[202] record 9" in chart.log.text
    assert "record 0" not in chart.log.text  # only the newest few


def test_under_fork_the_copied_handlers_count_as_fragile(chart):
    chart.redraw(_state("fork", [10, 10], None), T0 + 10 * MS)
    assert chart.ends[WITHOUT_QUEUE].texts() == ["10", "10"]
    assert chart.ends[VIA_QUEUE].texts() == []
    # Phase 1: the file's lines are shown; its count gets a verdict only once it is final.
    assert "records.log" in chart.log.text and "child-1[101] record 9" in chart.log.text
    assert chart.listener_pids == set()
    assert "fragile" not in chart.figures.text
    chart.redraw(_state("fork", [10, 10], [10, 10]), T0 + 30 * MS)
    assert "copied handlers: fragile" in chart.figures.text


def test_the_readout_names_both_counts_and_the_delay(chart):
    chart.redraw(_state("forkserver", [0], [10]), T0 + 30 * MS)
    metrics = {
        "records_expected": 800,
        "records_via_queue": 800,
        "records_without_queue": 0,
        "max_delay_ms": 3.21,
    }
    text = " · ".join(chart.readout(metrics))
    assert "800 / 800" in text and "forkserver: nothing inherited" in text
    assert "max delay 3.2 ms" in text


def test_a_new_run_clears_the_last(chart):
    chart.redraw(_state("spawn", [0, 0], [10, 10]), T0 + 30 * MS)
    chart.reset()
    assert chart.ends[VIA_QUEUE].texts() == [] and chart.listener_pids == set()
    assert "record" not in chart.log.text
