"""The main window: scenario list, four live panels, parameters, notes, code and log."""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mpgui.bridge import RunController
from mpgui.core.model.run_state import RunState
from mpgui.core.params import ParamError
from mpgui.core.protocol import events as ev
from mpgui.core.scenario import Scenario
from mpgui.scenarios import get as get_scenario
from mpgui.scenarios import listed, make_spec
from mpgui.ui import theme
from mpgui.ui.code_view import CodeView
from mpgui.ui.frame_pacing import REDRAW_MS, FramePacer
from mpgui.ui.panels.cores import CoresPanel
from mpgui.ui.panels.scenario_chart import ScenarioChart, make_chart
from mpgui.ui.panels.timeline import TimelinePanel
from mpgui.ui.panels.workers import WorkersPanel
from mpgui.ui.param_form import ParamForm
from mpgui.ui.readout import IDLE_TEXT, readout_text
from mpgui.ui.tracebacks import fold_traceback
from mpgui.ui.wording import describe_error

#: Lines kept in the log pane.
LOG_LINES = 5000


def settle_after_start() -> None:
    """Once the window is on screen and idle: prepare for the first run, quiet the collector.

    Starting a run loads multiprocessing's queue, lock and spawn modules, and the first
    timeline frame loads ``numpy.ma`` (through ``np.unique``) — together long enough to hold
    up the first frames of the user's first run if left until then. Then ``gc.freeze()`` moves
    everything alive after start-up (Qt wrappers, pyqtgraph's items, modules) out of the
    collector's sight: a full collection during a run then walks only what the run made,
    instead of pausing a frame for the whole start-up heap.
    """
    import multiprocessing.queues  # noqa: F401, PLC0415
    import multiprocessing.synchronize  # noqa: F401, PLC0415

    import numpy.ma  # noqa: F401, PLC0415

    if sys.platform != "win32":
        import multiprocessing.popen_spawn_posix  # noqa: F401, PLC0415
    gc.collect()
    gc.freeze()


