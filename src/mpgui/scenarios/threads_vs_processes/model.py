"""Threads vs processes: the same tasks that wait, and the same tasks that compute, run one
after another, on a ``ThreadPool`` and on a process ``Pool``.

A task that waits (here: for a reply from a small server on 127.0.0.1, a real blocking
``recv``) lets go of the GIL while it waits, so `workers` threads wait at once and finish
about `workers` times sooner. A task that computes in pure Python holds the GIL: threads take
turns, one at a time, and are no faster than one thread; processes each have their own GIL
and compute side by side, as many at once as there are cores.

Every timed region runs on a warm pool (all its workers started and ready); the ways are
measured in turn, three rounds over, and each figure is the median of its three.
"""

from __future__ import annotations

import heapq
import select
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from mpgui.core import timing
from mpgui.core.child import cpu_work, timed, workers
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

# The names this scenario reports (its chart imports them from here).
#: The two workloads, and the three ways of running them.
IO, CPU = "io", "cpu"
WORKLOADS = (IO, CPU)
SERIAL, THREADS, PROCESSES = "serial", "threads", "processes"
WAYS = (SERIAL, THREADS, PROCESSES)


def measurement(work: str, way: str) -> str:
    """The name of one timed region (``io_threads``): its phase's name, its metric's stem."""
    return f"{work}_{way}"


#: The timed regions, in the order they alternate (each round runs all six).
MEASUREMENTS = tuple(measurement(work, way) for work in WORKLOADS for way in WAYS)
#: Phases: the pools starting, then one per timed region (entered again every round).
START_PROCESSES, START_THREADS = "start_processes", "start_threads"
PHASES = (START_PROCESSES, START_THREADS, *MEASUREMENTS)
#: The metrics `run` returns.
IO_SERIAL_S, IO_THREADS_S, IO_PROCESSES_S = (f"{m}_s" for m in MEASUREMENTS[:3])
CPU_SERIAL_S, CPU_THREADS_S, CPU_PROCESSES_S = (f"{m}_s" for m in MEASUREMENTS[3:])
IO_THREADS_SPEEDUP = "io_threads_speedup"
CPU_THREADS_SPEEDUP = "cpu_threads_speedup"
CPU_PROCESSES_SPEEDUP = "cpu_processes_speedup"
THREADS_START_MS = "threads_start_ms"
PROCESSES_START_MS = "processes_start_ms"
METRICS = (
    IO_SERIAL_S,
    IO_THREADS_S,
    IO_PROCESSES_S,
    CPU_SERIAL_S,
    CPU_THREADS_S,
    CPU_PROCESSES_S,
    IO_THREADS_SPEEDUP,
    CPU_THREADS_SPEEDUP,
    CPU_PROCESSES_SPEEDUP,
    THREADS_START_MS,
    PROCESSES_START_MS,
)
#: A computing task reports when it really ran: one sample per stretch of running, on the
#: series ``running.<way>.<lane id>`` (the sample's time the stretch's end, its value the
#: stretch's length in ms). Between stretches the thread waited for the GIL, or the
#: process for a core.
RUNNING_PREFIX = "running."


#: Each timed region's seconds, as it is measured, on the series ``sample.<region>`` (the
#: chart shows the figures growing round by round; the result has their medians).
SAMPLE_PREFIX = "sample."


def sample_series(name: str) -> str:
    """The series of timed region `name`'s samples (seconds)."""
    return f"{SAMPLE_PREFIX}{name}"


def running_series(way: str, lane: int) -> str:
    """The series of the stretches lane `lane` (a pid, or a thread's id) ran, in `way`."""
    return f"{RUNNING_PREFIX}{way}.{lane}"


# -- the CPU-bound task ----------------------------------------------------------------------
#: Steps of arithmetic between two looks at the clock (about 20 µs): fine enough to see a
#: thread handing the GIL over (every 5 ms), cheap enough not to count (< 1 %).
CHUNK = 256
#: A gap this long (ns) between two looks at the clock means the task was not running: its
#: thread waited for the GIL, or its process for a core. Far above a chunk, far below 5 ms.
GAP_NS = 300_000
#: A computing task looks whether Stop was pressed every this many chunks (~1.3 ms): a
#: task of seconds (``cpu_ms``) still stops at once, for a look that costs < 0.1 %.
STOP_EVERY = 64


