"""What a run's outcome says in words: one line for an error, one for a failed run."""

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.ui.wording import describe_error, failure_line

SPEC = RunSpec("pool-map", {"workers": 2}, "fork")


def _failed(events: list[tuple], exitcode: int = 0) -> RunState:
    state = RunState(SPEC, t0_ns=0)
    state.apply(events)
    state.finish(exitcode)
    return state


def test_an_error_from_a_worker_names_the_worker_its_end_and_its_task():
    state = _failed(
        [
            (ev.HELLO, 1, 101, 0, "worker", ""),
            (ev.START, 2, 101, 7),
            (ev.ERROR, 3, "BrokenPipeError", "pipe closed", None, ev.exit_info(101, -9)),
            (ev.DONE, 4, ev.STATUS_ERROR),
        ]
    )
    assert describe_error(state.error) == (
        "BrokenPipeError: pipe closed (worker 101 was killed by SIGKILL) · task 7"
    )


def test_a_dead_worker_is_said_once():
    # A WorkerFailed's message already says how the worker ended.
    state = _failed(
        [
            (ev.HELLO, 1, 101, 0, "worker", ""),
            (ev.EXIT, 2, 101, 3, True, "ForkPoolWorker-1"),
            (ev.DONE, 3, ev.STATUS_STOPPED),
        ]
    )
    state.fail("Stopped", "stopped by the user", ev.STATUS_STOPPED)
    assert describe_error(state.error) == "WorkerFailed: worker 101 exited with code 3"


def test_a_failed_run_is_one_line_without_its_traceback():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError as exc:
        state = _failed([ev.error_event(exc), (ev.DONE, 2, ev.STATUS_ERROR)])
    assert failure_line(state.result()) == "mpgui: the run failed: ValueError: boom"


def test_an_outcome_without_a_message_has_no_dangling_colon():
    assert failure_line({"status": "stopped", "error": None}) == "mpgui: the run failed: stopped"
