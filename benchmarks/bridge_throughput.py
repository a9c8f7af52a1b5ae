"""Bridge throughput and display lag: 4 producer processes flood a real window; prints one
JSON object.

The whole road is the real one: a ``MainWindow`` shown (offscreen unless ``QT_QPA_PLATFORM``
says otherwise) selects the unlisted ``event-flood`` scenario and presses Run; its
``RunController`` starts the conductor, which starts a Pool of 4 producers whose probes report
empty tasks (a START and an END each) and a METRIC every 1000 tasks onto the run's queue; the
drain thread reads them and hands them to the GUI thread, which folds them into the window's
``RunState`` while the window's own redraw timer draws every panel.

- **Throughput**: flood events folded into the window's ``RunState`` (a task's START and END
  count once its END has arrived, on its own or in a packed span; a START sent ahead only
  says the task is running), divided by the time from the first flood event's own timestamp
  (taken in a producer) to the moment the batch holding the last one had been folded in the
  GUI thread. Start-up of the processes is outside that window; everything from the first
  report to the last one reaching the model is inside. Every event the producers say they
  sent must arrive (``all_arrived``).
- **Display lag**: for each END folded in, the time from its own timestamp (a producer's
  ``perf_counter_ns``: one system-wide clock, so it compares with this process's) to the end
  of the first frame after it arrived — the window's ``_redraw``, then the paint it causes
  (the timeline's viewport paint, stamped when the event loop gets back after it). One event
  in :data:`SAMPLE_EVERY` is sampled, by position, so sampling costs the GUI thread next to
  nothing; p50, p95 and max are over that sample.
- **Deliveries**: batches handed to the GUI thread per second (``eventsReady``), at most ~30
  however many arrive: the ceiling :data:`CEILING_DELIVERIES_PER_S`.
- Also per run, to tell where lag comes from: ``arrival_ms`` (the same ENDs, from their
  timestamp to their fold: the bridge's part), the median gap between frames (the window's
  pace) and the GUI thread's CPU per frame.

The issue's floors: ≥ 1,000,000 events/s, and display lag p95 ≤ 100 ms.

    uv run python benchmarks/bridge_throughput.py [--runs N] [--events N] [--quick]
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from _common import emit, machine, percentile, setup

FLOOR_EVENTS_PER_S = 1_000_000
FLOOR_LAG_P95_MS = 100.0
#: The bridge hands the GUI thread at most ~30 batches a second (one per 33 ms), however many
#: arrive: a ceiling, measured where they are folded in.
CEILING_DELIVERIES_PER_S = 31.0
PRODUCERS = 4
#: One event in this many, by position, is sampled for the lag (tens of thousands of samples
#: a run). Odd, so it never locks onto the START, END, START, END rhythm of a batch of tuples.
SAMPLE_EVERY = 63


class _Probe:
    """What one run shows: flood events counted as they are folded in, frames as drawn."""

    def __init__(self, ev: Any, timer: Any) -> None:
        self.ev = ev
        self.timer = timer  # QTimer (Qt is imported only once main() runs)
        self.folded = 0  # flood events folded into the window's state
        self.first_ns: int | None = None  # the first flood event's own timestamp
        self.last_fold_ns = 0  # when the last batch with flood events had been folded
        self.pending: list[int] = []  # sampled END timestamps folded since the last frame
        self.arrivals: list[tuple[int, list[int]]] = []  # (when folded, sampled ENDs)
        self.frames: list[list[Any]] = []  # [ENDs it showed, after _redraw, after paint]

    def on_batch(self, batch: list[tuple]) -> None:
        """``eventsReady`` slot: the batch has just been folded into the window's state."""
        ev = self.ev
        n = 0
        first = None
        for e in batch:
            kind = e[0]
            if kind == ev.SPANS:
                n += 2 * ev.span_count(e)
            elif kind == ev.END:
                n += 2
                continue  # its START came earlier (on its own, or in an earlier batch)
            elif kind == ev.METRIC:
                n += 1
            elif kind != ev.START:
                continue
            if first is None or e[1] < first:  # a span's timestamp is its first start
                first = e[1]
        now = time.perf_counter_ns()
        if n:
            self.folded += n
            if self.first_ns is None:
                self.first_ns = first
            self.last_fold_ns = now
        ends = [t for e in batch if e[0] == ev.SPANS for t in ev.span_ends(e)[::SAMPLE_EVERY]]
        ends += [e[1] for e in batch[::SAMPLE_EVERY] if e[0] == ev.END]
        self.pending += ends
        self.arrivals.append((now, ends))

    def frame(self, redraw: Any) -> None:
        """Run the window's own redraw, and note which sampled ENDs it was the first to show."""
        shown, self.pending = self.pending, []
        redraw()
        self.frames.append([shown, time.perf_counter_ns(), None])

    def painting(self) -> None:
        """A paint has begun: stamp the newest frame, if not yet, once the paint is over."""
        if self.frames and self.frames[-1][2] is None:
            frame = self.frames[-1]
            # A zero timer fires once the event loop is back: after this paint is done.
            self.timer.singleShot(0, lambda: frame.__setitem__(2, time.perf_counter_ns()))


