"""Folding tracebacks: the learner's frames shown, mpgui's and multiprocessing's hidden.

The texts in ``tracebacks/`` are real tracebacks captured from runs, with the paths they had
on the machine that captured them: the fold must not depend on where mpgui or Python live.
"""

from pathlib import Path

import pytest

from mpgui.ui.tracebacks import WORKER_LABEL, fold_traceback, frame_owner

HERE = Path(__file__).parent / "tracebacks"


def captured(name: str) -> str:
    return (HERE / f"{name}.txt").read_text(encoding="utf-8")


def frame_paths(text: str) -> list[str]:
    return [
        line.split('"')[1] for line in text.splitlines() if line.lstrip(" |").startswith("File")
    ]


def test_a_pool_task_that_raised_shows_the_workers_frames_first_and_folds_the_rest():
    # `mpgui run worker-failures --set failure=raise`: the error's traceback.
    folded = fold_traceback(captured("pool_raise"))
    assert folded.splitlines() == [
        WORKER_LABEL,
        "Traceback (most recent call last):",
        "  … 2 frames of multiprocessing hidden",
        '  File "/work/wt/code/src/mpgui/scenarios/worker_failures/model.py", line 91, in work',
        "    return go_wrong(failure, task)",
        "           ^^^^^^^^^^^^^^^^^^^^^^^",
        '  File "/work/wt/code/src/mpgui/scenarios/worker_failures/model.py", line 62, in go_wrong',
        '    raise ValueError(f"task {task} failed on purpose")',
        "ValueError: task 5 failed on purpose",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        "  … 1 frame of mpgui hidden",
        '  File "/work/wt/code/src/mpgui/scenarios/worker_failures/model.py", line 110, in run',
        "    results = pool.map(job, range(tasks), chunksize=1)",
        "              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "  … 2 frames of multiprocessing hidden",
        "ValueError: task 5 failed on purpose",
    ]


def test_a_log_message_keeps_its_headline_above_the_folded_traceback():
    # RunState logs an error as "Type: message" and the traceback below it.
    folded = fold_traceback("ValueError: task 5 failed on purpose\n" + captured("pool_raise"))
    assert folded.splitlines()[:3] == [
        "ValueError: task 5 failed on purpose",
        WORKER_LABEL,
        "Traceback (most recent call last):",
    ]


def test_a_part_without_any_learner_frame_keeps_the_frame_that_raised():
    # An executor's worker failing to pickle a result: every frame of its part is plumbing;
    # the innermost one (pickling) stays, or the part would say nothing about where.
    folded = fold_traceback(captured("executor_unpicklable"))
    worker, parent = folded.split("The above exception was the direct cause")
    assert "  … 2 frames of concurrent.futures and multiprocessing hidden" in worker
    assert frame_paths(worker) == [
        "/root/.pyenv/versions/3.11.7/lib/python3.11/multiprocessing/reduction.py"
    ]
    assert "TypeError: cannot pickle '_thread.lock' object" in worker
    assert frame_paths(parent) == ["/work/wt/code/src/mpgui/scenarios/worker_failures/model.py"]
    assert "  … 5 frames of concurrent.futures hidden" in parent


def test_a_learners_own_script_keeps_its_frames_and_every_part_of_the_chain():
    raw = captured("own_script")
    folded = fold_traceback(raw)
    assert frame_paths(folded) == ["/tmp/ctx.py"] * 3
    for sentence in (
        "The above exception was the direct cause of the following exception:",
        "During handling of the above exception, another exception occurred:",
        "ZeroDivisionError: division by zero",
        "RuntimeError: while handling",
        "           ~~^~~",  # the learner's frame keeps its markers
    ):
        assert sentence in folded
    assert "multiprocessing/pool.py" not in folded
    assert folded.count("frames of multiprocessing hidden") == 2


def test_an_exception_group_passes_through_its_margins_intact():
    raw = captured("exception_group")
    assert fold_traceback(raw) == raw.rstrip("\n")


@pytest.mark.parametrize("text", ["", "ValueError: x", "worker 123 exited with code 3\nand more"])
def test_text_without_frames_is_left_as_it_is(text):
    assert fold_traceback(text) == text


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/home/a/.venv/lib/python3.12/site-packages/mpgui/core/child/conductor.py", "mpgui"),
        ("/work/src/mpgui/bridge/drain.py", "mpgui"),
        ("/work/src/mpgui/scenarios/__init__.py", "mpgui"),  # the registry, not a scenario
        ("/work/src/mpgui/scenarios/pool_map/model.py", None),  # the code the learner reads
        ("/usr/lib/python3.13/multiprocessing/pool.py", "multiprocessing"),
        ("/usr/lib/python3.13t/concurrent/futures/process.py", "concurrent.futures"),
        (r"C:\Python312\Lib\multiprocessing\pool.py", "multiprocessing"),
        (r"C:\Users\a\mpgui\src\mpgui\ui\main_window.py", "mpgui"),
        ("/home/a/my_multiprocessing/pool.py", None),  # the learner's own file of that name
        ("/home/a/lessons/race.py", None),
        ("<string>", None),
    ],
)
def test_frames_are_told_apart_by_their_file(path, owner):
    assert frame_owner(path) == owner
