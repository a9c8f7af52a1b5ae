"""Frame pacing: the period to the next frame follows from explicit clock values alone."""

from __future__ import annotations

import pytest

from mpgui.ui.frame_pacing import (
    FLOOD_EVENTS_PER_S,
    FRAME_CPU_BUDGET,
    FRAME_CPU_BUDGET_BUSY,
    REDRAW_MAX_MS,
    REDRAW_MS,
    REDRAW_TRICKLE_MAX_MS,
    FramePacer,
    frame_budget,
)

T0 = 10**12  # the wall clock (ns) as a run starts
CPU0 = 7.5  # the GUI thread's CPU clock (s) as a run starts
MS = 1_000_000

IDLE = (10.0, 20.0)  # per-core loads (%) with a core to spare
BUSY = (90.0, 95.0)  # ... and with every core taken


class Clocks:
    """A run's two clocks, moved on by hand, with the pacer they feed."""

    def __init__(self, pacer: FramePacer | None = None) -> None:
        self.pacer = pacer or FramePacer()
        self.cpu_s, self.now_ns = CPU0, T0
        self.first = self.pacer.start(self.cpu_s, self.now_ns)

    def frame(self, cost_s: float, after_ms: float, events: int = 0, loads: tuple = IDLE) -> int:
        """One frame `after_ms` after the last, the GUI thread having spent `cost_s` since."""
        self.pacer.count(events)
        self.cpu_s += cost_s
        self.now_ns += int(after_ms * MS)
        return self.pacer.frame_done(self.cpu_s, self.now_ns, loads)

    def frames(self, n: int, cost_s: float, after_ms: float, **kw) -> list[int]:
        return [self.frame(cost_s, after_ms, **kw) for _ in range(n)]


def flood(after_ms: float) -> int:
    """Events enough, over `after_ms`, for them to pour in."""
    return int(FLOOD_EVENTS_PER_S * after_ms / 1000) + 1


def test_a_run_starts_at_the_fastest_period():
    assert Clocks().first == REDRAW_MS


def test_cheap_frames_come_at_the_fastest_period_in_a_flood_or_a_trickle():
    clocks = Clocks()
    assert clocks.frames(20, cost_s=0.001, after_ms=33, events=flood(33)) == [REDRAW_MS] * 20
    assert clocks.frames(20, cost_s=0.001, after_ms=33) == [REDRAW_MS] * 20


def test_while_a_trickle_arrives_the_cpu_budget_alone_spaces_frames():
    clocks = Clocks()
    # 10 ms a frame on a 15 % budget: one frame every 66.7 ms (in whole ms, as QTimer takes).
    assert clocks.frames(60, cost_s=0.010, after_ms=66)[-1] == pytest.approx(66, abs=1)
    # Frames that cost far more are still drawn, four times a second.
    assert clocks.frames(60, cost_s=0.100, after_ms=250)[-1] == REDRAW_TRICKLE_MAX_MS


def test_while_events_pour_in_frames_come_at_least_every_redraw_max_ms():
    clocks = Clocks()
    periods = clocks.frames(60, cost_s=0.020, after_ms=40, events=flood(40))
    assert periods[-1] == REDRAW_MAX_MS
    assert max(periods) == REDRAW_MAX_MS
    assert 1000 / REDRAW_MAX_MS >= 20  # DESIGN: at least 20 frames a second


def test_a_busy_machine_leaves_the_window_a_smaller_budget():
    clocks = Clocks()
    # 10 ms a frame on a 5 % budget: one frame every 200 ms ...
    assert clocks.frames(60, cost_s=0.010, after_ms=200, loads=BUSY)[-1] == pytest.approx(
        200, abs=1
    )
    # ... unless events pour in.
    assert clocks.frame(0.010, after_ms=40, events=flood(40), loads=BUSY) == REDRAW_MAX_MS


def test_events_pour_in_from_flood_events_per_s():
    # 100 ms between frames: FLOOD_EVENTS_PER_S / 10 events is the threshold.
    at = int(FLOOD_EVENTS_PER_S / 10)
    below = Clocks()
    below.frames(60, cost_s=0.100, after_ms=100)
    assert below.frame(0.100, after_ms=100, events=at - 1) == REDRAW_TRICKLE_MAX_MS
    assert below.frame(0.100, after_ms=100, events=at) == REDRAW_MAX_MS


def test_events_count_towards_the_next_frame_only():
    clocks = Clocks()
    clocks.frames(60, cost_s=0.100, after_ms=250)
    assert clocks.frame(0.100, after_ms=40, events=flood(40)) == REDRAW_MAX_MS
    assert clocks.frame(0.100, after_ms=40) == REDRAW_TRICKLE_MAX_MS


def test_events_before_the_run_started_are_forgotten():
    pacer = FramePacer()
    pacer.count(10**6)  # say, the last run's final batch, after its last frame
    clocks = Clocks(pacer)
    # 0.3 × 100 ms of smoothed cost over a 15 % budget, not capped as in a flood.
    assert clocks.frame(0.100, after_ms=40) == pytest.approx(200, abs=1)


def test_one_slow_frame_moves_the_period_part_of_the_way():
    clocks = Clocks()
    clocks.frames(60, cost_s=0.001, after_ms=33)
    # 0.7 × 1 ms + 0.3 × 100 ms = 30.7 ms of smoothed cost, over a 15 % budget.
    assert clocks.frame(0.100, after_ms=33) == 204
    # A lasting change gets there within a dozen frames.
    clocks.frames(12, cost_s=0.100, after_ms=250)
    assert clocks.pacer.frame_cpu_s == pytest.approx(0.100, rel=0.02)


def test_cpu_is_counted_from_the_start_of_the_run():
    clocks = Clocks()
    assert clocks.frame(0.004, after_ms=33) == REDRAW_MS  # not CPU0 + 4 ms of cost
    assert clocks.pacer.frame_cpu_s == pytest.approx(0.3 * 0.004)


def test_the_cost_per_frame_carries_over_to_the_next_run():
    clocks = Clocks()
    clocks.frames(60, cost_s=0.100, after_ms=250)
    again = Clocks(clocks.pacer)
    assert again.first == REDRAW_MS
    assert again.frame(0.001, after_ms=33) == REDRAW_TRICKLE_MAX_MS


def test_frames_at_the_same_instant_do_not_divide_by_zero():
    clocks = Clocks()
    assert clocks.frame(0.001, after_ms=0, events=1) == REDRAW_MS


@pytest.mark.parametrize(
    ("loads", "budget"),
    [
        ((), FRAME_CPU_BUDGET),  # no sample yet
        ((84.0, 85.0), FRAME_CPU_BUDGET),
        ((85.0, 85.0), FRAME_CPU_BUDGET_BUSY),
        ((100.0, 70.0), FRAME_CPU_BUDGET_BUSY),  # the mean counts, not the busiest core
        ((100.0, 0.0), FRAME_CPU_BUDGET),
    ],
)
def test_the_budget_follows_the_mean_load(loads, budget):
    assert frame_budget(loads) == budget
