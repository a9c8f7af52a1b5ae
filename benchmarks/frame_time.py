"""Frame time: one 30 Hz redraw of the window's four panels, at 16 workers / 16 cores /
10,000 spans, the issue's 64 workers / 64 cores / 25,000 spans, and 256 workers / 128 cores /
25,000 spans; prints one JSON object.

For each point, a real ``MainWindow`` on pool-map, 1440×900, shown (offscreen unless
``QT_QPA_PLATFORM`` says otherwise), draws a ``RunState`` fed with protocol events as a run
would send them: a main lane and the workers, the finished task spans spread over the cores, a
CPU sample and a WHERE per worker every 100 ms, a phase, a plan, some metrics and log lines.
The run's clock is the real one, so "now" in the panels is what it would be in a live run.
Each point has a window of its own (a machine's core count is fixed for a window's panels).

Each frame, 33 ms of new events (a few spans ending on each lane, a CPU sample, a metric)
are folded into the state (untimed: that is the drain's delivery, not the frame), then the
frame is timed:

- ``window._redraw()`` — the window's timer tick: state → plot items, readout, log;
- each panel's whole scene is marked for repainting (``scene().update()``), and the event
  loop runs: the scenes' dirty-item processing, then one paint of the whole of every panel,
  plus whatever else the tick changed (readout label, log), as Qt does after a tick.

Forcing the full repaint makes the figure (``p50_ms``/``p95_ms``/``max_ms``, the ``full``
series) an upper bound: a real tick repaints only the parts of the panels whose items changed,
which the ``changed`` series measures (the same frames without the forced repaint). ``idle``
is the full frame with nothing new in the state. ``paints_min`` checks that every timed full
frame did paint all four panels. ``spans_kept`` is how many spans the state holds (and the
timeline draws) at the end: ``RunState`` keeps the newest ``MAX_SPANS`` (25,000) and trims
in steps, so a 25,000-span point draws at least 25,000. The box's load average is reported
too: on a shared machine other processes' work shows in every figure.

The top-level ``p50_ms``/``p95_ms``/``max_ms`` are the issue's point (64/64/25,000); each
point's figures are under ``points``. The issue's floor: p95 ≤ 12 ms for the full frame at
that point — ``meets_floor``; ``every_point_meets_floor`` says whether the other points (16
workers on 16 cores, and 256 workers on 128 cores, which the issue asks to measure) do too.

    uv run python benchmarks/frame_time.py [--frames N] [--point WORKERSxCORESxSPANS ...]
        [--png PATH] [--profile PATH] [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from typing import Any

from _common import emit, machine, percentile, setup
from mpgui.core.protocol import events as ev

#: The issue's floor for the p95 frame time, in milliseconds.
FLOOR_MS = 12
#: The redraw period of a running window (ms): how much new data each frame brings.
TICK_MS = 33
#: Frames drawn before timing starts (first paints build caches and fonts).
WARMUP = 5

MAIN_PID = 1000
TASK_MS = 50.0  # the mean task length; each task is 0.6–1.4× this
GAP_MS = 0.3  # between a worker's tasks
SAMPLE_NS = 100_000_000  # telemetry's 10 Hz


class Feed:
    """A plausible pool-map run's events: `workers` processes on `cores` cores.

    :meth:`history` gives the events of a run that has already finished `spans` tasks and is
    going on now; :meth:`advance` gives the events from the last call up to a given time.
    """

    def __init__(self, workers: int, cores: int, spans: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.workers = workers
        self.cores = cores
        self.spans = spans
        self.pids = [MAIN_PID + 1 + i for i in range(workers)]
        self.core_of = {pid: i % cores for i, pid in enumerate(self.pids)}
        self.open_task: dict[int, tuple[int, int, int]] = {}  # pid -> (task, start, end)
        self.next_task = 0
        self.next_sample = 0
        self.t0_ns = 0

    def _task_ns(self) -> int:
        return int(TASK_MS * self.rng.uniform(0.6, 1.4) * 1e6)

    def _move(self, pid: int) -> None:
        """Now and then the scheduler moves a worker to another core."""
        if self.rng.random() < 0.05:
            self.core_of[pid] = self.rng.randrange(self.cores)

    def _start(self, pid: int, t: int) -> tuple:
        task = self.next_task
        self.next_task += 1
        self.open_task[pid] = (task, t, t + self._task_ns())
        return (ev.START, t, pid, task)

    def history(self, now_ns: int) -> tuple[int, list[tuple]]:
        """(t0_ns, events) of a run that has finished ``spans`` tasks by `now_ns`."""
        per_worker = self.spans // self.workers
        extra = self.spans - per_worker * self.workers
        # Each worker's tasks back to back; the run started when the longest queue began.
        lengths = []
        for i in range(self.workers):
            n = per_worker + (1 if i < extra else 0)
            lengths.append([self._task_ns() for _ in range(n)])
        gap = int(GAP_MS * 1e6)
        busiest = max(sum(ds) + gap * len(ds) for ds in lengths)
        lead_ns = 300_000_000  # the conductor's start-up before the pool works
        t0 = now_ns - busiest - lead_ns
        self.t0_ns = t0
        out: list[tuple] = [
            (ev.HELLO, t0, MAIN_PID, 0, "main", "main"),
            (ev.PHASE, t0 + 50_000_000, "parallel"),
            (ev.PLAN, t0 + 50_000_000, {"tasks": 4 * self.spans, "workers": self.workers}),
            (ev.LOG, t0 + 60_000_000, MAIN_PID, "INFO", "starting the pool"),
        ]
        for i, pid in enumerate(self.pids):
            t_hello = t0 + lead_ns - 20_000_000 + i * 500_000
            out.append((ev.HELLO, t_hello, pid, self.core_of[pid], "worker", ""))
        for pid, durations in zip(self.pids, lengths, strict=True):
            t = now_ns - sum(durations) - gap * len(durations)
            for d in durations:
                out.append(self._start(pid, t))
                task = self.open_task.pop(pid)[0]
                self._move(pid)
                out.append((ev.END, t + d, pid, task, self.core_of[pid]))
                t += d + gap
            out.append(self._start(pid, t))
        self.next_sample = t0
        out += self._samples(now_ns)
        out.sort(key=lambda e: e[1])
        return t0, out

    def _samples(self, now_ns: int) -> list[tuple]:
        """Telemetry and a metric every 100 ms up to `now_ns`."""
        out: list[tuple] = []
        while self.next_sample <= now_ns:
            t = self.next_sample
            loads = tuple(round(self.rng.uniform(85.0, 100.0), 1) for _ in range(self.cores))
            out.append((ev.CPU, t, loads))
            out += [(ev.WHERE, t, pid, self.core_of[pid]) for pid in self.pids]
            out.append((ev.METRIC, t, MAIN_PID, "queue_depth", float(self.rng.randrange(64))))
            if self.rng.random() < 0.02:
                out.append((ev.LOG, t, self.rng.choice(self.pids), "INFO", "a worker said hi"))
            self.next_sample += SAMPLE_NS
        return out

    def advance(self, now_ns: int) -> list[tuple]:
        """Events from the last call up to `now_ns`: tasks ending and starting, telemetry."""
        out: list[tuple] = []
        for pid in self.pids:
            task, _start, end = self.open_task[pid]
            while end <= now_ns:
                self._move(pid)
                out.append((ev.END, end, pid, task, self.core_of[pid]))
                out.append(self._start(pid, end + int(GAP_MS * 1e6)))
                task, _start, end = self.open_task[pid]
        return out + self._samples(now_ns)


#: The points measured by default: (workers, cores, spans). The second is the issue's.
POINTS = ((16, 16, 10_000), (64, 64, 25_000), (256, 128, 25_000))
#: The point whose figures are the headline (the issue's: "64 workers / 64 cores / 25,000").
HEADLINE = (64, 64, 25_000)


def parse_point(text: str) -> tuple[int, int, int]:
    """``64x64x25000`` → (workers, cores, spans)."""
    try:
        workers, cores, spans = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WORKERSxCORESxSPANS: {text!r}") from None
    return workers, cores, spans


def suffixed(path: str | None, point: tuple[int, int, int]) -> str | None:
    """`path` with the point in its name (``shot.png`` → ``shot-64x64x25000.png``)."""
    if path is None:
        return None
    stem, dot, ext = path.rpartition(".")
    tag = "x".join(str(n) for n in point)
    return f"{stem}-{tag}.{ext}" if dot else f"{path}-{tag}"


def measure(
    app: Any,
    point: tuple[int, int, int],
    frames: int,
    other_frames: int,
    png: str | None,
    profile: str | None,
) -> dict[str, Any]:
    """Build a window and a state for `point`, time its frames, return the figures."""
    import shiboken6
    from PySide6.QtCore import QEvent, QObject

    from mpgui.bridge import RunController
    from mpgui.core.model.run_state import RunState
    from mpgui.scenarios import make_spec
    from mpgui.ui.main_window import MainWindow

    workers, cores, spans = point
    spec = make_spec("pool-map", {"workers": workers, "tasks": 4 * spans}, "fork")
    window = MainWindow("pool-map", "fork", remember=False)  # not the user's look
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    if window.chart is None:  # panels built lazily: make sure pool-map's chart exists
        window.select_scenario("pool-map")
    panels = [window.workers_panel, window.cores_panel, window.timeline_panel, window.chart]

    feed = Feed(workers, cores, spans)
    t0, history = feed.history(ev.now_ns())
    state = RunState(spec, t0_ns=t0)
    state.apply(history)
    # The window draws its controller's state; a controller that is never started has one.
    controller = RunController(spec, parent=window)
    controller.state = state
    window._controller = controller
    app.processEvents()

    class PaintCounter(QObject):
        """Counts paint events of the panels' viewports (QGraphicsView paints there)."""

        def __init__(self) -> None:
            super().__init__()
            self.seen: set[int] = set()

        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                self.seen.add(id(obj))
            return False

    counter = PaintCounter()
    viewports = [p.viewport() for p in panels]
    for vp in viewports:
        vp.installEventFilter(counter)

    def frame(new_events: bool, full: bool) -> tuple[float, float, float, int]:
        """One tick: (frame ms, redraw part ms, frame CPU ms, panels painted)."""
        if new_events:
            state.apply(feed.advance(ev.now_ns()))
        app.processEvents()  # anything left over from before is not this frame's
        counter.seen.clear()
        c0, w0 = time.thread_time(), time.perf_counter()
        window._redraw()
        w1 = time.perf_counter()
        if full:
            for p in panels:
                p.scene().update()  # the whole scene, processed with the tick's own changes
        app.processEvents()
        w2, c2 = time.perf_counter(), time.thread_time()
        return 1000 * (w2 - w0), 1000 * (w1 - w0), 1000 * (c2 - c0), len(counter.seen)

    def series(n: int, new_events: bool, full: bool, profiler: Any = None) -> dict[str, Any]:
        """`n` timed frames (after a warm-up) at 30 Hz, summed up."""
        walls, redraws, cpus, painted = [], [], [], []
        next_tick = time.perf_counter()
        for i in range(WARMUP + n):
            # Keep the 30 Hz rhythm, so each frame brings 33 ms of events, as in a run.
            next_tick += TICK_MS / 1000
            pause = next_tick - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            else:
                next_tick = time.perf_counter()
            if profiler is not None and i == WARMUP:
                profiler.enable()
            wall, redraw, cpu, seen = frame(new_events, full)
            if i >= WARMUP:
                walls.append(wall)
                redraws.append(redraw)
                cpus.append(cpu)
                painted.append(seen)
        if profiler is not None:
            profiler.disable()
        return {
            "p50_ms": round(percentile(walls, 50), 2),
            "p95_ms": round(percentile(walls, 95), 2),
            "max_ms": round(max(walls), 2),
            "redraw_p50_ms": round(percentile(redraws, 50), 2),
            "cpu_p50_ms": round(statistics.median(cpus), 2),
            "cpu_p95_ms": round(percentile(cpus, 95), 2),
            "paints_min": min(painted),
            "frames": n,
        }

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    load_before = os.getloadavg()[0]
    spans_before = state.span_total
    full = series(frames, new_events=True, full=True, profiler=profiler)
    spans_after = state.span_total
    changed = series(other_frames, new_events=True, full=False)
    idle = series(other_frames, new_events=False, full=True)
    load_after = os.getloadavg()[0]
    if profiler is not None:
        profiler.dump_stats(profile)
    if png:
        window.grab().save(png)
    spans_kept = len(state.span_t0)

    for vp in viewports:
        vp.removeEventFilter(counter)
    window.close()
    app.processEvents()
    shiboken6.delete(window)  # the next point's window must not share the box with this one
    app.processEvents()
    return {
        "params": {"workers": workers, "cores": cores, "spans": spans},
        "p50_ms": full["p50_ms"],
        "p95_ms": full["p95_ms"],
        "max_ms": full["max_ms"],
        "spans_added": spans_after - spans_before,
        "spans_kept": spans_kept,
        "load_1m": [round(load_before, 2), round(load_after, 2)],
        "full": full,
        "changed": changed,
        "idle": idle,
        "meets_floor": full["p95_ms"] <= FLOOR_MS,
    }