class MainWindow(QMainWindow):
    """mpgui's window. Drive it like a user, or from a test or a teacher's script:

    ``select_scenario(id)``, ``set_param(name, value)``, ``start_run()``, ``stop_run()``;
    signals ``runStarted(RunSpec)``, ``runFinished(dict)`` (the ``mpgui run --json`` result of
    a run that succeeded) and ``runFailed(dict)`` (the same for a failed or stopped run).
    """

    runStarted = Signal(object)
    runFinished = Signal(object)
    runFailed = Signal(object)

    def __init__(self, scenario: str | None = None, start_method: str | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("mpgui — see Python multiprocessing")
        self._scenario: Scenario = listed()[0]
        self._controller: RunController | None = None
        self._log_seen = 0
        self._warmed = False  # settle_after_start() has been scheduled

        self._build()
        self._timer = QTimer(self)
        self._timer.setObjectName("redrawTimer")
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._on_tick)
        self._pacer = FramePacer()

        self.select_scenario(scenario or listed()[0].id)
        if start_method:
            self.set_param("start_method", start_method)
        self.statusBar().showMessage("Ready — pick a scenario and press Run (Ctrl+R).")

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        """Three columns in a splitter: the scenarios, the live panels, the controls and text."""
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        self.setCentralWidget(splitter)
        left = self._build_scenario_list()
        centre = self._build_centre()
        right = self._build_side()
        splitter.addWidget(left)
        splitter.addWidget(centre)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        # The list as wide as its longest name, the panels take the rest.
        list_w = self.scenario_list.sizeHintForColumn(0) + 40
        # A minimum too: a wide chart must not squeeze the names into "Counter ra…".
        left.setMinimumWidth(list_w)
        splitter.setSizes([list_w, 1090 - list_w, 360])
        self.resize(1440, 900)

    def _build_scenario_list(self) -> QWidget:
        """Left: the listed scenarios under a heading; choosing one shows it."""
        self.scenario_list = QListWidget()
        self.scenario_list.setObjectName("scenarioList")
        for s in listed():
            item = QListWidgetItem(s.short or s.title)
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setToolTip(s.summary)
            self.scenario_list.addItem(item)
        self.scenario_list.currentItemChanged.connect(self._on_scenario_item)
        left = QWidget()
        left_col = QVBoxLayout(left)
        left_col.addWidget(QLabel("Scenarios"))
        left_col.addWidget(self.scenario_list)
        return left

    def _build_centre(self) -> QWidget:
        """Centre: the scenario's title and summary, the readout, then the four panels."""
        centre = QWidget()
        centre_col = QVBoxLayout(centre)
        self.title = QLabel()
        self.title.setObjectName("scenarioTitle")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {theme.MUTED};")
        self.readout = QLabel(IDLE_TEXT)
        self.readout.setObjectName("readout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        # Wrap rather than widen: an unwrapped label's minimum width is its whole text, and a
        # long readout would push the window wider than the screen.
        self.readout.setWordWrap(True)
        self._grid = self._build_panel_grid()
        centre_col.addWidget(self.title)
        centre_col.addWidget(self.summary)
        centre_col.addWidget(self.readout)
        centre_col.addLayout(self._grid, 1)
        return centre

    def _build_panel_grid(self) -> QGridLayout:
        """The panels, two by two: Workers and Cores above, Timeline and the scenario's chart."""
        self.workers_panel = WorkersPanel()
        self.cores_panel = CoresPanel()
        self.timeline_panel = TimelinePanel()
        # One chart per scenario, made when first shown and kept, so a scenario's session
        # history (pool-map's speedup per worker count) survives switching away and back.
        self._charts: dict[str, ScenarioChart] = {}
        self.chart_stack = QStackedWidget()
        self.chart: ScenarioChart | None = None
        grid = QGridLayout()
        grid.addWidget(self.workers_panel, 0, 0)
        grid.addWidget(self.cores_panel, 0, 1)
        grid.addWidget(self.timeline_panel, 1, 0)
        grid.addWidget(self.chart_stack, 1, 1)
        for panel in (self.workers_panel, self.cores_panel, self.timeline_panel, self.chart_stack):
            panel.setMinimumSize(320, 220)
        return grid

    def _build_side(self) -> QSplitter:
        """Right, top to bottom: parameters and Run/Stop, then notes and code, then the log."""
        params_box = self._build_params()
        self.tabs = self._build_tabs()
        log_box = self._build_log()
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(params_box)
        right_split.addWidget(self.tabs)
        right_split.addWidget(log_box)
        right_split.setStretchFactor(1, 2)
        right_split.setStretchFactor(2, 1)
        return right_split

    def _build_params(self) -> QGroupBox:
        """The scenario's parameter form, with Run and Stop (and their shortcuts) below it."""
        self.form = ParamForm()
        self.form.changed.connect(self._update_buttons)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("runButton")
        self.run_button.setToolTip("Start the scenario (Ctrl+R)")
        self.run_button.clicked.connect(self.start_run)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the run; its processes are ended (Esc)")
        self.stop_button.clicked.connect(self.stop_run)
        self.stop_button.setEnabled(False)
        QShortcut(QKeySequence("Ctrl+R"), self, activated=self.start_run)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.stop_run)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        params_box = QGroupBox("Parameters")
        params_col = QVBoxLayout(params_box)
        params_col.addWidget(self.form)
        params_col.addLayout(buttons)
        return params_box

    def _build_tabs(self) -> QTabWidget:
        """What to notice, and the code that runs: the scenario's own text, read-only."""
        self.notice_view = QTextBrowser()
        self.notice_view.setObjectName("noticeView")
        self.notice_view.setOpenExternalLinks(False)
        self.code_view = CodeView()  # objectName "codeView"; restyle() after a zoom/theme
        tabs = QTabWidget()
        tabs.setObjectName("infoTabs")
        tabs.addTab(self.notice_view, "What to notice")
        tabs.addTab(self.code_view, "Code")
        return tabs

    def _build_log(self) -> QGroupBox:
        """The log pane: the run's log lines, the last :data:`LOG_LINES` of them."""
        self.log_view = QPlainTextEdit()
        self.log_view.setObjectName("logView")
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setFont(QFont("DejaVu Sans Mono", 9))
        log_box = QGroupBox("Log")
        log_col = QVBoxLayout(log_box)
        log_col.addWidget(self.log_view)
        return log_box

    # -- the scripting interface ---------------------------------------------------------
    def select_scenario(self, scenario_id: str) -> None:
        """Show scenario `scenario_id`.

        Raises ParamError for an unknown id and RuntimeError while a run is going (the list is
        disabled then, too: a run's panels belong to its scenario).
        """
        scenario = get_scenario(scenario_id)
        if self.is_running():
            raise RuntimeError("stop the run before choosing another scenario")
        rows = [
            row
            for row in range(self.scenario_list.count())
            if self.scenario_list.item(row).data(Qt.ItemDataRole.UserRole) == scenario.id
        ]
        if not rows:
            # An unlisted scenario (an instrument such as event-flood) gets a hidden item:
            # with no current item, the list would make its first row current on focus.
            item = QListWidgetItem(scenario.title)
            item.setData(Qt.ItemDataRole.UserRole, scenario.id)
            self.scenario_list.addItem(item)
            item.setHidden(True)
            rows = [self.scenario_list.count() - 1]
        self.scenario_list.setCurrentRow(rows[0])  # -> _on_scenario_item
        if self._scenario is not scenario or self.title.text() == "":
            self._show_scenario(scenario)

    def set_param(self, name: str, value: Any) -> None:
        """Set a form field as a user would; ``start_method`` picks the start method.

        Invalid text is accepted into the field and refused with a reason, as typing would be.
        Raises KeyError for an unknown parameter name.
        """
        self.form.set_value(name, value)

    def param_errors(self) -> dict[str, str]:
        """The form's current refusals: field name → reason."""
        return self.form.errors()

    def start_run(self) -> bool:
        """Start the selected scenario with the form's values. False if it cannot start now."""
        if self.is_running():
            return False
        errors = self.form.errors()
        if errors:
            self.statusBar().showMessage("Cannot run: " + "; ".join(errors.values()))
            return False
        try:
            spec = make_spec(self._scenario.id, self.form.values(), self.form.start_method())
        except ParamError as exc:  # the form validates per field; this catches the rest
            self.statusBar().showMessage(f"Cannot run: {exc}")
            return False
        # No Qt parent: the previous run's controller (and its state, up to 20k spans) goes
        # as soon as it is replaced here. A parented one would wait for deleteLater, which a
        # script that drives the window with processEvents() and never exec() never runs.
        controller = RunController(spec)
        controller.finished.connect(self._on_run_over)
        controller.eventsReady.connect(self._count_events)
        controller.failed.connect(self._on_run_over)
        self._controller = controller
        self._reset_panels()
        self._log_seen = 0
        self._append_log(f"── run {self._scenario.id} · {spec.start_method} · {spec.params}")
        controller.start()
        if not controller.is_running():
            return True  # it could not start: its failure (and the reason) arrives next
        self._set_running(True)
        self._timer.start(self._pacer.start(time.thread_time(), ev.now_ns()))
        self.statusBar().showMessage(f"Running {self._scenario.title} …")
        self.runStarted.emit(spec)
        return True

    def stop_run(self) -> None:
        """Stop the current run (no-op when nothing runs)."""
        if self.is_running():
            assert self._controller is not None
            self._controller.stop()
            self.stop_button.setEnabled(False)
            self.statusBar().showMessage("Stopping …")

    def is_running(self) -> bool:
        """True while a run is going."""
        return self._controller is not None and self._controller.is_running()

    @property
    def state(self) -> RunState | None:
        """The current (or last) run's state."""
        return self._controller.state if self._controller is not None else None

    # -- reacting ------------------------------------------------------------------------
    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_scenario_item(self, item: QListWidgetItem | None, _prev: Any) -> None:
        if item is not None:
            self._show_scenario(get_scenario(item.data(Qt.ItemDataRole.UserRole)))

    def _show_scenario(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self.title.setText(scenario.title)
        self.summary.setText(scenario.summary)
        self.form.set_specs(scenario.params)
        self.form.show_start_method(scenario.uses_start_method)
        self.notice_view.setMarkdown(scenario.notice())
        self.code_view.show_code(scenario.source(), scenario.focus)
        chart = self._charts.get(scenario.id)
        if chart is None:
            chart = self._charts[scenario.id] = make_chart(scenario)
            self.chart_stack.addWidget(chart)
        # "scenarioPlot" always names the chart on screen.
        for owner, each in self._charts.items():
            each.setObjectName("scenarioPlot" if owner == scenario.id else f"scenarioPlot-{owner}")
        self.chart_stack.setCurrentWidget(chart)
        self.chart = chart
        self.readout.setText(IDLE_TEXT)

    def _reset_panels(self) -> None:
        for panel in (self.workers_panel, self.cores_panel, self.timeline_panel, self.chart):
            panel.reset()

    @Slot(object)
    def _on_run_over(self, result: dict[str, Any]) -> None:
        self._timer.stop()
        self._redraw()
        self.chart.run_finished(result)
        self._set_running(False)
        if result["ok"]:
            self.statusBar().showMessage(f"Finished in {result['wall_s']:.2f} s.")
            self.runFinished.emit(result)
        else:
            self.statusBar().showMessage(describe_error(result["error"] or {}))
            self.runFailed.emit(result)

    def _set_running(self, running: bool) -> None:
        self.form.set_enabled_for_run(running)
        self.scenario_list.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self._update_buttons()

    @Slot()
    def _update_buttons(self) -> None:
        errors = self.form.errors()
        self.run_button.setEnabled(not self.is_running() and not errors)
        self.run_button.setToolTip(
            "Fix first: " + "; ".join(errors.values()) if errors else "Start the scenario (Ctrl+R)"
        )

    # -- drawing -------------------------------------------------------------------------
    @Slot()
    def _on_tick(self) -> None:
        """Redraw, then let the pacer say when the next frame is due."""
        cpu_s = time.thread_time()  # before the frame: see FramePacer.frame_done
        self._redraw()
        state = self.state
        loads = state.cpu_loads[-1] if state is not None and state.cpu_loads else ()
        self._timer.setInterval(self._pacer.frame_done(cpu_s, ev.now_ns(), loads))

    @Slot(object)
    def _count_events(self, events: list[tuple]) -> None:
        self._pacer.count(ev.count(events))

    @Slot()
    def _redraw(self) -> None:
        state = self.state
        if state is None:
            return
        now = ev.now_ns()
        self.workers_panel.redraw(state, now)
        self.cores_panel.redraw(state, now)
        self.timeline_panel.redraw(state, now)
        self.chart.redraw(state, now)
        text = readout_text(state, now, self.chart.readout)
        if text != self.readout.text():  # a new text lays the label out again
            self.readout.setText(text)
        lines, self._log_seen = state.new_logs(self._log_seen)
        for t, pid, level, message in lines:
            stamp = f"{(t - state.t0_ns) / 1e9:7.3f}s"
            who = f"[{pid}] " if pid else ""
            self._append_log(f"{stamp} {level:<7} {who}{fold_traceback(message)}")

    def report_internal_error(self, text: str) -> None:
        """Say in the window that mpgui itself hit an error (the traceback is on stderr)."""
        self.statusBar().showMessage(f"Internal error: {text}")
        self._append_log(f"ERROR   mpgui internal error: {text} (traceback on stderr)")

    def _append_log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """On the first show, :func:`settle_after_start` once the event loop is idle."""
        super().showEvent(event)
        if not self._warmed:
            self._warmed = True
            QTimer.singleShot(0, self._settle)

    @Slot()
    def _settle(self) -> None:
        # A script may press Run the moment the window shows: then a run's first frames
        # must not wait for a full collection, nor its objects be frozen for good.
        if not self.is_running():
            settle_after_start()

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """End any run (its processes and drain thread) before the window goes."""
        self._timer.stop()
        if self._controller is not None:
            self._controller.shutdown()
        super().closeEvent(event)
