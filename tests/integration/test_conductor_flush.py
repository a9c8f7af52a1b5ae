"""What the conductor reports reaches the window while it is blocked: it has no flusher
thread of its own (it forks), so its child watch sends what its probe held. Before, a
report made just before ``pool.map`` waited for the conductor's next report — in
file-processing a whole parallel pass, which once put the serial pass's last figures after
the parallel pass's."""

from __future__ import annotations

import time

import pytest

from mpgui.core.protocol.probe import FLUSH_S
from mpgui.core.protocol.run_spec import RunSpec, available_start_methods
from tests.reports_then_blocks import BLOCK_S, REPORTED
from tests.runs import stop_when


@pytest.mark.parametrize("method", available_start_methods())
def test_a_report_made_before_the_conductor_blocks_arrives_while_it_is_blocked(method):
    spec = RunSpec("reports-then-blocks", {}, method, model="tests.reports_then_blocks")
    started = time.monotonic()
    run = stop_when(spec, lambda state: REPORTED in state.series)
    assert run.stopped_at is not None
    # Heard while the conductor was still blocked: it was stopped, it did not end by itself.
    assert run.state.status == "stopped"
    assert run.exitcode == 0
    # Within seconds of the start (spawn's start-up included, and a few flush intervals),
    # far from the BLOCK_S it would have waited for.
    assert run.stopped_at - started < 5.0 + 10 * FLUSH_S < BLOCK_S / 3
