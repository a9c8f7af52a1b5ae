"""when-not-to for real, with its defaults under every start method: Pool.map with
chunksize 1 is slower than the plain loop, a good chunksize beats chunksize 1, sending the
data to workers is slower than counting it in the parent — and Stop in the middle of a
100,000-task map ends it at once, leaving nothing behind."""

from __future__ import annotations

import os

import pytest

from mpgui import scenarios
from mpgui.core.child import timed
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.when_not_to.model import (
    MEASURED_PREFIX,
    PHASES,
    TINY,
    TRANSFER_POOL,
    chunksizes,
    measured_series,
    sweep_series,
)
from tests.process_tree import run_shm, run_temp_dirs
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

    # The sweep: every chunksize measured ROUNDS times, the best one a chunked one, and its
    # figure the median of its own measurements.
    sizes = chunksizes(100_000, 2)
    assert sizes[0] == 1 and sizes[-1] == 50_000
    assert m["best_chunksize"] in sizes[1:]
    for size in sizes:
        assert len(state.series[sweep_series(size)]) == timed.ROUNDS
    best = sorted(v for _, v in state.series[sweep_series(m["best_chunksize"])])
    assert m["tiny_pool_chunked_s"] == pytest.approx(best[1], rel=0.05)
    assert len(state.series[measured_series(TRANSFER_POOL)]) == timed.ROUNDS

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


def test_stop_during_a_chunksize_1_map_ends_it_at_once_and_leaves_nothing():
    """Stop while Pool.map hands out 100,000 one-item tasks (seconds of work): the map is
    terminated, the run winds down by itself."""
    spec = scenarios.make_spec("when-not-to", {"n": 300_000}, "fork")

    def in_chunk1_map(state):
        # The serial loop has been measured: the chunksize-1 map is next (and long).
        return state.current_phase() == TINY and bool(
            state.series.get(measured_series("tiny.serial"))
        )

    run = stop_when(spec, in_chunk1_map)
    assert run.stop_took_s < 2.0  # the map alone would take ~5 s
    assert run.exitcode == 0  # wound down by itself: no SIGTERM
    assert run.state.status == "stopped"
    assert not run_shm(os.getpid()) and not run_temp_dirs(os.getpid())
