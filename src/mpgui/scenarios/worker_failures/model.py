"""Worker failures: one task raises, exits, crashes, hangs or returns the unpicklable.

The same tasks run under ``multiprocessing.Pool`` or ``concurrent.futures.ProcessPoolExecutor``
and task `fail_task` goes wrong. An exception, or a result that cannot be pickled, comes back
to the parent as an exception. A worker that *dies* is another matter: Pool quietly starts a
replacement and waits for the lost task forever, while the executor marks itself broken and
raises ``BrokenProcessPool``. mpgui's own child watch (``mpgui.core.child.child_watch``) notices the
death either way, names the exit code or signal, and ends the run; a task that hangs is ended
by its ``timeout_s`` (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import faulthandler
import os
import signal
import threading
import time
from functools import partial

from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: What each failure does, as the log says it just before it happens.
FAILURES = {
    "none": "nothing (a control run)",
    "raise": "raise ValueError",
    "exit": "call os._exit(3)",
    "segfault": "crash with a segmentation fault",
    "hang": "hang forever, ignoring SIGTERM",
    "unpicklable": "return a threading.Lock, which cannot be pickled",
}

# The names this scenario reports (its chart imports them from here).
#: The APIs it maps the tasks with; the run's one phase is named after the API chosen.
POOL, EXECUTOR = "Pool", "ProcessPoolExecutor"
PHASES = (POOL, EXECUTOR)
#: The live series the failing task reports once, with its number, just before it goes wrong.
SERIES_FAILING = "failing"
#: The metrics `run` returns.
TASKS_RETURNED = "tasks_returned"
SECONDS = "seconds"
METRICS = (TASKS_RETURNED, SECONDS)


def no_core_file() -> None:
    """No core dump for a crash made on purpose: the soft limit on core files goes to 0 (the
    hard one stays, so it could be raised back), as ``faulthandler``'s own test crashes do."""
    try:
        import resource  # noqa: PLC0415 - Unix only
    except ImportError:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))


def go_wrong(failure: str, task: int) -> object:
    """Do `failure` for real, in this worker process."""
    if failure == "raise":
        raise ValueError(f"task {task} failed on purpose")
    if failure == "exit":
        os._exit(3)  # no cleanup, no exception: the process is simply gone
    if failure == "segfault":
        faulthandler.disable()  # no Python traceback dump on stderr: the signal says it all
        no_core_file()
        signal.raise_signal(signal.SIGSEGV)  # a real SIGSEGV: the default action ends it
    if failure == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(3600)
    if failure == "unpicklable":
        return threading.Lock()  # the worker is fine; sending this back is not
    return task


def work(task: int, fail_task: int, failure: str, task_ms: float) -> object:
    """One task: sleep `task_ms` (so the timeline shows it), or go wrong if it is `fail_task`."""
    p = probe.current()
    if p.should_stop():
        return None
    with p.task(task):
        if task == fail_task and failure != "none":
            p.metric(SERIES_FAILING, task)
            p.log(f"task {task}: about to {FAILURES[failure]}", "WARNING")  # log flushes
            # log() has written its line to the pipe already; the pause lets the window show
            # the task running before it goes wrong (and keeps the failure-detection
            # benchmark's figures, which include it, comparable).
            time.sleep(0.05)
            return go_wrong(failure, task)
        time.sleep(task_ms / 1000)
        return task


def run(ctx: RunContext, params: dict) -> dict:
    """Map the tasks with the chosen API; one of them goes wrong."""
    tasks, workers, api = params["tasks"], params["workers"], params["api"]
    job = partial(
        work, fail_task=params["fail_task"], failure=params["failure"], task_ms=params["task_ms"]
    )
    main = ctx.probe
    main.phase(api)
    # The host ends a worker whose task runs past the timeout (SIGTERM, then SIGKILL).
    main.plan(tasks=tasks, workers=workers, task_timeout_s=params["timeout_s"])
    t0 = time.perf_counter()
    if api == POOL:
        with ctx.pool(workers) as pool:
            # chunksize=1: one task per message, so a dead worker loses exactly one task
            results = pool.map(job, range(tasks), chunksize=1)
    else:
        with ctx.executor(workers) as executor:
            results = list(executor.map(job, range(tasks)))
    seconds = time.perf_counter() - t0
    done = sum(r is not None for r in results)
    main.log(f"{api}: {done} of {tasks} tasks returned in {seconds:.2f} s")
    return {TASKS_RETURNED: done, SECONDS: seconds}


SCENARIO = Scenario(
    id="worker-failures",
    order=90,
    small_params={"failure": "none", "tasks": 4, "task_ms": 5.0},
    # Only a task that goes wrong reports SERIES_FAILING.
    small_variants=({"failure": "raise", "fail_task": 1},),
    title="Worker failures",
    short="Worker failures",
    summary="A task raises, exits, segfaults, hangs or returns the unpicklable: Pool vs executor.",
    params=(
        ParamSpec(
            "failure",
            "choice",
            default="exit",
            choices=tuple(FAILURES),
            help="What the failing task does: "
            + "; ".join(f"{k}: {v}" for k, v in FAILURES.items()),
        ),
        ParamSpec(
            "api",
            "choice",
            default=POOL,
            choices=PHASES,
            label="API",
            help="multiprocessing.Pool or concurrent.futures.ProcessPoolExecutor.",
        ),
        ParamSpec("workers", "int", default=2, minimum=1, maximum=16, help="Worker processes."),
        ParamSpec("tasks", "int", default=12, minimum=1, maximum=1000, help="Tasks to map."),
        ParamSpec(
            "fail_task",
            "int",
            default=5,
            minimum=0,
            maximum=999,
            label="Failing task",
            help="The task (counted from 0) that goes wrong; beyond the last task, none does.",
        ),
        ParamSpec(
            "task_ms",
            "float",
            default=150.0,
            minimum=0.0,
            maximum=10_000.0,
            unit="ms",
            label="Task time",
            help="How long each healthy task takes (it sleeps), in milliseconds.",
        ),
        ParamSpec(
            "timeout_s",
            "float",
            default=2.0,
            minimum=0.1,
            maximum=600.0,
            unit="s",
            label="Task timeout",
            help="A task running longer has its worker ended: SIGTERM, then SIGKILL.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: each failure provoked for real, and the map call that meets it.
    focus=(
        'raise ValueError(f"task {task} failed on purpose")',
        "os._exit(3)",
        "signal.raise_signal(signal.SIGSEGV)",
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)",
        "return threading.Lock()",
        "results = pool.map(",
        "results = list(executor.map(",
    ),
)
