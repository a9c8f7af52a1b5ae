"""A scenario for tests only: the conductor reports one metric, then blocks (as it does in
``pool.map``) until Stop or :data:`BLOCK_S`. Imported by the conductor as ``spec.model``."""

from __future__ import annotations

import time

from mpgui.core.child.workers import sleep_until
from mpgui.core.scenario import Scenario

#: The metric the conductor reports before it blocks.
REPORTED = "reported.before_blocking"
#: How long it blocks when nobody presses Stop (s).
BLOCK_S = 30.0


def run(ctx, _params: dict) -> dict:
    """Report :data:`REPORTED`, then wait for Stop without reporting anything else."""
    ctx.probe.metric(REPORTED, 1.0)
    # Blocked as in pool.map: nothing it does sends what its probe holds.
    sleep_until(time.monotonic() + BLOCK_S, ctx.should_stop)
    return {}


SCENARIO = Scenario(
    id="reports-then-blocks",
    title="Reports, then blocks",
    summary="A test's conductor that reports once and then waits for Stop.",
    params=(),
    run=run,
    metrics=(),
    order=10_000,
    small_params={},
    listed=False,
)
