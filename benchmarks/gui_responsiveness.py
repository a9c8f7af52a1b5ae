"""GUI responsiveness: how late a 10 ms main-thread timer fires while scenarios run.

In a real window (offscreen) this process runs every listed scenario at its defaults, one
after another, with a repeating 10 ms ``Qt.PreciseTimer`` on the GUI thread. Each timeout's
lateness is the time since the previous one minus 10 ms: whatever held the GUI thread —
folding event batches, redrawing, painting — shows up as lateness, which is also how late a
click or a key press would be handled. The figure is the worst scenario's p99. Prints one
JSON object.

    uv run python benchmarks/gui_responsiveness.py [--quick]

``--quick`` runs two scenarios with small parameters.
"""

from __future__ import annotations

from _common import emit, machine, percentile, setup

FLOOR_MS = 30.0
TICK_MS = 10
#: Small runs for --quick: (scenario, params).
QUICK = (
    ("pool-map", {"tasks": 20, "task_ms": 20.0}),
    ("counter-race", {"increments": 20_000}),
)


def measure(scenario: str, params: dict) -> dict:
    """Run `scenario` in a fresh window with the 10 ms timer ticking; lateness figures."""
    from PySide6.QtCore import Qt, QTimer

    from _window import close, open_window, run_to_end
    from mpgui.core.protocol import events as ev

    window = open_window(scenario, params, "fork")
    late_ms: list[float] = []
    last = [0]

    def tick() -> None:
        now = ev.now_ns()
        if last[0]:
            late_ms.append(max(0.0, (now - last[0]) / 1e6 - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    window.runStarted.connect(lambda _spec: timer.start())
    result = run_to_end(window)
    timer.stop()
    close(window)
    if not result["ok"]:
        raise SystemExit(f"{scenario} failed: {result['error']}")
    return {
        "ticks": len(late_ms),
        "late_ms_p50": round(percentile(late_ms, 50), 2),
        "late_ms_p99": round(percentile(late_ms, 99), 2),
        "late_ms_max": round(max(late_ms, default=0.0), 2),
        "run_s": round(result["wall_s"], 2),
    }


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    args = parser.parse_args()
    if args.quick:
        runs = QUICK
    else:
        from mpgui.scenarios import listed

        runs = tuple((s.id, {}) for s in listed() if s.id != "worker-failures")
    per = {scenario: measure(scenario, params) for scenario, params in runs}
    worst = max(per, key=lambda s: per[s]["late_ms_p99"])
    emit(
        "gui_responsiveness",
        {
            "machine": machine(),
            "tick_ms": TICK_MS,
            "scenarios": per,
            "worst_scenario": worst,
            "worst_p99_ms": per[worst]["late_ms_p99"],
            "floor_ms": FLOOR_MS,
            "meets_floor": per[worst]["late_ms_p99"] <= FLOOR_MS,
        },
    )


if __name__ == "__main__":
    main()
