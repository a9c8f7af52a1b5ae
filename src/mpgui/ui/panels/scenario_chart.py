"""The base of scenario charts, the fallback chart, and :func:`make_chart`, which finds a
scenario's own chart (``mpgui/scenarios/<name>/chart.py``, its ``CHART``).

Every chart is a ``GraphicsLayoutWidget`` named ``scenarioPlot``; the window calls its
``reset()``, ``redraw(state, now_ns)``, ``run_finished(result)`` and ``readout(metrics)``. A
chart says what it reads of a run (:class:`Reads`, from its model's names); the base redraws it
only when one of those changed. A chart may remember earlier runs of the session (pool-map
plots every run's speedup against the ideal line).
"""

from __future__ import annotations

import importlib
import statistics
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyqtgraph as pg

from mpgui.core.model.run_state import RunState
from mpgui.ui import theme
from mpgui.ui.panels.base import FitsItsView, ShowsFocus, style_plot

if TYPE_CHECKING:
    from mpgui.core.scenario import Scenario


def series_xy(state: RunState, name: str, t0_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Live metric series `name` as (seconds since `t0_ns`, values), sorted by time.

    Workers' batches arrive in any order, so samples are sorted before a line joins them.
    """
    series = state.series.get(name)
    if not series:
        return np.empty(0), np.empty(0)
    data = np.array(series, dtype=float)
    data = data[np.argsort(data[:, 0], kind="stable")]
    return (data[:, 0] - t0_ns) / 1e9, data[:, 1]


def phase_start(state: RunState, name: str) -> int | None:
    """When phase `name` began (ns), or None if it has not."""
    for t, phase in state.phases:
        if phase == name:
            return t
    return None


def phase_window(state: RunState, name: str, now_ns: int) -> tuple[int, int] | None:
    """The latest round of phase `name` as (start, end ns): its end the next phase's start,
    or the run's end, or `now_ns` while it still runs; None if it has not begun.

    A scenario that measures its ways in rounds (``timed.alternate``) enters a phase several
    times; a chart drawing "the way as it went" draws its latest round.
    """
    found = None
    end_of_run = state.t_end_ns or now_ns
    for i, (t, phase) in enumerate(state.phases):
        if phase == name:
            found = (t, state.phases[i + 1][0] if i + 1 < len(state.phases) else end_of_run)
    return found


def task_spans(
    state: RunState, span: tuple[int, int], now_ns: int, lanes: Iterable[int] | None = None
) -> list[tuple[int, int, int]]:
    """The tasks begun in `span` (start, end ns) as (lane index, start, end ns): the ones
    done, and while the run is on each one still running, drawn up to `now_ns`. Only
    `lanes`' (lane indexes) if given, else every lane's."""
    t0, t1 = span
    index = np.frombuffer(state.span_lane, dtype=np.int64)
    starts = np.frombuffer(state.span_t0, dtype=np.int64)
    ends = np.frombuffer(state.span_t1, dtype=np.int64)
    inside = (starts >= t0) & (starts < t1)
    wanted = None if lanes is None else set(lanes)
    if wanted is not None:
        inside &= np.isin(index, list(wanted))
    out = [
        (int(i), int(s), int(e))
        for i, s, e in zip(index[inside], starts[inside], ends[inside], strict=True)
    ]
    if not state.finished:
        for lane in state.lanes:
            if wanted is not None and lane.index not in wanted:
                continue
            if lane.open_task is not None and t0 <= lane.open_since < t1:
                out.append((lane.index, lane.open_since, now_ns))
    return out


def latest(state: RunState, name: str) -> float | None:
    """The newest sample of series `name` (None before its first): the figure of a series
    one process reports in order, e.g. a way's wall time sent once it is measured."""
    series = state.series.get(name)
    return series[-1][1] if series else None


def newest(state: RunState, name: str) -> float | None:
    """The sample of series `name` latest in time (None before its first): the figure of a
    series several processes report. The conductor and the workers send on two pipes, so
    the last sample to arrive need not be the last one taken (file-processing's per-file
    series: the conductor counts each file serially, then a worker in parallel)."""
    series = state.series.get(name)
    if not series:
        return None
    return max(series, key=lambda sample: sample[0])[1]


def fmt_value(value: Any) -> str:
    """A metric value as short text: 4 significant digits for floats."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def series_median(state: RunState, name: str) -> float | None:
    """The median of live series `name`'s values so far, None before its first sample.

    A scenario that measures each way several times (``timed.alternate``) reports every
    sample; while the run is on, the median so far is the figure a chart shows.
    """
    series = state.series.get(name)
    return statistics.median(value for _, value in series) if series else None


def duration_text(seconds: float) -> str:
    """A duration as a reader takes it: seconds from 1 s, else ms, else µs below 0.1 ms."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    ms = seconds * 1000.0
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms"
    if ms >= 0.1:
        return f"{ms:.2f} ms"
    return f"{ms * 1000:.1f} µs"


def speedup_text(speedup: float) -> str:
    """A speedup over serial as a reader should take it: below 0.95× a slowdown, up to
    1.15× no faster, and each says so."""
    if speedup < 0.95:
        return f"{speedup:.2f}× — slower than serial"
    if speedup < 1.15:
        return f"{speedup:.2f}× — no faster"
    return f"{speedup:.2f}×"


# -- Readout text -------------------------------------------------------------------------
# Charts write their readouts (the window's line above the panels, a chart's own big label)
# with these instead of inline HTML, so every chart's figures look alike. Each takes and
# returns HTML: pass our own words and numbers, and html.escape anything else first.

#: Text sizes of a chart's own readout label: its headline figure, a second figure, the
#: captions and verdicts beside them, and small print (a key to the lines, a footnote).
HEADLINE_PT, FIGURE_PT, CAPTION_PT, NOTE_PT = 30, 22, 13, 10
#: Padding of a table cell (:func:`table`).
CELL_PADDING = "1px 6px"


def styled(
    text: str,
    *,
    size: float | None = None,
    bold: bool = False,
    color: str = "",
    nowrap: bool = False,
) -> str:
    """`text` in a span of its own size (pt at 100 % zoom), weight and colour (each optional);
    with `nowrap`, never broken across lines (a figure: "381,8" over "45" misreads)."""
    style = ["white-space:nowrap"] if nowrap else []
    if size is not None:
        style.append(f"font-size:{theme.pt(size):g}pt")
    if bold:
        style.append("font-weight:bold")
    if color:
        style.append(f"color:{color}")
    return f"<span style='{'; '.join(style)}'>{text}</span>"


def bold(text: str, color: str = "") -> str:
    """`text` in bold (and `color`): a figure in a line of text, like the window's readout."""
    return f"<b style='color:{color}'>{text}</b>" if color else f"<b>{text}</b>"


def headline(text: str, color: str) -> str:
    """The one figure the chart is about, as big as the panel allows (lost updates, say)."""
    return styled(text, size=HEADLINE_PT, bold=True, color=color, nowrap=True)


def figure(text: str, color: str) -> str:
    """A figure beside the headline: big, bold, a size smaller."""
    return styled(text, size=FIGURE_PT, bold=True, color=color, nowrap=True)


def caption(text: str, color: str = "") -> str:
    """What a figure is (muted), or a verdict beside it (in the figure's colour)."""
    return styled(text, size=CAPTION_PT, color=color or theme.MUTED)


def note(text: str) -> str:
    """Small muted print: a key to the lines, a footnote."""
    return styled(text, size=NOTE_PT, color=theme.MUTED)


def lines(*parts: str) -> str:
    """`parts` one under another."""
    return "<br>".join(parts)


def paragraphs(*parts: str) -> str:
    """`parts` one under another with a blank line between."""
    return "<br><br>".join(parts)


def table(head: list[tuple[str, str]], rows: list[tuple[str, ...]]) -> str:
    """A table: column headings as (text, colour) over an empty corner, then each row a muted
    label and its cells."""
    ths = "".join(f"<th style='color:{c}; padding:{CELL_PADDING}'>{t}</th>" for t, c in head)
    trs = "".join(
        f"<tr><td style='color:{theme.MUTED}'>{label}</td>"
        + "".join(f"<td style='padding:{CELL_PADDING}'>{cell}</td>" for cell in cells)
        + "</tr>"
        for label, *cells in rows
    )
    return f"<table><tr><th></th>{ths}</tr>{trs}</table>"


@dataclass(frozen=True)
class Reads:
    """What a chart reads of a run, named with its model's constants.

    `series` are live metric series by name; `series_prefixes` families of them by how their
    names begin (one per worker, say); `phases` and `metrics` (the result's figures, the
    readout's too) by name. `tasks`: the chart reads the plan, the tasks' spans or the lanes,
    which any batch of events may move. `logs`: the chart reads the run's log lines
    (``state.logs``: what its processes printed, a scenario's own output). `clock_s`: while
    the run is on, the chart shows time passing and is redrawn this often (s) even if nothing
    it reads changed.

    The base chart redraws only when one of these changed, and the every-scenario test checks
    that a real run emits every name listed (each prefix at least once).
    """

    series: tuple[str, ...] = ()
    series_prefixes: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    tasks: bool = False
    logs: bool = False
    clock_s: float = 0.0

    def key(self, state: RunState, now_ns: int) -> Hashable:
        """What changes whenever something listed here does: a frame with the same key as the
        last one drawn would draw the same picture.

        `state` itself is part of it (a new run), and so is its status (a run that ended).
        """
        key: list[Any] = [state, state.status]
        if self.tasks:
            key.append(state.revision)  # spans and lanes move with any batch: no finer key
        if self.logs:
            key.append(state.log_count)
        if self.clock_s and not state.finished:
            key.append(now_ns // int(self.clock_s * 1e9))
        for name in self.series:
            key.append(_series_key(state.series.get(name)))
        for prefix in self.series_prefixes:
            key.extend(
                (name, _series_key(series))
                for name, series in state.series.items()
                if name.startswith(prefix)
            )
        if self.phases:
            key.append(len(state.phases))
        if self.metrics:
            key.append(len(state.metrics))  # the result's metrics arrive once, all together
        return tuple(key)


def _series_key(series: Any) -> Hashable:
    """A series' length and newest sample: it changes with every sample added, even once the
    bounded series is full and its length stays put."""
    return (len(series), series[-1]) if series else None


class ScenarioChart(ShowsFocus, FitsItsView, pg.GraphicsLayoutWidget):
    """Base of scenario charts: a graphics layout that draws a run's state.

    The window calls :meth:`reset`, :meth:`redraw` on every frame, :meth:`run_finished` and
    :meth:`readout`. A subclass declares what it reads in :attr:`READS` and draws in
    :meth:`draw`, which the base calls only when something it reads changed since the last
    frame; it clears in :meth:`clear_run`; :meth:`readout` gives the finished run's headline
    figures. Readout text is written with :func:`bold`, :func:`headline`, :func:`caption` and
    the other helpers above, not inline HTML.
    """

    #: What :meth:`draw` and :meth:`readout` read: the base redraws when one of them changed.
    READS: ClassVar[Reads] = Reads()
    #: The theme roles (:class:`~mpgui.ui.theme.Theme` field names) whose colours carry
    #: meanings a reader must tell apart in this chart; the colour-blindness test checks every
    #: pair of them, in every theme. ``categories`` stands for the theme's categorical colours.
    MEANINGS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scenarioPlot")
        self._drawn: Hashable = None  # the key of the frame last drawn (see Reads.key)
        #: What the chart remembers across runs of the session (pool-map's speedups). The
        #: window keeps it and hands it to the chart it builds again after a theme or zoom
        #: change, so a new chart shows what the old one did.
        self.session: dict[str, Any] = session if session is not None else {}

    def wrap_to_width(self, label: pg.LabelItem) -> None:
        """Wrap `label` (a key under the plots) to the chart's width: a LabelItem would widen
        the chart instead, and a key with a pid for each of many workers is longer than a
        small window is wide. Call it when the text changes and on every resize."""
        left, _, right, _ = self.ci.layout.getContentsMargins()
        label.item.setTextWidth(max(50.0, self.width() - left - right - theme.px(12)))
        label.updateMin()

    def reset(self) -> None:
        """Clear for a new run (keeping what the chart remembers of earlier runs)."""
        self._drawn = None
        self.clear_run()

    def redraw(self, state: RunState, now_ns: int) -> None:
        """Draw `state`, unless nothing the chart reads changed since the last frame."""
        key = self.READS.key(state, now_ns)
        if key == self._drawn:
            return
        self._drawn = key
        self.draw(state, now_ns)
        self.fit_view()  # new text may need more room than the panel has

    def clear_run(self) -> None:
        """Override: clear what the last run drew (:meth:`reset` calls it)."""

    def draw(self, state: RunState, now_ns: int) -> None:
        """Override: draw `state` (:meth:`redraw` calls it when there is something new)."""

    def run_finished(self, result: dict[str, Any]) -> None:
        """A run ended with `result` (ok or not)."""

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        """The headline figures of a finished run (HTML), shown above the panels."""
        return [f"{k} {fmt_value(v)}" for k, v in metrics.items() if v is not None]


class MetricsChart(ScenarioChart):
    """Fallback chart: every live metric series (``probe.metric``) as a line over run time."""

    READS = Reads(series_prefixes=("",))  # every series there is

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.plot = self.addPlot()
        style_plot(self.plot, "Scenario metrics", bottom="run time (s)")
        self.plot.addLegend(offset=(10, 10))
        self._curves: dict[str, pg.PlotDataItem] = {}

    def clear_run(self) -> None:
        for curve in self._curves.values():
            curve.setData([], [])

    def draw(self, state: RunState, now_ns: int) -> None:
        for i, (name, series) in enumerate(state.series.items()):
            curve = self._curves.get(name)
            if curve is None:
                pen = theme.pen(theme.core_color(i))
                curve = self._curves[name] = self.plot.plot(pen=pen, name=name)
            data = np.array(series, dtype=float)
            curve.setData((data[:, 0] - state.t0_ns) / 1e9, data[:, 1])
        if state.series:
            self.plot.enableAutoRange()


def chart_class(scenario: Scenario) -> type[ScenarioChart]:
    """The chart class of `scenario`: its folder's ``chart.CHART``, or :class:`MetricsChart`
    if it has no ``chart.py``."""
    name = f"{scenario.package}.chart"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the chart exists but imports something missing: say so, don't hide it
        return MetricsChart
    return module.CHART


def make_chart(scenario: Scenario, session: dict[str, Any] | None = None) -> ScenarioChart:
    """A new chart for `scenario` (see :func:`chart_class`), remembering `session`."""
    return chart_class(scenario)(session=session)
