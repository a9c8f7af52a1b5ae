"""Memory: the GUI's RSS after a pool-map run, and a spawn worker's RSS; prints one JSON object.

In a real window (offscreen) this process runs ``pool-map`` twice: with fork workers at the
defaults (then the GUI's resident set size is read), and with spawn workers, while the GUI
thread samples every worker's RSS each 20 ms through psutil (the largest sample counts).
A spawn worker is a fresh interpreter that imports only what unpickling its task needs, so
its size is what mpgui's worker-side code costs.

    uv run python benchmarks/memory.py [--quick]
"""

from __future__ import annotations

from _common import emit, machine, setup

GUI_FLOOR_MB = 200.0
WORKER_FLOOR_MB = 30.0
MB = 1024 * 1024


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    args = parser.parse_args()
    import psutil
    from PySide6.QtCore import QTimer

    from _window import close, open_window, run_to_end

    gui = psutil.Process()
    rss_start = gui.memory_info().rss / MB
    params = {"tasks": 10, "task_ms": 20.0} if args.quick else {}
    window = open_window("pool-map", params, "fork")
    rss_window = gui.memory_info().rss / MB
    result = run_to_end(window)
    rss_after = gui.memory_info().rss / MB

    # A spawn run, long enough that its workers are sampled after they have settled.
    window.set_param("start_method", "spawn")
    window.set_param("tasks", 8)
    window.set_param("task_ms", 100.0)
    window.set_param("baseline", False)
    worker_rss: dict[int, float] = {}

    def sample() -> None:
        state = window.state
        for lane in state.workers() if state is not None else []:
            try:
                rss = psutil.Process(lane.pid).memory_info().rss / MB
            except psutil.Error:
                continue
            worker_rss[lane.pid] = max(worker_rss.get(lane.pid, 0.0), rss)

    timer = QTimer()
    timer.timeout.connect(sample)
    timer.start(20)
    spawn_result = run_to_end(window)
    timer.stop()
    close(window)
    if not (result["ok"] and spawn_result["ok"] and worker_rss):
        raise SystemExit("a run failed or no worker was sampled")
    worst_worker = max(worker_rss.values())
    emit(
        "memory",
        {
            "machine": machine(),
            "gui_rss_mb_at_start": round(rss_start, 1),
            "gui_rss_mb_window_open": round(rss_window, 1),
            "gui_rss_mb_after_pool_map": round(rss_after, 1),
            "spawn_worker_rss_mb_max": round(worst_worker, 1),
            "spawn_workers_sampled": len(worker_rss),
            "floors_mb": {"gui": GUI_FLOOR_MB, "spawn_worker": WORKER_FLOOR_MB},
            "meets_floor": rss_after <= GUI_FLOOR_MB and worst_worker <= WORKER_FLOOR_MB,
        },
    )


if __name__ == "__main__":
    main()
