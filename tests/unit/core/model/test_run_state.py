"""Folding events into run state: lanes, spans, bounded history, the result dict."""

from array import array

from mpgui.core.model import run_state
from mpgui.core.model.run_state import STOP_LEVEL, RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec

SPEC = RunSpec("pool-map", {"workers": 2}, "fork")


def test_result_lists_workers_with_their_tasks_and_cores():
    s = RunState(SPEC, t0_ns=0)
    s.apply(
        [
            (ev.HELLO, 1, 100, 0, "main", "main"),
            (ev.HELLO, 2, 101, 0, "worker", ""),
            (ev.HELLO, 3, 102, 1, "worker", ""),
            (ev.START, 4, 101, 0),
            (ev.END, 5, 101, 0, 1),
            (ev.START, 4, 102, 1),
            (ev.END, 6, 102, 1, 1),
            (ev.WHERE, 7, 101, 0),
            (ev.RESULT, 8, {"speedup": 1.9}),
            (ev.DONE, 9, ev.STATUS_OK),
        ]
    )
    result = s.result()
    assert result["ok"] is True
    assert result["workers"] == [
        {"pid": 101, "tasks": 1, "cores": [0, 1]},
        {"pid": 102, "tasks": 1, "cores": [1]},
    ]
    assert result["metrics"] == {"speedup": 1.9}
    assert (list(s.span_lane), list(s.span_t0), list(s.span_t1)) == ([1, 2], [4, 4], [5, 6])


def test_an_error_event_makes_the_result_failed_with_the_remote_traceback():
    s = RunState(SPEC, t0_ns=0)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        s.apply([ev.error_event(exc), (ev.DONE, 2, ev.STATUS_ERROR)])
    result = s.result()
    assert result["ok"] is False
    assert result["error"]["type"] == "ValueError"
    assert result["error"]["message"] == "boom"
    assert "raise ValueError" in result["error"]["traceback"]


def test_span_history_is_bounded():
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.HELLO, 1, 101, 0, "worker", "")])
    n = run_state.MAX_SPANS * 2
    s.apply([(ev.END, i, 101, i, 0) for i in range(n)])
    assert run_state.MAX_SPANS <= len(s.span_t0) <= run_state.MAX_SPANS * 1.25
    assert s.span_t1[-1] == n - 1  # the newest are kept
    assert s.tasks_done == n


def test_new_logs_returns_only_lines_not_yet_seen():
    s = RunState(SPEC, t0_ns=0)
    s.add_log(1, 0, "INFO", "a")
    lines, seen = s.new_logs(0)
    assert [m for *_, m in lines] == ["a"]
    s.add_log(2, 0, "INFO", "b")
    lines, seen = s.new_logs(seen)
    assert [m for *_, m in lines] == ["b"]


def test_a_run_that_ends_without_done_is_reported_as_a_dead_conductor():
    s = RunState(SPEC, t0_ns=0)
    s.finish(exitcode=-9)
    result = s.result()
    assert result["status"] == ev.STATUS_ERROR
    assert result["error"]["type"] == "ConductorDied"
    assert result["error"]["message"] == "the conductor was killed by SIGKILL"


def test_a_scenario_error_before_the_conductor_died_is_kept_and_the_run_has_a_status():
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.ERROR, 1, "ValueError", "boom", "tb", {})])  # no DONE: the conductor was killed
    s.finish(exitcode=-9)
    result = s.result()
    assert result["status"] == ev.STATUS_ERROR
    assert result["error"]["type"] == "ValueError"


def test_the_hosts_verdict_is_not_overwritten_by_a_later_done():
    s = RunState(SPEC, t0_ns=0)
    s.fail("Timeout", "the run took longer than 1 s")
    s.apply([(ev.DONE, 5, ev.STATUS_STOPPED)])
    s.finish(exitcode=0)
    assert (s.status, s.error["type"]) == (ev.STATUS_ERROR, "Timeout")


def _spans(pid, rows):
    return ev.spans_event(pid, array("q", [x for row in rows for x in row]))