def compute(chunks: int, should_stop: Any = None) -> list[tuple[int, int]]:
    """Burn `chunks` × :data:`CHUNK` steps; return the stretches (start, end ns) it ran.

    The clock is read between chunks, by the running thread itself: while it reads it, it
    holds the GIL (or its core). So a stretch lies inside a time the thread really ran, and
    two threads' stretches can never overlap — while two processes' can. Every
    :data:`STOP_EVERY` chunks it looks whether `should_stop()`, and if so ends early.
    """
    stretches = []
    start = last = time.perf_counter_ns()
    for k in range(chunks):
        cpu_work.burn(CHUNK)
        now = time.perf_counter_ns()
        if now - last > GAP_NS:  # it was off: the stretch before the gap is over
            stretches.append((start, last))
            start = now
        last = now
        if should_stop is not None and k % STOP_EVERY == 0 and should_stop():
            break
    stretches.append((start, last))
    return stretches


def cpu_task(i: int, chunks: int, way: str) -> None:
    """One CPU-bound task, on the timeline; on a pool, it reports when it really ran."""
    p = probe.current()
    if p.should_stop():  # Stop pressed: skip the remaining tasks quickly
        return
    with p.task(i):
        stretches = compute(chunks, p.should_stop)
    if way != SERIAL:  # reported after the work: sending could hand the GIL over
        name = running_series(way, p.pid)
        for start, end in stretches:
            p.emit((ev.METRIC, end, p.pid, name, (end - start) / 1e6))


def chunks_per_ms() -> float:
    """How many chunks of :data:`CHUNK` steps of :func:`~mpgui.core.child.cpu_work.burn` this
    machine computes per millisecond (the shared calibration, in chunks)."""
    return cpu_work.steps_per_ms() / CHUNK


# -- the I/O-bound task: a real blocking recv from a local server ------------------------------
#: The server's one-byte reply.
REPLY = b"!"
#: Connections the server's listening socket queues (more tasks than that wait in connect).
BACKLOG = 128
#: How long an I/O task waits for its reply beyond the server's delay (s), and the server's
#: start-up: a bound, never reached unless something is broken.
IO_BOUND_S = 10.0
#: The idle server looks up this often (s): it has nothing to do, and is ended by the run.
SERVER_IDLE_S = 1.0


def delay_server(port_out: Any, delay_s: float) -> None:
    """A server on 127.0.0.1 that answers each connection with one byte, `delay_s` after it
    came: what a task waits for (a database, a web API, a disk). Its port goes out on
    `port_out` — or, if it cannot listen, why not (a str), and it ends. One thread, many
    connections at once: it keeps them in order of when each is due. It runs until the run
    ends it."""
    try:
        listener = socket.create_server(("127.0.0.1", 0), backlog=BACKLOG)
    except OSError as exc:  # no port free, no loopback: the run says so, in words
        port_out.send(str(exc))
        port_out.close()
        return
    port_out.send(listener.getsockname()[1])
    port_out.close()
    due: list[tuple[float, int, socket.socket]] = []  # (when, arrival, connection)
    arrivals = 0
    while True:
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, conn = heapq.heappop(due)
            with conn:
                try:
                    conn.sendall(REPLY)
                except OSError:  # the task gave up (Stop): nobody to answer
                    pass
        wait = min(due[0][0] - now, SERVER_IDLE_S) if due else SERVER_IDLE_S
        ready, _, _ = select.select([listener], [], [], max(0.0, wait))
        if ready:
            conn, _ = listener.accept()
            heapq.heappush(due, (time.monotonic() + delay_s, arrivals, conn))
            arrivals += 1


def io_task(i: int, port: int, timeout_s: float) -> None:
    """One I/O-bound task, on the timeline: connect to the server and wait for its reply in
    a blocking ``recv`` — the thread lets go of the GIL while it waits.

    It waits in slices of :data:`~mpgui.core.timing.WORKER_POLL_S` to see Stop (a reply may
    be seconds away), and at most `timeout_s` in all.
    """
    p = probe.current()
    if p.should_stop():
        return
    deadline = time.monotonic() + timeout_s
    with p.task(i), socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as conn:
        conn.settimeout(timing.WORKER_POLL_S)
        while True:
            try:
                reply = conn.recv(1)  # blocks here until the server answers
                break
            except TimeoutError:
                if p.should_stop():
                    return
                if time.monotonic() > deadline:
                    raise
    if reply != REPLY:
        raise ConnectionError(f"the server answered {reply!r}, not {REPLY!r}")


