"""Start methods: how long fork, spawn and forkserver take to start a process, and what the
child inherits from its parent.

``fork`` copies the parent (memory, module globals as they are *now*); ``spawn`` starts a fresh
interpreter that imports the modules it needs; ``forkserver`` forks from a small server
process started once, which is as clean as spawn and nearly as fast as fork after the first.
Each child (:func:`mpgui.core.child.bare_child.child`) notes the time at its first line and reads a
module global that the parent changed after import: only a forked child sees the change.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from array import array

from mpgui.core.child import bare_child
from mpgui.core.child.failures import WorkerFailed
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import available_start_methods
from mpgui.core.scenario import Scenario

#: What a start may take at most before the run fails (a hung start is a failure).
CHILD_TIMEOUT_S = 30.0

# The names this scenario reports (its chart imports them from here).
#: The start methods this platform offers, in order; each one measured is a phase of its name.
OFFERED = tuple(available_start_methods())
#: Every start method there is, in a fixed order (lanes and colours keep to it everywhere).
METHOD_ORDER = ("fork", "spawn", "forkserver")
#: The role of a lane that shows one start method's children.
CHILDREN = "children"
PHASES = OFFERED
#: The metrics `run` returns: this Python's default method, and figures per method measured.
DEFAULT_METHOD = "default_method"
METHODS = "methods"
METRICS = (DEFAULT_METHOD, METHODS)
#: The figures of one method, in ``METHODS``: medians and 90th percentile (ms), whether the
#: child saw the parent's change, and every start's latency (ms).
START_MS_MEDIAN = "start_ms_median"
START_MS_P90 = "start_ms_p90"
JOIN_MS_MEDIAN = "join_ms_median"
SEES_PARENT_CHANGE = "sees_parent_change"
START_MS = "start_ms"


def start_ms_series(method: str) -> str:
    """The live series of each start's latency (ms) with `method`."""
    return f"{START_MS}.{method}"


def _percentile(values: list[float], q: float) -> float:
    """The `q`-quantile (0..1) of `values`, linearly interpolated."""
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def method_lane(method: str) -> int:
    """The id of the lane that shows `method`'s children.

    Not a pid: the children live a few milliseconds each, one after another, and a lane per
    child would be hundreds of lanes of one bar. Negative, so it can never be a process's
    (the host samples, and would signal, only the pids of processes that said hello).
    """
    return -1 - METHOD_ORDER.index(method)


def measure(ctx: RunContext, method: str, processes: int, first_task: int) -> dict:
    """Start and join `processes` trivial children with `method`, one at a time.

    One at a time, so each start is timed on an otherwise idle machine. Each child is drawn
    as a task on its method's lane (:func:`method_lane`), from ``start()`` until ``join()``
    returned, on the core it ran on — reported after it was joined, so that reporting costs
    the measurement nothing.
    """
    main = ctx.probe
    mp = ctx.context(method)  # multiprocessing.get_context(method), as mpgui can watch it
    main.phase(method)
    lane = method_lane(method)
    main.emit((ev.HELLO, ev.now_ns(), lane, -1, CHILDREN, method))
    starts, joins, sees = [], [], []
    for i in range(processes):
        if ctx.should_stop():
            break
        reader, writer = mp.Pipe(duplex=False)
        proc = mp.Process(target=bare_child.child, args=(writer,), name=f"{method}-{i}")
        t0 = time.perf_counter_ns()
        proc.start()
        writer.close()  # the child holds the only writer now: EOF if it dies
        if not reader.poll(CHILD_TIMEOUT_S):
            proc.kill()
            proc.join(CHILD_TIMEOUT_S)  # every wait has a bound, even for a killed child
            raise RuntimeError(f"a {method} child did not start within {CHILD_TIMEOUT_S:g} s")
        try:
            t_first, saw_change, cpu = reader.recv()
        except EOFError:  # the child died before it could report
            proc.join(CHILD_TIMEOUT_S)
            raise WorkerFailed(proc.pid, proc.exitcode) from None
        finally:
            reader.close()
        j0 = time.perf_counter_ns()
        proc.join(CHILD_TIMEOUT_S)  # it has reported and returns at once; a bound all the same
        j1 = time.perf_counter_ns()
        if proc.exitcode is None:
            proc.kill()
            proc.join(CHILD_TIMEOUT_S)
            raise RuntimeError(f"a {method} child did not exit within {CHILD_TIMEOUT_S:g} s")
        # Measured: now report. (Emitting may write to the pipe: never between t0 and j1.)
        main.emit(ev.spans_event(lane, array(ev.SPAN_TYPECODE, (first_task + i, t0, j1, cpu))))
        start_ms = (t_first - t0) / 1e6
        starts.append(start_ms)
        joins.append((j1 - j0) / 1e6)
        sees.append(saw_change)
        main.metric(start_ms_series(method), start_ms)
    if not starts:
        return {}
    main.log(
        f"{method}: start median {statistics.median(starts):.1f} ms over {len(starts)} "
        f"processes; child sees the parent's change: {all(sees)}"
    )
    return {
        START_MS_MEDIAN: statistics.median(starts),
        START_MS_P90: _percentile(starts, 0.9),
        JOIN_MS_MEDIAN: statistics.median(joins),
        SEES_PARENT_CHANGE: all(sees),
        START_MS: starts,
    }


def run(ctx: RunContext, params: dict) -> dict:
    """Measure each chosen start method in turn."""
    # After import: a forked child copies this change, a spawned one imports the module anew.
    bare_child.MARK = bare_child.CHANGED
    processes, methods = params["processes"], params["methods"]
    ctx.probe.plan(tasks=processes * len(methods), workers=1)
    measured = {}
    for k, method in enumerate(methods):
        if ctx.should_stop():
            break
        measured[method] = measure(ctx, method, processes, first_task=k * processes)
    # The running Python's own default (the first method listed), not the conductor's: the
    # conductor is a spawn child, and in a spawn child the default context says "spawn".
    default = multiprocessing.get_all_start_methods()[0]
    return {DEFAULT_METHOD: default, METHODS: measured}


SCENARIO = Scenario(
    id="start-methods",
    order=80,
    small_params={"processes": 2},
    short="Start methods",
    title="Start methods: fork, spawn, forkserver",
    summary="Start trivial processes with each start method: how long until the child runs "
    "its first line, and what it inherits from the parent.",
    params=(
        ParamSpec(
            "processes",
            "int",
            default=10,
            minimum=1,
            maximum=500,
            help="Processes started, one after another, with each method.",
        ),
        ParamSpec(
            "methods",
            "multi",
            default=OFFERED,
            choices=OFFERED,
            help="Start methods to measure (comma-separated on the command line).",
        ),
    ),
    run=run,
    metrics=METRICS,
    uses_start_method=False,
    # The lesson: one context per start method, a child started and joined with it.
    focus=(
        "mp = ctx.context(method)",
        "proc = mp.Process(",
        "proc.start()",
        "proc.join(CHILD_TIMEOUT_S)  # it has reported",
    ),
)
