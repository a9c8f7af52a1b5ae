"""shared-memory for real: the Array the workers write is filled in the parent, the plain list
they write is not, and the Value added to under its lock is exact — with the defaults, under
every start method; and a Stop mid-fill leaves nothing behind."""

import os

import pytest

from mpgui import scenarios
from mpgui.core.host import runner
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.shared_memory.model import ARRAY_PREFIX, FILL, array_series
from tests.process_tree import run_shm, run_temp_dirs, wait_for
from tests.runs import stop_when


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
    stopped_at_cells = []

    def filling(state):
        filled = sum(series[-1][1] for name, series in state.series.items() if ARRAY_PREFIX in name)
        if state.current_phase() != FILL or filled == 0:
            return False
        stopped_at_cells.append(filled)
        return True

    run = stop_when(spec, filling)
    state = run.state
    assert stopped_at_cells and stopped_at_cells[0] < 4096
    assert run.exitcode == 0  # it wound down by itself: no SIGTERM (that would be -15)
    assert state.status == "stopped"
    # The workers stopped part-way: their slices are part-written, not full.
    last = [state.series[array_series(w)][-1][1] for w in range(4)]
    assert sum(last) < 4096
    # Nothing left: no semaphore, no temp dir of the run (the
    # conftest checks no process is left).
    assert wait_for(lambda: not run_shm(os.getpid()), 3)
    assert wait_for(lambda: not run_temp_dirs(os.getpid()), 3)
