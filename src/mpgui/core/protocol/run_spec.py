"""What the host asks a conductor to run, and the start methods it may ask for.

A :class:`RunSpec` is made on the host (validated by :func:`mpgui.scenarios.make_spec`), crosses
to the conductor as its argument, and heads every result.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunSpec:
    """What to run: a scenario id, its parameters (validated) and the workers' start method.

    `model` is the module the conductor imports the scenario from (its ``SCENARIO``), as
    :func:`mpgui.scenarios.make_spec` found it; it is not part of a result.
    """

    scenario: str
    params: dict[str, Any] = field(default_factory=dict)
    start_method: str = ""
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        """The spec as the ``scenario``/``params``/``start_method`` fields of a result."""
        return {
            "scenario": self.scenario,
            "params": dict(self.params),
            "start_method": self.start_method,
        }


def available_start_methods() -> list[str]:
    """Start methods this platform offers, in the order fork, spawn, forkserver."""
    offered = multiprocessing.get_all_start_methods()
    return [m for m in ("fork", "spawn", "forkserver") if m in offered]


def default_start_method() -> str:
    """The running Python's default start method (fork on Linux before 3.14)."""
    return multiprocessing.get_context().get_start_method()
