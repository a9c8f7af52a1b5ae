"""What a scenario declares: its id, parameters, metrics, place in the list, and ``run``.

Each ``mpgui/scenarios/<name>/model.py`` defines one :class:`Scenario` named ``SCENARIO``;
:mod:`mpgui.scenarios` finds them. Qt-free, light: every spawn worker of a scenario imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mpgui.core.params import ParamSpec

if TYPE_CHECKING:
    from mpgui.core.child.run_context import RunContext


@dataclass(frozen=True)
class Scenario:
    """A runnable demonstration.

    `id` is kebab-case (``pool-map``), and its folder is the id with ``_`` for ``-``; `run`
    is called in the conductor process with a :class:`RunContext` and the validated
    parameters and returns the metrics dict; `metrics` lists the metric names `run` returns.
    `short` is the name in the window's scenario list (the title if empty), `order` its place
    there (lowest first); an unlisted scenario (`listed` False: an instrument for benchmarks
    and tests) still runs by id. `uses_start_method` is False for a scenario that picks its
    own start methods, so the form does not offer one. `small_params` are parameters that
    make a run of a second or so, for the every-scenario tests; `small_variants` changes to
    them for paths that run does not take (a task that fails), so that between them the small
    runs emit every name the scenario's chart reads. `focus` marks the lines of
    :meth:`source` that teach the lesson (see :func:`focus_lines`): the Code tab bands them
    and opens scrolled to the first. `refuse` checks the parameters together, where a field
    alone cannot (rate-limit: a phase hours long): the reason they are refused, in one
    sentence, or None — the form and the CLI refuse them before anything starts.
    """

    id: str
    title: str
    summary: str
    params: tuple[ParamSpec, ...]
    run: Callable[[RunContext, dict[str, Any]], dict[str, Any]]
    metrics: tuple[str, ...]
    order: int
    small_params: dict[str, Any]
    small_variants: tuple[dict[str, Any], ...] = ()
    listed: bool = True
    uses_start_method: bool = True
    short: str = ""
    focus: tuple[str, ...] = ()
    refuse: Callable[[dict[str, Any]], str | None] | None = None

    @property
    def package(self) -> str:
        """The scenario's folder as a package name (``mpgui.scenarios.pool_map``)."""
        return self.run.__module__.rpartition(".")[0]

    def notice(self) -> str:
        """The "what to notice" text: ``notice.md`` beside the scenario's model."""
        from importlib import resources  # noqa: PLC0415 - the window's need, not a worker's

        return resources.files(self.package).joinpath("notice.md").read_text(encoding="utf-8")

    def source(self) -> str:
        """The real source of the scenario's module: what the code panel shows."""
        import inspect
        import sys

        return inspect.getsource(sys.modules[self.run.__module__])

    def focus_lines(self) -> list[int]:
        """The lines of :meth:`source` that `focus` marks (0-based, in order)."""
        return focus_lines(self.source(), self.focus)


def focus_lines(source: str, snippets: tuple[str, ...]) -> list[int]:
    """The lines (0-based, in order) of `source` that begin, indentation aside, with one of
    `snippets`.

    A snippet is the start of a statement (``counter.value += 1``, ``with lock:``), so it
    marks the code that does it and not a docstring or comment that mentions it.
    """
    return [
        n
        for n, line in enumerate(source.splitlines())
        if any(line.lstrip().startswith(snippet) for snippet in snippets)
    ]
