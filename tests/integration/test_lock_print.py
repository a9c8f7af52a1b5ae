"""lock-print for real: processes print to one pipe; without the lock lines are garbled, with it
every line arrives whole, and nothing is lost either way."""

from __future__ import annotations

import collections
import os

import pytest

from mpgui import scenarios
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.lock_print.model import (
    LOCKED,
    OUTPUT_LEVEL,
    UNLOCKED,
    is_whole,
    line_parts,
    lines_series,
)
from tests.process_tree import run_shm, run_temp_dirs, wait_for
from tests.runs import run_with_state, stop_when


def run_keeping_state(params: dict, method: str) -> tuple[dict, RunState]:
    """Run lock-print headless to a good end; return the result and the host's state."""
    result, state = run_with_state("lock-print", params, method)
    assert result["ok"] is True, result["error"]
    return result, state


def output_by_phase(state: RunState) -> dict[str, list[str]]:
    """The output lines the conductor logged, by the phase they were read in."""
    starts = sorted((t, phase) for t, phase in state.phases if phase in (UNLOCKED, LOCKED))
    out: dict[str, list[str]] = {UNLOCKED: [], LOCKED: []}
    for t, pid, level, line in state.logs:
        if level == OUTPUT_LEVEL and pid != 0:
            phase = [p for t0, p in starts if t0 <= t][-1]
            out[phase].append(line)
    return out


def expected_parts(processes: int, lines: int) -> collections.Counter:
    """Every part every worker prints, as a multiset of words."""
    return collections.Counter(
        word
        for writer in range(processes)
        for number in range(lines)
        for word in "".join(line_parts(writer, number)).split()
    )


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_lines_are_garbled_without_the_lock_and_whole_with_it(method):
    result, state = run_keeping_state({}, method)
    m = result["metrics"]
    assert result["start_method"] == method
    assert m["lines_expected"] == 4 * 50
    # Without the lock, other processes' parts land inside lines; with it, none do.
    assert m["garbled_unlocked"] > 0
    assert m["garbled_locked"] == 0
    assert m["lines_read_unlocked"] == m["lines_read_locked"] == m["lines_expected"]
    assert m["unlocked_s"] > 0 and m["locked_s"] > 0
    out = output_by_phase(state)
    for phase in (UNLOCKED, LOCKED):
        # Every line was read and logged, as the conductor counted it.
        assert len(out[phase]) == m["lines_expected"], phase
        garbled = sum(not is_whole(line) for line in out[phase])
        assert garbled == m[f"garbled_{phase}"], phase
        # Mixed up, never lost: the words of the output are exactly the words printed.
        words = collections.Counter(word for line in out[phase] for word in line.split())
        assert words == expected_parts(4, 50), phase
    # With the lock, each worker's lines arrive whole and in its own order.
    for writer in range(4):
        mine = [line for line in out[LOCKED] if line.startswith(f"[P{writer}:")]
        assert mine == ["".join(line_parts(writer, n)).rstrip("\n") for n in range(50)]
    # Two phases of four real processes, each printed all its lines (one task a line).
    assert len({w["pid"] for w in result["workers"]}) == 8
    assert all(w["tasks"] == 50 for w in result["workers"])


def test_one_mode_alone_runs_only_that_phase():
    result, state = run_keeping_state({"mode": "locked", "processes": 2, "lines": 5}, "fork")
    m = result["metrics"]
    assert m["garbled_locked"] == 0 and m["lines_read_locked"] == m["lines_expected"] == 10
    assert m["garbled_unlocked"] is None and m["unlocked_s"] is None
    assert [phase for _, phase in state.phases] == [LOCKED]


@pytest.mark.parametrize("phase", [UNLOCKED, LOCKED])
def test_stop_mid_run_winds_down_by_itself_and_leaves_nothing(phase):
    # Stopped while printing: in `both` the locked phase must not start after all; the
    # locked phase alone, so as not to wait through an unlocked one first.
    mode = "both" if phase == UNLOCKED else LOCKED
    spec = scenarios.make_spec("lock-print", {"lines": 1000, "mode": mode}, "forkserver")
    # Stop once the phase's workers have printed something: mid-output.
    run = stop_when(
        spec, lambda state: state.current_phase() == phase and state.series.get(lines_series(phase))
    )
    assert run.exitcode == 0  # it wound down by itself: no SIGTERM (that would be -15)
    assert run.state.status == "stopped"
    assert [p for _, p in run.state.phases] == [phase]
    assert run.stop_took_s < 5  # a phase of 1000 lines takes ~10 s
    # No semaphore, no forkserver socket left (the conftest checks for processes).
    assert wait_for(lambda: not run_shm(os.getpid()), 3)
    assert wait_for(lambda: not run_temp_dirs(os.getpid()), 3)
