"""Pool-map speedup in the window, and headless, alternated; prints one JSON object.

The issue's figure: ``pool-map --set workers=2`` at its defaults, run from the app with the
window open (offscreen) and drawing. The window's own CPU use competes with the two workers on
a 2-core machine, so the same run headless (``mpgui run``'s path) alternates with it: noise
that lasts longer than one pair of runs hits both. Also reported: the GUI process's CPU
seconds per run (its share of the machine while it watches).

    uv run python benchmarks/inapp_speedup.py [--rounds N] [--quick]
"""

from __future__ import annotations

import statistics
import time

from _common import emit, machine, setup

FLOOR = 1.85
PARAMS = {"workers": 2}


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    params = {**PARAMS, "tasks": 16} if args.quick else PARAMS

    from _window import close, open_window, run_to_end
    from mpgui import scenarios
    from mpgui.core.host import runner

    spec = scenarios.make_spec("pool-map", params, "fork")
    headless, in_app, gui_cpu = [], [], []
    window = open_window("pool-map", params, "fork")
    for _ in range(rounds):
        headless.append(runner.run(spec)["metrics"]["speedup"])
        cpu0 = time.process_time()
        result = run_to_end(window)
        gui_cpu.append(time.process_time() - cpu0)
        in_app.append(result["metrics"].get("speedup") or 0.0)
    close(window)
    median = statistics.median(in_app)
    emit(
        "inapp_speedup",
        {
            "machine": machine(),
            "params": params,
            "rounds": rounds,
            "in_app_speedup_median": round(median, 3),
            "headless_speedup_median": round(statistics.median(headless), 3),
            "ratio_in_app_to_headless": round(median / statistics.median(headless), 3),
            "gui_cpu_s_per_run_median": round(statistics.median(gui_cpu), 3),
            "in_app": [round(x, 3) for x in in_app],
            "headless": [round(x, 3) for x in headless],
            "floor": FLOOR,
            "meets_floor": median >= FLOOR,
        },
    )


if __name__ == "__main__":
    main()