def one_run(app: Any, window: Any, events: int, timeout_s: float) -> dict[str, Any]:
    """One flood through `window`; throughput, lag percentiles and what the GUI spent."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    from mpgui.core.protocol import events as ev

    probe = _Probe(ev, QTimer)

    class PaintStamp(QObject):
        """Stamps the newest frame once the event loop is back from the paint after it."""

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                probe.painting()
            return False

    stamp = PaintStamp()
    viewport = window.timeline_panel.viewport()
    viewport.installEventFilter(stamp)
    real_redraw = window._redraw
    window._redraw = lambda: probe.frame(real_redraw)  # the timer's tick calls self._redraw()
    done: dict[str, Any] = {}
    loop = QEventLoop()

    def over(result: dict[str, Any]) -> None:
        done.update(result)
        loop.quit()

    window.runFinished.connect(over)
    window.runFailed.connect(over)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    window.set_param("producers", PRODUCERS)
    window.set_param("events", events)
    cpu0, gui0 = time.process_time(), time.thread_time()
    assert window.start_run(), window.param_errors()
    window._controller.eventsReady.connect(probe.on_batch)
    loop.exec()
    gui_cpu, process_cpu = time.thread_time() - gui0, time.process_time() - cpu0
    app.processEvents()  # the last frame's paint
    viewport.removeEventFilter(stamp)
    del window._redraw
    window.runFinished.disconnect(over)
    window.runFailed.disconnect(over)
    if not done.get("ok"):
        raise SystemExit(f"the flood did not finish: {done.get('error') or 'timeout'}")

    lags_ms: list[float] = []
    painted = 0
    for shown, after_redraw, after_paint in probe.frames:
        end = after_paint if after_paint is not None else after_redraw
        painted += after_paint is not None
        lags_ms += [(end - t) / 1e6 for t in shown]
    arrival_ms = [(when - t) / 1e6 for when, ends in probe.arrivals for t in ends]
    starts = [f[1] for f in probe.frames]
    gaps_ms = [(b - a) / 1e6 for a, b in zip(starts, starts[1:], strict=False)]
    sent = done["metrics"]["events"]
    seconds = (probe.last_fold_ns - probe.first_ns) / 1e9
    arrived = [when for when, _ in probe.arrivals]
    deliveries_s = (arrived[-1] - arrived[0]) / 1e9 if len(arrived) > 1 else 0.0
    return {
        "events_sent": sent,
        "events_folded": probe.folded,
        "all_arrived": probe.folded == sent,
        "seconds": round(seconds, 4),
        "events_per_s": round(probe.folded / seconds),
        "producers_events_per_s": round(done["metrics"]["events_per_s"]),
        "lag_ms_p50": round(percentile(lags_ms, 50), 2),
        "lag_ms_p95": round(percentile(lags_ms, 95), 2),
        "lag_ms_max": round(max(lags_ms), 2),
        "lag_samples": len(lags_ms),
        "arrival_ms_p50": round(percentile(arrival_ms, 50), 2),
        "arrival_ms_p95": round(percentile(arrival_ms, 95), 2),
        "deliveries_per_s": round((len(arrived) - 1) / deliveries_s, 1) if deliveries_s else None,
        "frames": len(probe.frames),
        "frames_painted": painted,
        "frame_gap_ms_median": round(statistics.median(gaps_ms), 1) if gaps_ms else None,
        "gui_thread_cpu_ms_per_frame": round(1000 * gui_cpu / max(len(probe.frames), 1), 1),
        "gui_thread_cpu_s": round(gui_cpu, 3),
        "gui_process_cpu_s": round(process_cpu, 3),
    }


def main() -> None:
    """Flood the window `--runs` times; print medians and every run."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=2_500_000, help="events per producer")
    args = parser.parse_args()
    runs, events = (1, 150_000) if args.quick else (args.runs, args.events)

    from mpgui.ui.app import make_app
    from mpgui.ui.main_window import MainWindow

    app = make_app()
    window = MainWindow(remember=False)  # not the user's look
    window.resize(1440, 900)
    window.show()
    window.select_scenario("event-flood")
    results = []
    try:
        for _ in range(runs):
            results.append(one_run(app, window, events, timeout_s=120))
    finally:
        window.close()
        app.processEvents()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in results)

    rate, p95 = median("events_per_s"), median("lag_ms_p95")
    emit(
        "bridge_throughput",
        {
            "machine": machine(),
            "producers": PRODUCERS,
            "events_per_producer": events,
            "runs": runs,
            "events_per_s": round(rate),
            "lag_ms_p50": median("lag_ms_p50"),
            "lag_ms_p95": p95,
            "lag_ms_max": median("lag_ms_max"),
            "arrival_ms_p95": median("arrival_ms_p95"),
            "frame_gap_ms_median": median("frame_gap_ms_median"),
            "deliveries_per_s": median("deliveries_per_s"),
            "ceiling_deliveries_per_s": CEILING_DELIVERIES_PER_S,
            "meets_ceiling_deliveries": median("deliveries_per_s") <= CEILING_DELIVERIES_PER_S,
            "floor_events_per_s": FLOOR_EVENTS_PER_S,
            "floor_lag_ms_p95": FLOOR_LAG_P95_MS,
            "meets_floor_events_per_s": rate >= FLOOR_EVENTS_PER_S,
            "meets_floor_lag": p95 <= FLOOR_LAG_P95_MS,
            "all_arrived": all(r["all_arrived"] for r in results),
            "per_run": results,
        },
    )


if __name__ == "__main__":
    main()
