"""CPU-bound work for scenarios that compute: one deterministic loop, and how fast this
machine runs it, so a task of "50 ms" means 50 ms here."""

from __future__ import annotations

import statistics
import time


def burn(steps: int) -> int:
    """Deterministic CPU work: `steps` steps of a linear congruential generator.

    Pure Python integer arithmetic holds the GIL the whole time, so only separate processes
    can run two of these at once.
    """
    x = 1
    for _ in range(steps):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def steps_per_ms(steps: int = 25_000) -> float:
    """How many :func:`burn` steps this machine does per millisecond.

    The median of five samples of `steps` (~3 ms): the median rides out a scheduler hiccup,
    and is what this machine typically does (not its best), so a task's milliseconds mean
    what they say. Short samples because a run's workers start only after this: the
    calibration is part of the wait between Run and the first worker on screen.
    """
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        burn(steps)
        samples.append(time.perf_counter() - t0)
    return steps / (statistics.median(samples) * 1000.0)
