"""rate-limit for real: with its defaults, under every start method, the server refuses
requests without a limiter, none with the shared one, and sees no second above
server_rps × 1.1; the shared limiter's own wait spaces the sends of real processes; the
retry phase waits each 429's Retry-After and gives up after MAX_ATTEMPTS tries; Stop in
either phase winds the run down at once; a worker killed mid-request fails the run naming
it; parameters that would make a phase of hours are refused. The pace's band
(limited_s / expected_limited_s) is the benchmark's."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.model.run_state import RunState
from mpgui.core.params import ParamError
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.rate_limit.model import (
    ARRIVAL,
    LIMITED,
    MAX_ATTEMPTS,
    METRICS,
    REQUEST,
    RETRY,
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
    assert m["max_rps_unlimited"] > m["server_rps"]
    assert m["client_errors"] == 0
    # The sends are at least 0.1 s apart: 59 gaps are a floor of the phase's time ...
    assert m["expected_limited_s"] == pytest.approx(5.9)
    assert m["limited_s"] >= m["expected_limited_s"]
    # ... which without a limiter was far shorter (but most pages were refused).
    assert m["unlimited_s"] < m["limited_s"]
    # The server's live report has every request of both phases.
    assert len(state.series[ARRIVAL]) == 2 * 60
    assert server_ended(state)


def send_in_slots(limiter: SharedLimiter, slots: int, out) -> None:
    """A process "sending" `slots` times through `limiter`'s own wait: when each send went."""
    for _ in range(slots):
        out.put((os.getpid(), limiter.wait_for_slot(lambda: False)))


@pytest.mark.parametrize("method", available_start_methods())
def test_the_shared_limiter_spaces_the_sends_of_processes(method):
    ctx = multiprocessing.get_context(method)
    interval, procs, slots = 0.02, 4, 5
    limiter = SharedLimiter(ctx.Value("d", 0.0), interval)
    out = ctx.Queue()
    workers = [ctx.Process(target=send_in_slots, args=(limiter, slots, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    try:
        sent = sorted(
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
    times = [at for _, at in sent]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # Every send at least one interval after the one before, whichever process made it:
    # one Value, one lock, one clock for all the processes.
    assert min(gaps) >= interval, gaps
    # The processes took turns: consecutive sends came from different processes.
    pids = [pid for pid, _ in sent]
    assert len(set(pids)) == procs
    assert sum(a != b for a, b in zip(pids, pids[1:], strict=False)) >= procs


def test_the_limiter_s_wait_ends_at_once_on_stop():
    limiter = SharedLimiter(multiprocessing.Value("d", time.monotonic() + 60.0), 1.0)
    started = time.monotonic()
    assert limiter.wait_for_slot(lambda: True) is None
    assert time.monotonic() - started < 0.5


def client_arrivals(state: RunState, phase: str) -> dict[int, list[tuple[int, int]]]:
    """Each client's requests in `phase` as the server recorded them, (arrival ns, status)
    in order of arrival, keyed by the client's lane (its pid)."""
    start = next(t for t, name in state.phases if name == phase)
    later = [t for t, _ in state.phases if t > start]
    end = later[0] if later else state.t_end_ns
    out: dict[int, list[tuple[int, int]]] = {}
    for _, (arrival, status, client, _size) in state.series[REQUEST]:
        if start <= arrival < end:
            out.setdefault(client, []).append((arrival, status))
    return {client: sorted(got) for client, got in out.items()}


#: The retry phase's test: a few pages over the bucket's burst, so some 429s, soon over.
RETRY_PARAMS = {"requests": 16, "workers": 6, "server_rps": 12.0, "retry": True}


def test_retrying_waits_each_retry_after_and_tries_at_most_max_attempts():
    params = RETRY_PARAMS
    result, state = run_with_state("rate-limit", params, "fork")
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    assert m["status_429_retry"] > 0 and m["retry_failed"] == 0
    by_client = client_arrivals(state, RETRY)
    assert sum(len(got) for got in by_client.values()) == params["requests"] + m["status_429_retry"]
    waits, streaks = [], []
    for got in by_client.values():
        streak = 0
        for (at, status), (then, _) in zip(got, got[1:], strict=False):
            if status == 429:  # the same client's next request is the same page's next try
                waits.append((then - at) / 1e9)
                streak += 1
            else:
                streak = 0
            streaks.append(streak)
    # The server says "Retry-After: 1" (its next token is under a second away, rounded
    # up): no client came back sooner ...
    assert waits and min(waits) >= 1.0, waits
    # ... and no page was tried more than MAX_ATTEMPTS times (its 429s in a row + 1).
    assert max(streaks) + 1 <= MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"client_rps": 0.05}, "client_rps must be 0 (the server's rate) or at least 1"),
        ({"requests": 2000, "client_rps": 1.0}, "2000 pages would take about 33 minutes"),
        ({"requests": 2000, "server_rps": 5.0, "retry": True}, "would take about 7 minutes"),
    ],
)
def test_a_phase_of_hours_is_refused_before_it_starts(params, words):
    with pytest.raises(ParamError, match=re.escape(words)):  # the form and the CLI say it
        scenarios.make_spec("rate-limit", params, "fork")


def test_the_cli_refuses_a_phase_of_hours_in_one_line_with_exit_2():
    out = subprocess.run(
        [sys.executable, "-m", "mpgui", "run", "rate-limit", "--set", "client_rps=0.05"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "mpgui: client_rps must be 0 (the server's rate) or at least 1 a second, got 0.05"
    ]


#: Stop without a limiter: 2000 requests from 2 workers (seconds of 429s; a limited phase
#: of 100 s after it, within the bound on a phase).
STOP_UNLIMITED = {"requests": 2000, "workers": 2, "server_rps": 20.0}
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


def test_a_worker_killed_mid_request_fails_the_run_naming_it_within_seconds():
    """SIGKILL from outside on a pool worker with a request open (its task is the request
    alone, begun once its slot came) in the limited phase: the run fails within seconds,
    names it and the request it was making, and ends the server."""
    params = {"requests": 40, "workers": 3, "server_rps": 10.0}
    killed: dict[str, int] = {}
    seen: list[RunState] = []

    def kill_a_worker(state: RunState, _events: list) -> None:
        seen[:] = [state]
        if killed or state.current_phase() != LIMITED or arrived_in(state, LIMITED) < 3:
            return
        fetchers = [w for w in state.workers() if w.role == "worker" and w.label != "server"]
        # A request begun under 20 ms ago (pages take 50 ms): one nearly done could end
        # before the kill lands, leaving the worker between requests, with none to name.
        now = ev.now_ns()
        busy = [w for w in fetchers if w.open_task is not None and now - w.open_since < 20_000_000]
        if not busy:  # all waiting for a slot, or their requests nearly done: not yet
            return
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
    # It died with its request open: the run names the page it was fetching.
    assert error.get("task") is not None, error
    lane = next(w for w in seen[0].workers() if w.pid == killed["pid"])
    assert lane.lost_task == error["task"]
    assert server_ended(seen[0])
