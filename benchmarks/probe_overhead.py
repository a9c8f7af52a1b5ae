"""Probe overhead: the same CPU-bound ``Pool.map`` with and without mpgui's probe, alternated.

Two pools of 2 fork workers run pool-map's own task function (``work``: a span around a
deterministic busy loop). In one pool the probe is installed as the Pool initializer, exactly
as ``RunContext.pool`` does, and every event crosses the run's real event channel (a pipe)
that a thread of this process drains (as the bridge would); in the other no probe is installed, so
``probe.current()`` is the do-nothing ``NullProbe``. Map calls alternate between the pools,
and each pair gives one ratio (with ÷ without): noise that lasts longer than a pair hits both.
The figure is the median ratio. Prints one JSON object.

Two task shapes: pool-map's defaults (40 tasks of 50 ms), and 1 ms tasks, where the probe's
per-task cost (two events, one core lookup) is 50 times more visible.

    uv run python benchmarks/probe_overhead.py [--pairs N] [--quick]
"""

from __future__ import annotations

import multiprocessing
import statistics
import threading
import time
from functools import partial

from _common import emit, machine, setup
from mpgui.core.child.cpu_work import steps_per_ms
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe
from mpgui.core.protocol.channel import EventChannel
from mpgui.scenarios.pool_map.model import work

FLOOR = 1.02
#: (name, tasks, task_ms): the default pool-map run, and short tasks.
SHAPES = (("pool_map_defaults", 40, 50.0), ("short_tasks", 1000, 1.0))


def _drain(reader, counts: list[int]) -> None:
    """Receive event batches until the None that ends the benchmark; count the events."""
    while (batch := reader.recv()) is not None:
        counts[0] += ev.count(batch)


def measure(pairs: int, scale: float) -> dict:
    """Alternate the two pools `pairs` times per shape; ratios and medians per shape."""
    ctx = multiprocessing.get_context("fork")
    channel, stop = EventChannel(ctx), ctx.Event()
    counts = [0]
    drain = threading.Thread(target=_drain, args=(channel.reader, counts), daemon=True)
    drain.start()
    per_ms = steps_per_ms()
    out = {}
    with (
        ctx.Pool(2, initializer=probe.install, initargs=(channel, stop)) as probed,
        ctx.Pool(2) as bare,
    ):
        for name, tasks, task_ms in SHAPES:
            tasks = max(4, int(tasks * scale))
            job = partial(work, iterations=max(1, round(task_ms * per_ms)))
            bare.map(job, range(tasks))  # warm both pools once
            probed.map(job, range(tasks))
            ratios, with_s, without_s = [], [], []
            for i in range(pairs):
                # Alternate which goes first, so neither always runs right after the other.
                order = (probed, bare) if i % 2 == 0 else (bare, probed)
                times = {}
                for pool in order:
                    t0 = time.perf_counter()
                    pool.map(job, range(tasks))
                    times[pool is probed] = time.perf_counter() - t0
                with_s.append(times[True])
                without_s.append(times[False])
                ratios.append(times[True] / times[False])
            out[name] = {
                "tasks": tasks,
                "task_ms": task_ms,
                "ratio_median": round(statistics.median(ratios), 4),
                "ratios": [round(r, 4) for r in ratios],
                "with_probe_s_median": round(statistics.median(with_s), 4),
                "without_probe_s_median": round(statistics.median(without_s), 4),
            }
    channel.send(None)
    drain.join(10)
    out["events_received"] = counts[0]
    return out


def main() -> None:
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    args = parser.parse_args()
    pairs, scale = (3, 0.25) if args.quick else (args.pairs, 1.0)
    figures = measure(pairs, scale)
    headline = figures["pool_map_defaults"]["ratio_median"]
    emit(
        "probe_overhead",
        {
            "machine": machine(),
            "pairs": pairs,
            **figures,
            "floor_ratio": FLOOR,
            "meets_floor": headline <= FLOOR,
        },
    )


if __name__ == "__main__":
    main()
