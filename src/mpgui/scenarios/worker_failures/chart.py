"""The worker-failures chart: what became of every task, and how the run ended."""

from __future__ import annotations

import html
import textwrap
from typing import Any

import numpy as np
import pyqtgraph as pg

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.scenarios.worker_failures.model import SERIES_FAILING, TASKS_RETURNED
from mpgui.ui import theme
from mpgui.ui.panels.base import style_plot
from mpgui.ui.panels.scenario_chart import Reads, ScenarioChart, bold, lines

#: Roughly how wide (px) a character of the verdict is, to wrap it to the chart's width.
VERDICT_CHAR_PX = 9.5
#: Cells per row of the task grid (fewer when there are fewer tasks).
COLUMNS = 20
#: Task states, in drawing order, with their colours and legend words.
STATES = (
    ("no result", theme.MUTED),
    ("running", theme.ACCENT),
    ("returned", theme.GOOD),
    ("went wrong", theme.BAD),
)


def task_states(state: RunState) -> list[str]:
    """Each planned task's state: running, returned, went wrong, or no result (not run yet,
    lost with its worker, or cancelled)."""
    total = int(state.plan.get("tasks", 0))
    out = ["no result"] * total
    for task in state.span_task:  # every task whose end was reported
        if 0 <= task < total:
            out[task] = "returned"
    for _, value in state.series.get(SERIES_FAILING, ()):
        if 0 <= int(value) < total:
            out[int(value)] = "went wrong"
    for lane in state.lanes:
        if lane.open_task is not None and 0 <= lane.open_task < total:
            if out[lane.open_task] == "no result":
                out[lane.open_task] = "running"
    return out


def lesson(error: dict[str, Any], api: str, failing: int | None) -> str:
    """What the run's failure teaches, in a sentence or two (HTML-escaped)."""
    task = error.get("task", failing)
    code = error.get("exitcode")
    how = ev.how_it_ended(code) if code is not None else ""
    kind = error.get("type")
    if kind == "WorkerFailed":
        text = (
            f"Pool lost task {task}: its worker {how}. Pool started a replacement and would "
            f"wait for task {task} forever — mpgui saw the death and ended the run."
        )
    elif kind == "BrokenProcessPool":
        text = (
            f"{api} raised BrokenProcessPool: worker {error.get('pid')} {how} during "
            f"task {task}, and every task still pending failed with it."
        )
    elif kind == "TaskTimeout":
        text = (
            f"Task {task} hung past its timeout: mpgui sent SIGTERM, which it ignored, then "
            f"SIGKILL. {api} then lost the worker like any other."
        )
    elif kind in ("MaybeEncodingError", "PicklingError", "TypeError"):
        text = (
            f"Task {task}'s result could not be pickled, so it never left the worker: "
            f"{kind} in the parent. The worker itself lived on."
        )
    elif kind == "Stopped":
        text = "Stopped by the user."
    else:
        text = (
            f"{kind} raised in task {task} crossed back to the parent with the worker's "
            "traceback (see the log). The worker lived on."
        )
    return html.escape(text)


class WorkerFailuresChart(ScenarioChart):
    """A grid of the tasks, coloured by what became of them, and a line saying how it ended."""

    READS = Reads(series=(SERIES_FAILING,), metrics=(TASKS_RETURNED,), tasks=True)

    def __init__(self, parent=None, session: dict[str, Any] | None = None) -> None:
        super().__init__(parent, session)
        self.verdict = pg.LabelItem("", color=theme.FOREGROUND, size="11pt", justify="left")
        self.addItem(self.verdict, row=0, col=0)
        self.plot = self.addPlot(row=1, col=0)
        style_plot(self.plot, "Tasks — what became of each")
        self.plot.invertY(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().setAspectLocked(True)  # square cells
        self.plot.hideAxis("bottom")
        self.plot.hideAxis("left")
        self.cells = pg.ScatterPlotItem(pxMode=False, symbol="s", pen=None)
        self.plot.addItem(self.cells)
        self.plot.addLegend(offset=(6, -6), colCount=4, labelTextColor=theme.FOREGROUND)
        for word, color in STATES:  # legend entries: one empty item per state
            self.plot.legend.addItem(
                pg.ScatterPlotItem(symbol="s", brush=pg.mkBrush(color), pen=None, size=10), word
            )
        self._api = ""
        self._failing: int | None = None
        self._said = ("", theme.FOREGROUND)

    def clear_run(self) -> None:
        self.cells.setData([], [])
        self._say("", theme.FOREGROUND)

    def draw(self, state: RunState, now_ns: int) -> None:
        states = task_states(state)
        self._api = str(state.spec.params.get("api", ""))
        failing = [int(v) for _, v in state.series.get(SERIES_FAILING, ())]
        self._failing = failing[0] if failing else None
        if not states:
            return
        cols = min(COLUMNS, len(states))
        index = np.arange(len(states))
        colors = dict(STATES)
        self.cells.setData(
            x=index % cols,
            y=index // cols,
            size=0.86,
            brush=[pg.mkBrush(colors[s]) for s in states],
            data=list(index),
        )
        rows = (len(states) + cols - 1) // cols
        self.plot.setXRange(-0.6, cols - 0.4, padding=0)
        self.plot.setYRange(-0.6, max(rows, 3) - 0.4 + 0.8, padding=0)
        if state.error is None and not state.finished and self._failing is not None:
            self._say(f"task {self._failing} is going wrong…", theme.IDEAL)

    def run_finished(self, result: dict[str, Any]) -> None:
        error = result.get("error")
        if error is None:
            m = result.get("metrics", {})
            self._say(f"Nothing went wrong: {m.get(TASKS_RETURNED)} tasks returned.", theme.GOOD)
            return
        self._say(lesson(error, self._api, self._failing), theme.BAD)

    def _say(self, text: str, color: str) -> None:
        self._said = (text, color)
        # A LabelItem does not wrap, and a long line would widen the chart past its panel:
        # wrap to the chart's width (re-wrapped when it is resized).
        chars = max(24, int(self.width() / VERDICT_CHAR_PX))
        self.verdict.setText(lines(*textwrap.wrap(text, chars)), color=color)

    def resizeEvent(self, event) -> None:  # noqa: N802, D102 - Qt's name
        super().resizeEvent(event)
        said = getattr(self, "_said", None)  # pyqtgraph resizes before __init__ is done
        if said and said[0]:
            self._say(*said)

    def readout(self, metrics: dict[str, Any]) -> list[str]:
        return [f"{bold(str(metrics.get(TASKS_RETURNED)))} tasks returned"]


#: The chart the window shows for this scenario (see scenario_chart.make_chart).
CHART = WorkerFailuresChart