@contextmanager
def served(ctx: RunContext, delay_s: float) -> Iterator[int]:
    """:func:`delay_server` in a process of its own for the block, which gets its port (0 if
    Stop came first); however the block ends — or its start fails — the server is ended.

    A server that cannot listen says why, and the run fails with that reason
    (``RuntimeError``), not with the bare exit of a process the learner never asked for.
    """
    receive, send = ctx.mp.Pipe(duplex=False)
    server = ctx.mp.Process(target=delay_server, args=(send, delay_s), name="io-server")
    try:
        server.start()
        send.close()
        yield workers.said_port(ctx, server, receive, "the I/O server", IO_BOUND_S)
    finally:
        send.close()
        receive.close()
        workers.end_all([server])
        if server.pid is not None:  # the Log says so: the server has no lane of its own
            ctx.probe.log(f"the I/O server (pid {server.pid}) ended")


# -- the run -------------------------------------------------------------------------------------
def serially(job: Callable[[int], None], tasks: int, should_stop: Callable[[], bool]) -> Any:
    """A timed region: `job` over the tasks one after another, in the conductor's thread."""

    def region() -> None:
        for i in range(tasks):
            if should_stop():
                return
            job(i)

    return region


def on_pool(pool: Any, job: Callable[[int], None], tasks: int) -> Any:
    """A timed region: `job` over the tasks on `pool` (a ThreadPool or a Pool), one task at a
    time to each worker."""
    return lambda: pool.map(job, range(tasks), chunksize=1)


def speedups(metrics: dict[str, Any]) -> None:
    """Fill in the speedups over serial from the medians measured (None if one is missing)."""
    for speedup, way_s, serial_s in (
        (IO_THREADS_SPEEDUP, IO_THREADS_S, IO_SERIAL_S),
        (CPU_THREADS_SPEEDUP, CPU_THREADS_S, CPU_SERIAL_S),
        (CPU_PROCESSES_SPEEDUP, CPU_PROCESSES_S, CPU_SERIAL_S),
    ):
        if metrics[way_s] and metrics[serial_s]:
            metrics[speedup] = metrics[serial_s] / metrics[way_s]


def regions(
    threads: Any, procs: Any, jobs: dict[str, dict[str, Any]], tasks: int, should_stop: Any
) -> dict[str, Callable[[], object]]:
    """Every timed region by name, in the order they alternate: each workload's `jobs` (by
    way) serially, on the ThreadPool `threads`, on the process Pool `procs`."""
    out = {}
    for work, job in jobs.items():
        out[measurement(work, SERIAL)] = serially(job[SERIAL], tasks, should_stop)
        out[measurement(work, THREADS)] = on_pool(threads, job[THREADS], tasks)
        out[measurement(work, PROCESSES)] = on_pool(procs, job[PROCESSES], tasks)
    return out


def run(ctx: RunContext, params: dict) -> dict:
    """Time both workloads serially, on a ThreadPool and on a process Pool, in alternation."""
    n, tasks = params["workers"], params["tasks"]
    io_s, cpu_ms = params["io_ms"] / 1000, params["cpu_ms"]
    main = ctx.probe
    metrics: dict[str, Any] = dict.fromkeys(METRICS)  # every figure None until measured
    chunks = max(1, round(cpu_ms * chunks_per_ms()))
    with served(ctx, io_s) as port:
        if ctx.should_stop():
            return metrics
        waits = partial(io_task, port=port, timeout_s=io_s + IO_BOUND_S)
        jobs = {
            IO: dict.fromkeys(WAYS, waits),
            CPU: {way: partial(cpu_task, chunks=chunks, way=way) for way in WAYS},
        }
        # The process pool first: a fork start method must fork the conductor before any
        # thread of the ThreadPool exists (forking a process that runs threads is unsafe).
        main.phase(START_PROCESSES)
        with ctx.warm_pool(n) as procs:
            if ctx.should_stop():  # Stop cut the warm-up short: its time is no start-up's
                return metrics
            metrics[PROCESSES_START_MS] = procs.start_ms
            main.phase(START_THREADS)
            with ctx.warm_thread_pool(n) as threads:
                if ctx.should_stop():
                    return metrics
                metrics[THREADS_START_MS] = threads.start_ms

                def before(name: str, round_: int) -> None:
                    main.phase(name)
                    workers_now = 1 if name.endswith(SERIAL) else n
                    main.plan(tasks=tasks, workers=workers_now, round=round_ + 1)

                def after(name: str, _round: int, seconds: float | None) -> None:
                    if seconds is not None:  # the chart's sample, sent with the clock off
                        main.metric(sample_series(name), seconds)

                samples = timed.alternate(
                    regions(threads.pool, procs.pool, jobs, tasks, ctx.should_stop),
                    should_stop=ctx.should_stop,
                    before=before,
                    after=after,
                )
    if ctx.should_stop():
        return metrics
    for name, seconds in timed.medians(samples).items():
        metrics[f"{name}_s"] = seconds
    speedups(metrics)
    main.log(
        f"medians of {timed.ROUNDS} rounds: waiting tasks {metrics[IO_THREADS_SPEEDUP]:.1f}× "
        f"faster on {n} threads; computing tasks {metrics[CPU_THREADS_SPEEDUP]:.2f}× on "
        f"threads, {metrics[CPU_PROCESSES_SPEEDUP]:.2f}× on processes"
    )
    return metrics


