"""What every benchmark script shares: the ``--quick`` flag, bytecode, percentiles, the output.

Each script in ``benchmarks/`` prints exactly one JSON object whose ``"benchmark"`` is the
script's name; ``benchmarks/run.py`` runs them all. Files starting with ``_`` are helpers, not
benchmarks.

Bytecode: an installed Python app imports from cached ``.pyc`` files after its first start.
Some environments (this project's CI sandbox among them) set ``PYTHONDONTWRITEBYTECODE``, so
every import — in the GUI and in every spawn child — would compile from source each time and
every start-up figure would measure the compiler. :func:`setup` lets this process and its
children write and use ``.pyc`` files again, as on a user's machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from typing import Any


def setup(description: str) -> argparse.ArgumentParser:
    """An argument parser with ``--quick``, after making imports use cached bytecode.

    Add the script's own options, then call ``parse_args()``.
    """
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (for tests and run.py)")
    return parser


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (0–100) of `values`, by linear interpolation."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def machine() -> dict[str, Any]:
    """Where and when the figures were taken: date, CPU model, cores, Python, platform."""
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def emit(name: str, figures: dict[str, Any]) -> None:
    """Print the benchmark's one JSON object: ``{"benchmark": name, **figures}``."""
    print(json.dumps({"benchmark": name, **figures}), flush=True)
