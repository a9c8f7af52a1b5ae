"""Timing a scenario's work fairly on a shared, noisy machine.

Two rules, for every scenario that compares ways of doing the same work:

- The clock times only the work. A pool is *warm* — every worker started and initialised —
  before its first timed call (:class:`WarmPool`, from ``RunContext.warm_pool`` and
  ``warm_thread_pool``); its start-up is a figure of its own (:attr:`WarmPool.start_ms`).
- Ways are measured in alternation, several rounds, and the median of each is the figure
  (:func:`alternate`, :func:`medians`): a slow second — another program's burst on this
  machine — then costs one sample of one way, not the whole comparison.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Rounds of alternation: the median of three rides out one bad sample.
ROUNDS = 3


@dataclass
class WarmPool:
    """A pool whose workers have all started and run their initializer, and how long that took.

    `pool` is a ``multiprocessing.pool.Pool`` or ``ThreadPool``; `start_ms` is from the call
    that created it to the moment its last worker was ready (ms).
    """

    pool: Any
    start_ms: float


def alternate(
    measures: dict[str, Callable[[], object]],
    rounds: int = ROUNDS,
    should_stop: Callable[[], bool] | None = None,
    before: Callable[[str, int], None] | None = None,
    after: Callable[[str, int, float | None], None] | None = None,
) -> dict[str, list[float]]:
    """Time each of `measures` in turn, `rounds` times over: a, b, a, b, a, b.

    Returns the seconds of each call by name, in order. Around each call, untimed:
    `before(name, round)` (a scenario marks its phase there) and `after(name, round,
    seconds)`, with the very figure just measured (a scenario sends it to its live series
    there, so the chart and the medians are one number). Once `should_stop()` is true no
    further call starts, and a call Stop came during is no sample (`after` gets None); the
    lists then hold fewer samples (a name may have none).
    """
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for round_ in range(rounds):
        for name, measure in measures.items():
            if should_stop is not None and should_stop():
                return samples
            if before is not None:
                before(name, round_)
            t0 = time.perf_counter()
            measure()
            seconds: float | None = time.perf_counter() - t0
            if should_stop is not None and should_stop():
                seconds = None  # cut short: not what the work takes
            else:
                samples[name].append(seconds)
            if after is not None:
                after(name, round_, seconds)
    return samples


def medians(samples: dict[str, list[float]]) -> dict[str, float]:
    """The median of each name's samples (names without a sample are left out)."""
    return {name: statistics.median(values) for name, values in samples.items() if values}
