"""when-not-to for real, with its defaults under every start method: Pool.map with
chunksize 1 is slower than the plain loop, a good chunksize beats chunksize 1, sending the
data to workers is slower than counting it in the parent — and Stop in any part ends it at
once, a worker killed mid-map ends the run with an error, both leaving nothing behind."""

from __future__ import annotations

import os
import signal

import pytest

from mpgui import scenarios
from mpgui.core.child import timed
from mpgui.core.host import runner
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.when_not_to.model import (
    MEASURED_PREFIX,
    PHASES,
    STARTUP,
    TINY,
    TINY_SERIAL,
    TRANSFER,
    TRANSFER_POOL,
    TRANSFER_SERIAL,
    chunksizes,
    measured_series,
    sweep_series,
)
from tests.process_tree import HANG_BOUND_S, run_shm, run_temp_dirs
from tests.runs import run_with_state, stop_when


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_the_pool_loses_on_tiny_tasks_and_on_moving_data(method):
    result, state = run_with_state("when-not-to", {}, method)
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    # The effects, with defaults, under every start method.
    assert m["chunk1_slower_than_serial"] is True
    assert m["transfer_slower_than_serial"] is True
    assert m["tiny_pool_chunked_s"] < m["tiny_pool_chunk1_s"]
    # The booleans say what the figures say.
    assert m["tiny_pool_chunk1_s"] > m["tiny_serial_s"] > 0
    assert m["transfer_pool_s"] > m["transfer_serial_s"] > 0
    assert m["transfer_mb"] == 50

    # The sweep: every chunksize measured ROUNDS times, the best one a chunked one.
    sizes = chunksizes(100_000, 2)
    assert sizes[0] == 1 and sizes[-1] == 50_000
    assert m["best_chunksize"] in sizes[1:]
    for size in sizes:
        assert len(state.series[sweep_series(size)]) == timed.ROUNDS
    # One figure per measurement: the result is the median of exactly the live samples.
    best = sorted(v for _, v in state.series[sweep_series(m["best_chunksize"])])
    assert m["tiny_pool_chunked_s"] == best[1]
    sent = sorted(v for _, v in state.series[measured_series(TRANSFER_POOL)])
    assert len(sent) == timed.ROUNDS and m["transfer_pool_s"] == sent[1]

    # Where the time went: parts measured, each inside its total.
    assert 0 < m["tiny_chunk1_pickle_s"] < m["tiny_pool_chunk1_s"]
    assert 0 < m["tiny_chunked_pickle_s"] < m["tiny_chunk1_pickle_s"]
    assert 0 < m["transfer_pickle_s"] and 0 < m["transfer_work_s"]
    assert 0 < m["startup_task_began_ms"] < m["pool_startup_ms"]
    assert m["direct_call_ms"] < m["pool_startup_ms"] and m["pool_shutdown_ms"] > 0

    # The warm pool's two workers took every 1 MB piece (50 a round), the fresh pool's one
    # task: the timeline's tasks in the workers' lanes.
    tasks = sorted(w["tasks"] for w in result["workers"])
    assert len(result["workers"]) == 4
    assert sum(tasks) == 50 * timed.ROUNDS + 1
    assert [name for _, name in state.phases] == list(PHASES)
    assert any(name.startswith(MEASURED_PREFIX) for name in state.series)


def _serial_measured_in(phase: str, serial: str):
    """The condition: in `phase`, with its serial way measured once — the pool's way runs
    next (or already does)."""

    def holds(state) -> bool:
        return state.current_phase() == phase and bool(state.series.get(measured_series(serial)))

    return holds


#: Stop in each part: (a) while Pool.map hands out 300,000 one-item tasks (~5 s alone);
#: (b) while 200 MB go to the workers piece by piece; (c) while a new pool of 8 spawned
#: interpreters starts on 2 cores (under fork it would be over before Stop could arrive).
STOPS = {
    "tiny": ({"n": 300_000}, "fork", _serial_measured_in(TINY, TINY_SERIAL)),
    "transfer": (
        {"n": 2000, "mb": 200},
        "fork",
        _serial_measured_in(TRANSFER, TRANSFER_SERIAL),
    ),
    "startup": (
        {"n": 2000, "mb": 2, "workers": 8},
        "spawn",
        lambda state: state.current_phase() == STARTUP,
    ),
}


@pytest.mark.parametrize("part", list(STOPS))
def test_stop_in_each_part_winds_the_run_down_at_once_and_leaves_nothing(part):
    """Stop in the middle of a part: the pool in use is ended (its queued tasks dropped, a
    starting pool's workers too), the run winds down by itself, nothing is left."""
    params, method, condition = STOPS[part]
    run = stop_when(scenarios.make_spec("when-not-to", params, method), condition)
    assert run.stop_took_s < 2.0
    assert run.exitcode == 0  # wound down by itself: no SIGTERM
    assert run.state.status == "stopped"
    assert not run_shm(os.getpid()) and not run_temp_dirs(os.getpid())
    if part == "tiny":  # the chunksize-1 map was cut short: it never reported a sample
        assert not run.state.series.get(sweep_series(1))
    if part == "startup":  # the new pool was ended while it started: not all its workers did
        fresh_lanes = len(run.state.workers()) - params["workers"]  # the warm pool's said hello
        assert fresh_lanes < params["workers"]
    if part == "transfer":  # the first pool round was cut short: its queued pieces dropped
        assert sum(w.tasks_done for w in run.state.workers()) < params["mb"]
        assert not run.state.series.get(measured_series(TRANSFER_POOL))


def test_a_pool_worker_killed_mid_map_ends_the_run_with_its_death_named():
    """SIGKILL one of the warm pool's workers while the chunksize-1 map keeps both busy (as
    the OOM killer would): Pool would replace it and wait forever for its lost task; the run
    ends at once with an error naming the dead worker, leaving nothing behind."""
    killed: dict[str, int] = {}
    in_chunk1_map = _serial_measured_in(TINY, TINY_SERIAL)

    def on_events(state, _events) -> None:
        if not killed and in_chunk1_map(state):
            pid = state.workers()[0].pid
            killed["pid"], killed["at"] = pid, ev.now_ns()
            os.kill(pid, signal.SIGKILL)

    spec = scenarios.make_spec("when-not-to", {"mb": 2}, "fork")
    result = runner.run(spec, on_events=on_events, timeout=30)
    assert killed, "the chunksize-1 map was never seen running"
    took_s = (ev.now_ns() - killed["at"]) / 1e9
    assert took_s < HANG_BOUND_S, f"the run went on {took_s:.1f} s after the kill"
    assert result["status"] == "error"
    error = result["error"]
    assert error["type"] == "WorkerFailed", error
    assert (error["pid"], error["exitcode"], error["signal"]) == (killed["pid"], -9, "SIGKILL")
    assert not run_shm(os.getpid()) and not run_temp_dirs(os.getpid())
