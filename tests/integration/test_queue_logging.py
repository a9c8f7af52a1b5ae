"""Queue logging for real: with defaults under every start method, only the Queue brings
every child's record to the parent — in order, with the child's pid and name — and only fork
copies the parent's handlers; Stop leaves no process and no file behind."""

import os
import re

import pytest

from mpgui import scenarios
from mpgui.core.model.run_state import RunState
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.scenarios.queue_logging.model import (
    FILE_LEVEL,
    LISTENER_LEVEL,
    VIA_QUEUE,
    WITHOUT_QUEUE,
)
from tests.runs import run_with_state, stop_when

#: A listener's line: "child-2[4996] record 17".
LINE = re.compile(r"^(child-\d+)\[(\d+)\] record (\d+)$")


def _pids(state: RunState, label: str) -> set[int]:
    return {lane.pid for lane in state.lanes if lane.role == "worker" and lane.label == label}


@pytest.mark.parametrize("method", available_start_methods())
def test_with_defaults_only_the_queue_brings_every_record_and_fork_copies_the_handlers(method):
    result, state = run_with_state("queue-logging", {}, method, timeout=60)
    assert result["ok"] is True, result["error"]
    m = result["metrics"]
    assert m["records_expected"] == 4 * 200
    assert m["records_via_queue"] == m["records_expected"]
    # Without the queue: fork copies the parent's FileHandler into each child; spawn and
    # forkserver children start with a fresh interpreter and log nowhere.
    assert m["records_without_queue"] == (m["records_expected"] if method == "fork" else 0)
    assert m["out_of_order"] == 0 and m["misattributed"] == 0
    assert 0 < m["max_delay_ms"] < 10_000

    # Each phase-1 child said what it found — measured, not assumed (forkserver included:
    # nothing mpgui does preloads a logging set-up into the fork server).
    found = [msg for _t, _p, lvl, msg in state.logs if lvl == "INFO" and " found its " in msg]
    assert len(found) == 4
    inherited = "level INFO, FileHandler" if method == "fork" else "level WARNING, no handler"
    assert all(msg.endswith(inherited) for msg in found), found
    # ... and what arrived in the file is the fork children's own records, each under its pid.
    file_pids = {pid for _t, pid, lvl, _m in state.logs if lvl == FILE_LEVEL}
    assert file_pids == (_pids(state, WITHOUT_QUEUE) if method == "fork" else set())

    # Via the queue: every record of every child, in the order the child made them, each
    # carrying the pid and the process name of the child that made it.
    children = _pids(state, VIA_QUEUE)
    assert len(children) == 4
    seqs: dict[int, list[int]] = {}
    names: dict[int, set[str]] = {}
    for _t, pid, level, message in state.logs:
        if level != LISTENER_LEVEL:
            continue
        name, record_pid, seq = LINE.match(message).groups()
        assert int(record_pid) == pid  # the record's pid is the one the line is filed under
        seqs.setdefault(pid, []).append(int(seq))
        names.setdefault(pid, set()).add(name)
    assert set(seqs) == children
    assert all(s == list(range(200)) for s in seqs.values())
    assert all(len(n) == 1 for n in names.values())  # one name per child ...
    assert {n for ns in names.values() for n in ns} == {f"child-{k}" for k in range(4)}


def _temp_folder(state: RunState) -> str:
    """The private directory the run's log file is in, from the parent's log line."""
    for _t, _p, _level, message in state.logs:
        found = re.search(r"the parent logs to (\S+) ", message)
        if found:
            return os.path.dirname(found.group(1))
    raise AssertionError("the run never said where it logs")


@pytest.mark.parametrize(
    ("phase", "level", "params"),
    [
        (WITHOUT_QUEUE, FILE_LEVEL, {"records": 2000}),
        # Phase 1 short (0.8 s), phase 2 stopped at its first listener line.
        (VIA_QUEUE, LISTENER_LEVEL, {"records": 400, "pause_ms": 2.0}),
    ],
)
def test_stop_mid_run_leaves_no_process_and_no_file(phase, level, params):
    spec = scenarios.make_spec("queue-logging", params, "fork")
    folders = []

    def logging_in_phase(state):
        if state.current_phase() != phase or not any(lvl == level for *_, lvl, _m in state.logs):
            return False
        folders.append(_temp_folder(state))
        assert os.path.isdir(folders[0])  # the file really is there mid-run
        return True

    run = stop_when(spec, logging_in_phase)
    folder = folders[0]
    assert run.stop_took_s < 5  # promptly, not after all the records
    assert run.exitcode == 0  # wound down by itself: no SIGTERM was needed
    assert run.state.status == "stopped"
    assert not os.path.exists(folder)  # the log file and its private directory are gone
    # (No process is left: the conftest checks that after every test.)
