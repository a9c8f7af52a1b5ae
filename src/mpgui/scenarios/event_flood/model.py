"""Event flood: pool workers that do nothing but report, to measure what mpgui can watch.

An instrument rather than a lesson (it is not in the window's list; run it by id). Each
producer is a pool worker running empty tasks — ``with p.task(i): pass`` reports a START and
an END — and a live METRIC now and then, through the same probe, queue and bridge as every
scenario. Either a fixed number of events per producer, as fast as they can be made (the
throughput benchmark), or a steady rate for a while (a long run for memory checks).
"""

from __future__ import annotations

import time
from functools import partial

from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: Most tasks between two looks at the stop event, the clock and the pace (a look at the
#: stop event takes a semaphore: far too slow to do per task).
STEP = 1024

# The names this scenario reports (it has no chart of its own: the window plots every series).
#: Its one phase.
FLOOD = "flood"
PHASES = (FLOOD,)
#: The live series each producer reports now and then: tasks it has done so far.
SERIES_TASKS_DONE = "tasks per producer"
#: The metrics `run` returns.
EVENTS = "events"
SECONDS = "seconds"
EVENTS_PER_S = "events_per_s"
PRODUCERS = "producers"
METRICS = (EVENTS, SECONDS, EVENTS_PER_S, PRODUCERS)


def flood(
    index: int, producers: int, events: int, duration_s: float, rate: float, metric_every: int
) -> tuple[int, int, int, int]:
    """One producer: report empty tasks until its quota (or its time) is used up.

    Returns ``(pid, events sent, first event's timestamp, last event's timestamp)``, counting
    each START, END and METRIC the probe was handed.
    """
    p = probe.current()
    tasks = events // 2 if duration_s <= 0 else None
    per_task_ns = 2e9 / rate if rate > 0 else 0.0  # a task is two events
    # Paced, a step is ~10 ms of tasks, so the rate is even and the end on time.
    step = max(1, min(STEP, int(10e6 / per_task_ns))) if per_task_ns else STEP
    task = index  # task numbers interleave across producers, so each is unique in the run
    done = metrics = 0
    t_first = time.perf_counter_ns()
    deadline = t_first + int(duration_s * 1e9)
    while tasks is None or done < tasks:
        for _ in range(step if tasks is None else min(step, tasks - done)):
            with p.task(task):
                pass
            task += producers
            done += 1
            if done % metric_every == 0:
                p.metric(SERIES_TASKS_DONE, done)
                metrics += 1
        now = time.perf_counter_ns()
        if p.should_stop() or (tasks is None and now >= deadline):
            break
        if per_task_ns:
            due = t_first + done * per_task_ns
            if tasks is None:
                due = min(due, deadline)
            if due > now:
                time.sleep((due - now) / 1e9)
            if tasks is None and time.perf_counter_ns() >= deadline:
                break
    p.flush()  # the last events go now, not at the next idle flush
    return p.pid, 2 * done + metrics, t_first, time.perf_counter_ns()


def run(ctx: RunContext, params: dict) -> dict:
    """Start `producers` pool workers, each flooding the bridge; report what they sent."""
    producers = params["producers"]
    main = ctx.probe
    main.phase(FLOOD)
    per = params["events"]
    if params["duration_s"] <= 0:
        main.plan(tasks=producers * (per // 2), workers=producers)
    else:
        main.plan(workers=producers)
    job = partial(
        flood,
        producers=producers,
        events=per,
        duration_s=params["duration_s"],
        rate=params["rate"] / producers,
        metric_every=params["metric_every"],
    )
    with ctx.pool(producers) as pool:
        # One job per producer (chunksize 1): each idle pool worker takes one.
        reports = pool.map(job, range(producers), chunksize=1)
    sent = sum(r[1] for r in reports)
    seconds = (max(r[3] for r in reports) - min(r[2] for r in reports)) / 1e9
    main.log(f"{producers} producers sent {sent} events in {seconds:.3f} s")
    return {
        EVENTS: sent,
        SECONDS: seconds,
        EVENTS_PER_S: sent / seconds if seconds > 0 else None,
        PRODUCERS: len({r[0] for r in reports}),
    }


SCENARIO = Scenario(
    id="event-flood",
    order=100,
    listed=False,
    small_params={"producers": 2, "events": 2000},
    title="Event flood",
    summary="Workers that only report: how many events per second mpgui can watch.",
    params=(
        ParamSpec("producers", "int", default=4, minimum=1, maximum=256, help="Worker processes."),
        ParamSpec(
            "events",
            "int",
            default=250_000,
            minimum=2,
            maximum=1_000_000_000,
            help="Events each producer sends (a task is two: START and END). "
            "Ignored when a duration is set.",
        ),
        ParamSpec(
            "duration_s",
            "float",
            default=0.0,
            minimum=0.0,
            maximum=86_400.0,
            unit="s",
            label="Duration",
            help="Send for this long instead of a fixed number of events (0: off).",
        ),
        ParamSpec(
            "rate",
            "float",
            default=0.0,
            minimum=0.0,
            maximum=100_000_000.0,
            unit="events/s",
            help="Events per second, all producers together (0: as fast as they can).",
        ),
        ParamSpec(
            "metric_every",
            "int",
            default=1000,
            minimum=1,
            maximum=1_000_000_000,
            label="Metric every",
            help="Tasks between two live METRIC samples from a producer.",
        ),
    ),
    run=run,
    metrics=METRICS,
)