def test_packed_spans_fold_like_the_start_and_end_events_they_stand_for():
    hello = [(ev.HELLO, 1, 100, 0, "main", "main"), (ev.HELLO, 2, 101, 0, "worker", "")]
    packed = [
        _spans(101, [(0, 10, 20, 1), (1, 21, 30, 1)]),
        (ev.METRIC, 31, 101, "x", 1.0),
        _spans(101, [(2, 32, 40, 0)]),
    ]
    a, b = RunState(SPEC, t0_ns=0), RunState(SPEC, t0_ns=0)
    a.apply(hello + packed)
    b.apply(hello + ev.expand(packed))
    for s in (a, b):
        assert s.tasks_done == s.phase_done == s.span_total == 3
        (worker,) = s.workers()
        assert (worker.tasks_done, worker.cores, worker.current_core) == (3, {0, 1}, 0)
        assert worker.core_tasks == {1: 2, 0: 1}
        assert list(s.series["x"]) == [(31, 1.0)]
    for column in ("span_lane", "span_t0", "span_t1", "span_cpu", "span_task"):
        assert list(getattr(a, column)) == list(getattr(b, column)), column
    assert list(a.span_t0) == [10, 21, 32] and list(a.span_task) == [0, 1, 2]


def _folded(state: RunState) -> tuple:
    """Everything a fold of finished tasks touches, to compare two states by."""
    lanes = [
        (lane.tasks_done, lane.cores, lane.core_tasks, lane.current_core, lane.open_task)
        for lane in state.lanes
    ]
    columns = [
        list(getattr(state, c))
        for c in ("span_lane", "span_t0", "span_t1", "span_cpu", "span_task")
    ]
    return state.tasks_done, state.phase_done, state.span_total, lanes, columns


def _fold_both(before: list[tuple], end: tuple) -> tuple[RunState, RunState]:
    """`before` then the END `end`, and `before` then the one-row SPANS it stands for."""
    _, t, pid, task, cpu = end
    start = t
    for event in before:
        match event:
            case (ev.START, since, _, started) if started == task:
                start = since
    a, b = RunState(SPEC, t0_ns=0), RunState(SPEC, t0_ns=0)
    a.apply([*before, end])
    b.apply([*before, _spans(pid, [(task, start, t, cpu)])])
    return a, b


def test_an_end_folds_as_a_one_row_span_from_its_start():
    hello = [(ev.HELLO, 1, 100, 0, "main", "main"), (ev.HELLO, 2, 101, 0, "worker", "")]
    a, b = _fold_both([*hello, (ev.START, 5, 101, 3)], (ev.END, 9, 101, 3, 1))
    assert _folded(a) == _folded(b)
    (w,) = a.workers()
    assert (w.tasks_done, w.cores, w.current_core, w.open_task) == (1, {0, 1}, 1, None)
    assert (list(a.span_t0), list(a.span_t1), list(a.span_task)) == ([5], [9], [3])


def test_an_end_whose_start_was_not_seen_is_a_span_of_no_length():
    hello = [(ev.HELLO, 2, 101, 0, "worker", "")]
    for before in (hello, [*hello, (ev.START, 5, 101, 2)]):  # none, or another task's
        a, b = _fold_both(before, (ev.END, 9, 101, 3, 0))
        assert _folded(a) == _folded(b)
        assert (list(a.span_t0), list(a.span_t1)) == ([9], [9])
        assert a.workers()[0].open_task is None  # one task at a time: the one running ended


def test_an_end_on_an_unknown_core_keeps_the_cores_seen():
    hello = [(ev.HELLO, 2, 101, 1, "worker", "")]
    a, b = _fold_both([*hello, (ev.START, 5, 101, 3)], (ev.END, 9, 101, 3, -1))
    assert _folded(a) == _folded(b)
    (worker,) = a.workers()
    assert (worker.cores, worker.current_core, list(a.span_cpu)) == ({1}, 1, [-1])
    assert worker.core_tasks == {-1: 1}  # counted, so a bar's segments sum to its tasks


def test_tasks_are_counted_by_the_core_they_ended_on_and_sum_to_the_tasks_done():
    hello = [(ev.HELLO, 2, 101, 0, "worker", "")]
    state = RunState(SPEC, t0_ns=0)
    state.apply(hello)
    state.apply([_spans(101, [(0, 1, 2, 3), (1, 2, 3, 3), (2, 3, 4, 5), (3, 4, 5, 3)])])
    state.apply([_spans(101, [(4, 5, 6, 5), (5, 6, 7, 5)]), (ev.END, 9, 101, 6, 0)])
    (worker,) = state.workers()
    assert worker.core_tasks == {3: 3, 5: 3, 0: 1}
    assert sum(worker.core_tasks.values()) == worker.tasks_done == 7


