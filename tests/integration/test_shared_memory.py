"""shared-memory for real: the Array the workers write is filled in the parent, the plain list
they write is not, and the Value added to under its lock is exact — with the defaults, under
every start method; and a Stop mid-fill leaves nothing behind."""

import glob
import os

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.host.handle import Conductor
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.shared_memory.model import ARRAY_PREFIX, FILL, array_series
from tests.process_tree import HANG_BOUND_S, run_shm, run_temp_dirs, wait_for


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_the_array_fills_in_the_parent_and_the_plain_list_does_not(method):
    result = runner.run(scenarios.make_spec("shared-memory", {}, method))
    assert result["ok"] is True, result["error"]
    assert result["params"] == {"workers": 4, "length": 4096, "typecode": "d"}
    m = result["metrics"]
    # The parent reads every cell of the shared Array holding its slice owner's mark …
    assert m["array_filled"] == m["expected"] == 4096
    # … and not one cell of its own plain list, though each child filled its copy.
    assert m["plain_filled_in_parent"] == 0
    assert m["plain_filled_in_children"] == 4096
    # The Value, added to under its lock, is exactly what the workers added.
    assert m["value_final"] == m["value_expected"] == 4096
    # Four real processes, each wrote its 1,024 cells as 64 chunks.
    assert len({w["pid"] for w in result["workers"]}) == 4
    assert all(w["tasks"] == 64 for w in result["workers"])


def test_an_int_array_and_uneven_slices_fill_exactly_too():
    # 1,001 cells over 3 workers: slices of 333, 333 and 335 cells, as C ints.
    params = {"workers": 3, "length": 1001, "typecode": "i"}
    m = runner.run(scenarios.make_spec("shared-memory", params, "fork"))["metrics"]
    assert m["array_filled"] == m["expected"] == 1001
    assert m["plain_filled_in_parent"] == 0
    assert m["value_final"] == m["value_expected"] == 1001


def test_stop_mid_fill_winds_down_by_itself_and_leaves_nothing():
    spec = scenarios.make_spec("shared-memory", {}, "spawn")  # /dev/shm semaphores: spawn's
    conductor = Conductor(spec, telemetry=False)
    state = RunState(spec)
    conductor.start()
    stopped_at_cells = None
    try:
        assert wait_for(lambda: conductor.pid is not None, HANG_BOUND_S)
        pid = conductor.pid
        while not conductor.drained():
            state.apply(conductor.collect(0.05))
            filled = sum(
                series[-1][1] for name, series in state.series.items() if ARRAY_PREFIX in name
            )
            if stopped_at_cells is None and state.current_phase() == FILL and filled > 0:
                stopped_at_cells = filled
                conductor.request_stop()
    finally:
        conductor.end_group()
        conductor.close()
    assert stopped_at_cells is not None and stopped_at_cells < 4096
    assert conductor.exitcode == 0  # it wound down by itself: no SIGTERM (that would be -15)
    assert state.status == "stopped"
    # The workers stopped part-way: their slices are part-written, not full.
    last = [state.series[array_series(w)][-1][1] for w in range(4)]
    assert sum(last) < 4096
    # Nothing left: no semaphore, no temp dir, no shared-memory arena file of the run (the
    # conftest checks no process is left).
    assert wait_for(lambda: not run_shm(os.getpid()), 3)
    assert wait_for(lambda: not run_temp_dirs(os.getpid()), 3)
    assert not glob.glob(f"/dev/shm/*{pid}*")
