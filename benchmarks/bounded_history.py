"""Bounded history: the GUI's RSS over a 10-minute continuous run; prints one JSON object.

In a real window (offscreen), the unlisted ``event-flood`` scenario runs for 10 minutes:
2 pool workers report a steady 20,000 events per second — task spans, a live metric — through
the real probe, queue and bridge, and the window draws them at its usual pace. Every history
the window keeps (spans, CPU samples, metric series, log lines) is bounded, so after they have
filled up the resident set size should stop growing. Sampled once a second in the GUI thread.
Reported: growth from the run's start to its end (the floor), and over the second half (a leak
would keep growing there).

    uv run python benchmarks/bounded_history.py [--minutes M] [--quick]

``--quick`` runs for 6 seconds: enough to see that the script works (the suite runs it), not
to judge a slow leak: that takes the full run.
"""

from __future__ import annotations

from _common import emit, machine, setup

FLOOR_MB = 20.0
MB = 1024 * 1024


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20_000.0, help="events per second")
    args = parser.parse_args()
    seconds = 6.0 if args.quick else args.minutes * 60.0

    import psutil
    from PySide6.QtCore import QTimer

    from _window import close, open_window, run_to_end
    from mpgui.core.protocol import events as ev

    params = {"producers": 2, "duration_s": seconds, "rate": args.rate}
    window = open_window("event-flood", params, "fork")
    gui = psutil.Process()
    samples: list[tuple[float, float]] = []  # (s since the run started, RSS MB)
    t0 = [0]

    def sample() -> None:
        samples.append(((ev.now_ns() - t0[0]) / 1e9, gui.memory_info().rss / MB))

    timer = QTimer()
    timer.timeout.connect(sample)

    def started(_spec) -> None:
        t0[0] = ev.now_ns()
        sample()
        timer.start(1000)

    window.runStarted.connect(started)
    result = run_to_end(window, timeout_s=seconds + 120)
    timer.stop()
    sample()
    state = window.state
    spans_kept, spans_seen = len(state.span_t0), state.span_total
    close(window)
    if not result["ok"]:
        raise SystemExit(f"the run failed: {result['error']}")
    start_mb, end_mb = samples[0][1], samples[-1][1]
    half = next(mb for s, mb in samples if s >= seconds / 2)
    growth = end_mb - start_mb
    emit(
        "bounded_history",
        {
            "machine": machine(),
            "run_s": round(result["wall_s"], 1),
            "params": params,
            "events_sent": result["metrics"].get("events"),
            "spans_seen": spans_seen,
            "spans_kept": spans_kept,
            "gui_rss_mb_start": round(start_mb, 1),
            "gui_rss_mb_half": round(half, 1),
            "gui_rss_mb_end": round(end_mb, 1),
            "gui_rss_mb_max": round(max(mb for _, mb in samples), 1),
            "growth_mb": round(growth, 1),
            "growth_mb_second_half": round(end_mb - half, 1),
            "floor_mb": FLOOR_MB,
            "meets_floor": growth <= FLOOR_MB,
        },
    )


if __name__ == "__main__":
    main()
