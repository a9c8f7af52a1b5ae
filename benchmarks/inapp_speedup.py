"""Pool-map speedup headless vs in the window (offscreen), alternated; prints one JSON object.

The window's own CPU use competes with the workers on a small machine, so the speedup it
shows can be lower than the machine's. This measures both, interleaved so that background
noise hits both alike, and reports the GUI process's CPU seconds per run.

    uv run python benchmarks/inapp_speedup.py [--rounds N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QEventLoop

    from mpgui.core import runner
    from mpgui.ui.app import make_app
    from mpgui.ui.main_window import MainWindow

    params = {"workers": 2, "tasks": 40, "task_ms": 50.0}
    spec = runner.make_spec("pool-map", params, "fork")
    app = make_app()
    headless, in_app, gui_cpu = [], [], []
    for _ in range(rounds):
        headless.append(runner.run(spec)["metrics"]["speedup"])
        window = MainWindow("pool-map", "fork")
        for name, value in params.items():
            window.set_param(name, value)
        window.resize(1440, 900)
        window.show()
        done: dict = {}
        loop = QEventLoop()
        window.runFinished.connect(lambda r, d=done, lp=loop: (d.update(r), lp.quit()))
        window.runFailed.connect(lambda r, d=done, lp=loop: (d.update(r), lp.quit()))
        cpu0 = time.process_time()
        window.start_run()
        loop.exec()
        gui_cpu.append(time.process_time() - cpu0)
        in_app.append(done["metrics"].get("speedup") or 0.0)
        window.close()
        window.deleteLater()
        app.processEvents()
    print(
        json.dumps(
            {
                "benchmark": "inapp_speedup",
                "params": params,
                "rounds": rounds,
                "headless_speedup_median": statistics.median(headless),
                "in_app_speedup_median": statistics.median(in_app),
                "ratio_in_app_to_headless": statistics.median(in_app) / statistics.median(headless),
                "gui_cpu_s_per_run_median": statistics.median(gui_cpu),
                "headless": headless,
                "in_app": in_app,
            }
        )
    )


if __name__ == "__main__":
    main()