def main() -> None:
    """Build a window and state per point, time the frames, print the figures."""
    parser = setup(__doc__.splitlines()[0] + " 64 workers / 64 cores / 25,000 spans …")
    parser.add_argument("--frames", type=int, default=300, help="timed frames (default 300)")
    parser.add_argument(
        "--point",
        type=parse_point,
        action="append",
        help="WORKERSxCORESxSPANS to measure (repeatable; default: "
        + ", ".join("x".join(map(str, p)) for p in POINTS)
        + ")",
    )
    parser.add_argument("--png", help="save a screenshot per point (the point in its name)")
    parser.add_argument("--profile", help="write a cProfile per point (the point in its name)")
    args = parser.parse_args()
    frames = 30 if args.quick else args.frames
    other_frames = 15 if args.quick else max(20, args.frames // 5)
    points = args.point or list(POINTS)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from mpgui.ui.app import make_app

    app = make_app()
    measured = [
        measure(
            app,
            point,
            frames,
            other_frames,
            suffixed(args.png, point),
            suffixed(args.profile, point),
        )
        for point in points
    ]
    headline = next(
        (m for m, p in zip(measured, points, strict=True) if p == HEADLINE), measured[0]
    )
    emit(
        "frame_time",
        {
            "machine": machine(),
            "qpa": os.environ.get("QT_QPA_PLATFORM"),
            "window": [1440, 900],
            "tick_ms": TICK_MS,
            "warmup": WARMUP,
            "measures": "window._redraw() + full repaint of the 4 panels (wall ms)",
            "headline": headline["params"],
            "p50_ms": headline["p50_ms"],
            "p95_ms": headline["p95_ms"],
            "max_ms": headline["max_ms"],
            "worst_p95_ms": max(m["p95_ms"] for m in measured),
            "points": measured,
            "floor_ms": FLOOR_MS,
            "meets_floor": headline["meets_floor"],
            "every_point_meets_floor": all(m["meets_floor"] for m in measured),
        },
    )


if __name__ == "__main__":
    main()
