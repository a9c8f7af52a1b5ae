"""Run → first event: clicking Run until the first worker's event is in the window's model.

``pool-map`` with fork workers and no serial baseline (so the pool starts at once), in a real
window (offscreen). The clock starts as the Run button is clicked and stops in the GUI thread
when the batch holding the first worker's HELLO has been folded into the run's state — the
moment a redraw can show it. Also reported: the conductor's first event (its own HELLO),
and how long ``start_run`` itself held the GUI thread. Prints one JSON object.

    uv run python benchmarks/first_event.py [--runs N] [--quick]
"""

from __future__ import annotations

import statistics

from _common import emit, machine, percentile, setup

FLOOR_MS = 250.0
PARAMS = {"workers": 2, "tasks": 4, "task_ms": 20.0, "baseline": False}


def one_run(window) -> tuple[float, float, float]:
    """ms from the click to the conductor's first event, to a worker's, and click's own cost."""
    from PySide6.QtCore import QEventLoop

    from _window import run_to_end
    from mpgui.core.protocol import events as ev

    marks: dict[str, int] = {}

    def on_started(_spec) -> None:
        marks["started"] = ev.now_ns()
        controller = window._controller  # noqa: SLF001 - the run's own signal, for timing
        controller.eventsReady.connect(on_events)

    def on_events(events: list) -> None:
        now = ev.now_ns()
        for e in events:
            if e[0] == ev.HELLO:
                marks.setdefault("main" if e[4] == "main" else "worker", now)

    window.runStarted.connect(on_started)
    t0 = ev.now_ns()
    result = run_to_end(window)
    window.runStarted.disconnect(on_started)
    QEventLoop().processEvents()
    if not result["ok"] or "worker" not in marks:
        raise SystemExit(f"the run failed: {result.get('error')}")
    return tuple((marks[k] - t0) / 1e6 for k in ("main", "worker", "started"))


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    from _window import close, open_window

    window = open_window("pool-map", PARAMS, "fork")
    one_run(window)  # warm: the first run imports what later runs find loaded
    main_ms, worker_ms, click_ms = [], [], []
    for _ in range(runs):
        m, w, c = one_run(window)
        main_ms.append(m)
        worker_ms.append(w)
        click_ms.append(c)
    close(window)
    median = statistics.median(worker_ms)
    emit(
        "first_event",
        {
            "machine": machine(),
            "scenario": "pool-map",
            "params": PARAMS,
            "start_method": "fork",
            "runs": runs,
            "first_worker_event_ms_median": round(median, 1),
            "first_worker_event_ms_p90": round(percentile(worker_ms, 90), 1),
            "first_conductor_event_ms_median": round(statistics.median(main_ms), 1),
            "start_run_blocks_gui_ms_median": round(statistics.median(click_ms), 1),
            "first_worker_event_ms": [round(x, 1) for x in worker_ms],
            "floor_ms": FLOOR_MS,
            "meets_floor": median <= FLOOR_MS,
        },
    )


if __name__ == "__main__":
    main()