def test_an_end_from_a_process_that_never_said_hello_is_ignored():
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.END, 9, 555, 3, 0), _spans(555, [(4, 9, 10, 0)])])
    assert (s.tasks_done, s.span_total, len(s.span_t0)) == (0, 0, 0)
    assert s.revision == 1


def test_a_span_ends_the_task_shown_running():
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.HELLO, 1, 101, 0, "worker", ""), (ev.START, 5, 101, 3)])
    assert s.workers()[0].open_task == 3
    s.apply([_spans(101, [(3, 5, 9, 0), (4, 9, 12, 0)])])
    assert s.workers()[0].open_task is None


def test_a_huge_block_of_spans_keeps_only_the_newest():
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.HELLO, 1, 101, 0, "worker", "")])
    n = run_state.MAX_SPANS * 3
    s.apply([_spans(101, [(i, i, i + 1, 0) for i in range(n)])])
    assert s.span_total == s.tasks_done == n
    assert len(s.span_t0) == len(s.span_lane) == run_state.MAX_SPANS
    assert s.span_task[0] == n - run_state.MAX_SPANS and s.span_t1[-1] == n


def test_a_start_arriving_after_its_process_ended_does_not_show_it_running():
    # The conductor's pipe (EXIT) and the workers' pipe (START) are two channels.
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.HELLO, 1, 42, 0, "worker", "")])
    s.apply([(ev.EXIT, 5, 42, -9, True, "ForkPoolWorker-1")])
    s.apply([(ev.START, 4, 42, 7)])
    (lane,) = s.workers()
    assert lane.died and lane.open_task is None


def _with_a_dead_worker() -> RunState:
    s = RunState(SPEC, t0_ns=0)
    s.apply(
        [
            (ev.HELLO, 1, 101, 0, "worker", ""),
            (ev.HELLO, 2, 102, 0, "worker", ""),
            (ev.START, 3, 102, 7),
            (ev.EXIT, 4, 101, -9, True, "ForkPoolWorker-1"),  # died idle
            (ev.EXIT, 5, 102, 1, True, "ForkPoolWorker-2"),  # died after it, with task 7
        ]
    )
    return s


def test_a_worker_that_died_before_a_timeout_or_a_stop_is_the_runs_error():
    for verdict, status in (("Timeout", ev.STATUS_ERROR), ("Stopped", ev.STATUS_STOPPED)):
        s = _with_a_dead_worker()
        s.fail(verdict, "the host's own reason", status)
        s.finish(exitcode=-9)
        error = s.result()["error"]
        assert (error["type"], error["pid"], error["signal"]) == ("WorkerFailed", 101, "SIGKILL")
        assert error["message"] == "worker 101 was killed by SIGKILL"
        assert "task" not in error  # it held none
        assert s.status == ev.STATUS_ERROR  # the run had failed before it was ended
        lines = [(line[2], line[3]) for line in s.logs]
        # Still said, in the log: a stop as a stop, a timeout as an error.
        if status == ev.STATUS_STOPPED:
            assert (STOP_LEVEL, "the host's own reason") in lines
        else:
            assert ("ERROR", f"{verdict}: the host's own reason") in lines


def test_a_death_after_the_first_is_logged_as_what_followed():
    lines = [line[3] for line in _with_a_dead_worker().logs]
    assert "worker 101 was killed by SIGKILL" in lines
    assert "worker 102 exited with code 1 while running task 7, after worker 101 had died" in lines


def test_a_helper_without_a_lane_that_dies_is_named_in_the_log():
    s = RunState(SPEC, t0_ns=0)
    s.apply([(ev.EXIT, 4, 77, -9, True, "SyncManager-1")])
    assert [line[3] for line in s.logs] == ["the Manager's server (pid 77) was killed by SIGKILL"]
    assert s.first_death["process"] == "SyncManager-1"


def test_a_stop_is_logged_as_a_stop_and_a_timeout_as_an_error():
    stopped = RunState(RunSpec("pool-map", {}, "fork"), t0_ns=0)
    stopped.fail("Stopped", "stopped by the user", ev.STATUS_STOPPED)
    assert [(level, text) for _, _, level, text in stopped.logs] == [
        (STOP_LEVEL, "stopped by the user")
    ]
    assert stopped.error["type"] == "Stopped"  # the result still says how it ended
    timed_out = RunState(RunSpec("pool-map", {}, "fork"), t0_ns=0)
    timed_out.fail("Timeout", "the run took longer than 5 s")
    assert [level for _, _, level, _ in timed_out.logs] == ["ERROR"]
