"""What a scenario is, and what the conductor hands it when it runs.

A scenario module under :mod:`mpgui.core.scenarios` defines module-level worker functions (so
they pickle under spawn), a ``run(ctx, params) -> metrics`` function, and one
:class:`Scenario` object named ``SCENARIO`` that ties them together.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from . import probe as probe_mod
from .params import ParamSpec


@dataclass(frozen=True)
class Scenario:
    """A runnable demonstration.

    `id` is kebab-case (``pool-map``); `run` is called in the conductor process with a
    :class:`RunContext` and the validated parameters and returns the metrics dict; `chart`
    names the window's chart for it; `metrics` lists the metric names `run` returns.
    """

    id: str
    title: str
    summary: str
    params: tuple[ParamSpec, ...]
    run: Callable[[RunContext, dict[str, Any]], dict[str, Any]]
    metrics: tuple[str, ...]
    chart: str = "metrics"

    def notice(self) -> str:
        """The "what to notice" text, from ``mpgui/resources/notice/<id>.md``."""
        path = resources.files("mpgui.resources").joinpath("notice", f"{self.id}.md")
        return path.read_text(encoding="utf-8")

    def source(self) -> str:
        """The real source of the scenario's module: what the code panel shows."""
        import inspect
        import sys

        return inspect.getsource(sys.modules[self.run.__module__])


class RunContext:
    """What a scenario's ``run`` gets from the conductor.

    `mp` is the multiprocessing context for the start method the user chose; `probe` is the
    conductor's own probe (its lane is labelled "main"); `queue` and `stop_event` are the run's,
    for handing to worker processes.
    """

    def __init__(self, mp: Any, probe: probe_mod.Probe, queue: Any, stop_event: Any) -> None:
        self.mp = mp
        self.probe = probe
        self.queue = queue
        self.stop_event = stop_event

    @property
    def start_method(self) -> str:
        """The start method workers are created with."""
        return self.mp.get_start_method()

    def should_stop(self) -> bool:
        """True once the user pressed Stop."""
        return self.stop_event.is_set()

    @contextmanager
    def pool(self, processes: int) -> Iterator[multiprocessing.pool.Pool]:
        """A ``Pool`` whose workers report through a probe.

        On a normal exit the pool is closed and joined — not terminated, as ``with Pool()``
        would — so every worker exits normally and its probe flushes its last events.
        """
        pool = self.mp.Pool(
            processes, initializer=probe_mod.install, initargs=(self.queue, self.stop_event)
        )
        try:
            yield pool
        except BaseException:
            pool.terminate()
            pool.join()
            raise
        pool.close()
        pool.join()