SCENARIO = Scenario(
    id="threads-vs-processes",
    order=110,
    small_params={"workers": 2, "tasks": 8, "io_ms": 20, "cpu_ms": 20},
    short="Threads vs processes",
    title="ThreadPool vs Pool: waiting tasks and computing tasks",
    summary="Tasks that wait run side by side on threads; tasks that compute in pure Python "
    "take turns on threads (the GIL) and run side by side only on processes.",
    params=(
        ParamSpec(
            "workers", "int", default=4, minimum=1, maximum=64, help="Threads, and processes."
        ),
        ParamSpec(
            "tasks", "int", default=32, minimum=1, maximum=10_000, help="Tasks of each workload."
        ),
        ParamSpec(
            "io_ms",
            "int",
            default=50,
            minimum=1,
            maximum=5000,
            unit="ms",
            label="I/O wait",
            help="How long the local server takes to answer an I/O task, in milliseconds.",
        ),
        ParamSpec(
            "cpu_ms",
            "int",
            default=50,
            minimum=1,
            maximum=5000,
            unit="ms",
            label="CPU work",
            help="About how long one CPU task computes on one core, in milliseconds.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the same task on a ThreadPool and on a Pool; what each task does.
    focus=(
        "reply = conn.recv(1)",
        "stretches = compute(chunks",
        "with ctx.warm_pool(n) as procs:",
        "with ctx.warm_thread_pool(n) as threads:",
        "return lambda: pool.map(job, range(tasks), chunksize=1)",
        "job(i)",
    ),
)


def running_at_once(stretches: list[tuple[int, int]]) -> dict[int, int]:
    """How long (ns) exactly k of `stretches` (start, end ns) were running at once, by k ≥ 1.

    Threads' stretches of computing give {1: …} alone (the GIL: one at a time); processes'
    on two cores give {1: …, 2: …}. A stretch ending where another starts is not an overlap.
    """
    edges = sorted([(start, 1) for start, _ in stretches] + [(end, -1) for _, end in stretches])
    out: dict[int, int] = {}
    running, since = 0, 0
    for t, step in edges:  # at one instant, ends (-1) sort before starts (+1)
        if running:
            out[running] = out.get(running, 0) + t - since
        running, since = running + step, t
    return {k: v for k, v in out.items() if v > 0}


#: Stretches are read off the clock between chunks, so two processes' can seem to overlap
#: a little each time one is preempted (by up to :data:`GAP_NS`); more lanes than cores "at
#: once" for less than this share of the time any lane ran is that, not lanes running at once.
AT_ONCE_SHARE = 0.02


def most_at_once(stretches: list[tuple[int, int]]) -> int:
    """The most lanes that ran at once, for at least :data:`AT_ONCE_SHARE` of the time any
    of them ran (0 if none ran)."""
    at_once = running_at_once(stretches)
    busy = sum(at_once.values())
    return max(
        (
            k
            for k in at_once
            if sum(v for j, v in at_once.items() if j >= k) >= AT_ONCE_SHARE * busy
        ),
        default=0,
    )
