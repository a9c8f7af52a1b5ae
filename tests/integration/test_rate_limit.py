"""rate-limit for real: with its defaults, under every start method, the server refuses
requests without a limiter, none with the shared one, and sees no second above
server_rps × 1.1; the shared limiter alone spaces slots across real processes; Stop in
either phase winds the run down at once; a worker killed mid-phase fails the run naming it.
The pace's band (limited_s / expected_limited_s) is the benchmark's."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.rate_limit.model import (
    ARRIVAL,
    LIMITED,
    METRICS,
    RPS_MARGIN,
    UNLIMITED,
    SharedLimiter,
)
from tests.process_tree import HANG_BOUND_S
from tests.runs import run_with_state, stop_when


def server_ended(state: RunState) -> bool:
    """Whether the run itself ended its page server, and said so in the Log."""
    return any(
        msg.startswith("the page server (pid") and msg.endswith(") ended")
        for _, _, _, msg in state.logs
    )


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_429s_without_the_limiter_none_with_it_and_no_second_over(method):
    result, state = run_with_state("rate-limit", {}, method)
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    assert tuple(m) == METRICS
    assert m["status_429_unlimited"] > 0
    assert m["status_429_limited"] == 0
    assert m["max_rps_limited"] <= m["server_rps"] * RPS_MARGIN
    assert m["client_errors"] == 0
    # The slots' own time is a floor of the phase's: 59 gaps of 0.1 s.
    assert m["expected_limited_s"] == pytest.approx(5.9)
    assert m["limited_s"] >= m["expected_limited_s"]
    # The server's live report has every request of both phases.
    assert len(state.series[ARRIVAL]) == 2 * 60
    assert server_ended(state)


def take_slots(limiter: SharedLimiter, slots: int, out) -> None:
    """A process taking `slots` slots of `limiter`: each slot's time, and when it woke."""
    for _ in range(slots):
        slot = limiter.take_slot()
        while time.monotonic() < slot:
            time.sleep(0.001)
        out.put((os.getpid(), slot, time.monotonic()))


@pytest.mark.parametrize("method", available_start_methods())
def test_the_shared_limiter_spaces_slots_across_processes(method):
    ctx = multiprocessing.get_context(method)
    interval, procs, slots = 0.02, 4, 5
    limiter = SharedLimiter(ctx.Value("d", 0.0), interval)
    out = ctx.Queue()
    workers = [ctx.Process(target=take_slots, args=(limiter, slots, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    try:
        taken = sorted(
            (out.get(timeout=HANG_BOUND_S) for _ in range(procs * slots)), key=lambda x: x[1]
        )
    finally:
        for w in workers:
            w.join(HANG_BOUND_S)
            if w.is_alive():
                w.kill()
                w.join()
    out.close()
    out.join_thread()
    assert all(w.exitcode == 0 for w in workers)
    times = [slot for _, slot, _ in taken]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # Every slot at least one interval after the one before, whichever process took it ...
    assert min(gaps) >= interval - 1e-9, gaps
    # ... and no process woke before its slot.
    assert all(woke >= slot for _, slot, woke in taken)
    # The processes took turns: consecutive slots went to different processes.
    pids = [pid for pid, _, _ in taken]
    assert len(set(pids)) == procs
    assert sum(a != b for a, b in zip(pids, pids[1:], strict=False)) >= procs


#: Stop without a limiter: 2000 requests from 2 workers (seconds of 429s).
STOP_UNLIMITED = {"requests": 2000, "workers": 2, "server_rps": 5.0}
#: Stop with it: 40 requests at 5 a second, 4 workers holding a slot up to 0.8 s ahead.
STOP_LIMITED = {"requests": 40, "workers": 4, "server_rps": 5.0}


def arrived_in(state: RunState, phase: str) -> int:
    """How many requests reached the server since `phase` began (0 before it)."""
    starts = [t for t, name in state.phases if name == phase]
    if not starts:
        return 0
    return sum(1 for t, _ in state.series.get(ARRIVAL, ()) if t >= starts[-1])


@pytest.mark.parametrize(
    ("phase", "params"), [(UNLIMITED, STOP_UNLIMITED), (LIMITED, STOP_LIMITED)]
)
def test_stop_mid_phase_winds_down_at_once_and_leaves_nothing(phase, params):
    spec = scenarios.make_spec("rate-limit", params, "fork")
    run = stop_when(spec, lambda s: s.current_phase() == phase and arrived_in(s, phase) >= 3)
    assert run.stop_took_s < 1.5
    assert run.exitcode == 0  # wound down by itself: no SIGTERM
    assert run.state.status == "stopped"
    assert server_ended(run.state)
    names = [name for _, name in run.state.phases]
    assert names[-1] == phase  # nothing after the phase Stop came in


def test_a_worker_killed_mid_phase_fails_the_run_naming_it_within_seconds():
    """SIGKILL from outside on a pool worker while the limited phase fetches (waiting for
    its slot or mid-request): the run fails within seconds, names it, ends the server."""
    params = {"requests": 40, "workers": 3, "server_rps": 10.0}
    killed: dict[str, int] = {}
    seen: list[RunState] = []

    def kill_a_worker(state: RunState, _events: list) -> None:
        seen[:] = [state]
        if killed or state.current_phase() != LIMITED or arrived_in(state, LIMITED) < 3:
            return
        fetchers = [w for w in state.workers() if w.role == "worker" and w.label != "server"]
        busy = [w for w in fetchers if w.open_task is not None] or fetchers
        killed["pid"], killed["at"] = busy[0].pid, ev.now_ns()
        os.kill(busy[0].pid, signal.SIGKILL)

    spec = scenarios.make_spec("rate-limit", params, "fork")
    result = runner.run(spec, on_events=kill_a_worker, timeout=60)
    assert killed, "the limited phase was never seen fetching"
    assert (ev.now_ns() - killed["at"]) / 1e9 < HANG_BOUND_S
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "WorkerFailed", error
    assert (error["pid"], error["signal"]) == (killed["pid"], "SIGKILL")
    assert server_ended(seen[0])
