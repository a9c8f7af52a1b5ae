"""The main window: scenario chips and Run/Stop on top, the parameters and the scenario's text
on the left, the readout and four live panels on the right; a menu bar; zoom, themes and a
presentation mode for a projector."""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
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
from mpgui.ui.param_form import START_METHOD, ParamForm
from mpgui.ui.readout import IDLE_TEXT, readout_text
from mpgui.ui.settings import open_settings
from mpgui.ui.tracebacks import fold_traceback
from mpgui.ui.window_menus import WindowMenus
from mpgui.ui.wording import describe_error

#: Lines kept in the log pane.
LOG_LINES = 5000
#: The smallest window mpgui is laid out for (px): a 1024×768 projector, a 1280×720 screen.
MIN_WIDTH, MIN_HEIGHT = 1024, 720
#: The size the window opens at on a screen with room for it (px).
DEFAULT_WIDTH, DEFAULT_HEIGHT = 1440, 900
#: Presentation mode's zoom, at least: 21 px text, 3 px lines — legible from a back row.
PRESENT_ZOOM = 1.6
#: Below this height (px at 100 %: the window's height ÷ zoom) the summary steps aside.
COMPACT_HEIGHT = 560
#: The scenario list's share of the side column at most (beyond, it scrolls), and the rows it
#: always shows: fourteen scenarios at 200 % would otherwise take the whole column.
LIST_SHARE = 0.45
LIST_MIN_ROWS = 4
#: Rows of chips across the top in presentation mode at most (beyond, they scroll): the
#: panels, not the chooser, are what the back of the room reads.
CHIP_ROWS = 2
#: Presentation mode's theme unless one is chosen while presenting.
PRESENT_THEME = "high-contrast"


def fitting_size(wanted: tuple[int, int], room: QRect | None) -> tuple[int, int]:
    """`wanted` (width, height) shrunk to fit `room` (the screen's available area, if known),
    but never below :data:`MIN_WIDTH` × :data:`MIN_HEIGHT`."""
    width, height = wanted
    if room is not None:
        width, height = min(width, room.width()), min(height, room.height())
    return max(MIN_WIDTH, width), max(MIN_HEIGHT, height)


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

    ``select_scenario(id)``, ``set_param(name, value)``, ``start_run()``, ``stop_run()``,
    ``set_zoom(factor)``, ``set_theme(name)``, ``set_presentation(on)``; signals
    ``runStarted(RunSpec)``, ``runFinished(dict)`` (the ``mpgui run --json`` result of a run
    that succeeded) and ``runFailed(dict)`` (the same for a failed or stopped run).

    `params` fill in the form of `scenario` (text as typed; refused values show as refused).
    With `remember` the window restores its last size, place, theme and zoom, and saves them
    when they change; without, it starts from the defaults and leaves the settings alone.
    """

    runStarted = Signal(object)
    runFinished = Signal(object)
    runFailed = Signal(object)

    def __init__(
        self,
        scenario: str | None = None,
        start_method: str | None = None,
        params: dict[str, Any] | None = None,
        remember: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("mpgui — see Python multiprocessing")
        self._remember = remember
        self._scenario: Scenario = listed()[0]
        self._controller: RunController | None = None
        self._last_result: dict[str, Any] | None = None
        self._log_seen = 0
        self._warmed = False  # settle_after_start() has been scheduled
        self._presenting: tuple[str, float] | None = None  # theme and zoom before presenting
        self._focus_before_run: QWidget | None = None
        # What each scenario's form held when the user left it, and each chart's memory of
        # the session's runs: both outlive the widgets (a switch, a theme change rebuilds).
        self._form_memory: dict[str, tuple[dict[str, Any], str]] = {}
        self._sessions: dict[str, dict[str, Any]] = {}
        self.chart: ScenarioChart | None = None

        if remember:
            self._load_look()
        theme.apply(self._app())
        self._build()
        self.menus = WindowMenus(self)
        self._timer = QTimer(self)
        self._timer.setObjectName("redrawTimer")
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._on_tick)
        self._pacer = FramePacer()

        self.select_scenario(scenario or listed()[0].id)
        if start_method:
            self.set_param(START_METHOD, start_method)
        for name, value in (params or {}).items():
            self.set_param(name, value)
        self._open_at_fitting_size()
        self.statusBar().showMessage("Ready — pick a scenario and press Run (Ctrl+R).")

    @staticmethod
    def _app() -> QApplication:
        app = QApplication.instance()
        assert isinstance(app, QApplication), "make the QApplication before the window"
        return app

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        """The side column (scenarios, parameters, the scenario's text) and the centre (title,
        Run/Stop, readout, the four panels), in a splitter."""
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.side = self._build_side()
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(self._build_centre())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("zoomLabel")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self._show_look()
        # Explicit: the layout's own minimum would otherwise decide, and refuse 1024 wide at
        # a high zoom. Below the layout's minimum, parts shrink instead (see the fit tests).
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)

    def _build_scenario_list(self) -> QListWidget:
        """The listed scenarios, one row each, as tall as its rows up to a share of the side
        column (then it scrolls, the current one kept in view)."""
        self.scenario_list = QListWidget()
        self.scenario_list.setObjectName("scenarioList")
        self.scenario_list.setAccessibleName("Scenarios")
        self.scenario_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scenario_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for s in listed():
            item = QListWidgetItem(s.short or s.title)
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setToolTip(s.summary)
            self.scenario_list.addItem(item)
        self.scenario_list.currentItemChanged.connect(self._on_scenario_item)
        self.scenario_list.installEventFilter(self)  # see eventFilter: chips wrap to width
        return self.scenario_list

    def _fit_scenario_list(self) -> None:
        """Give the list the height of its shown rows (after a zoom, the rows are taller), up
        to a bound beyond which it scrolls: one row per scenario in the side column, at most
        :data:`LIST_SHARE` of it; in presentation mode, chips in rows across the top, at most
        :data:`CHIP_ROWS` rows. The current scenario stays in view."""
        chips = self.scenario_list
        rows = [r for r in range(chips.count()) if not chips.isRowHidden(r)]
        frame = 2 * chips.frameWidth() + 2
        if chips.flow() == QListView.Flow.TopToBottom:
            heights = [chips.sizeHintForRow(r) for r in rows]
            bar = chips.verticalScrollBar().sizeHint().width()
            chips.setMinimumWidth(max(chips.sizeHintForColumn(0), 0) + theme.px(24) + bar)
            cap = max(sum(heights[:LIST_MIN_ROWS]) + frame, int(self.side.height() * LIST_SHARE))
            chips.setFixedHeight(min(sum(heights) + frame, cap))
        else:
            chips.setMinimumWidth(0)
            room, x, line_h, lines = max(1, chips.viewport().width()), 0, 0, []
            gap = 2 * chips.spacing()
            for r in rows:
                size = chips.sizeHintForIndex(chips.model().index(r, 0))
                if x and x + size.width() + gap > room:  # this chip starts the next row
                    lines.append(line_h)
                    x, line_h = 0, 0
                x += size.width() + gap
                line_h = max(line_h, size.height() + gap)
            lines.append(line_h)
            chips.setFixedHeight(sum(lines[:CHIP_ROWS]) + frame)
        if chips.currentItem() is not None:
            chips.scrollToItem(chips.currentItem())

    def _move_scenario_list(self, across_the_top: bool) -> None:
        """The list as a column in the side panel, or as chips across the top of the centre
        (presentation mode: the side column goes, and the panels get its width)."""
        chips = self.scenario_list
        self.side.layout().removeWidget(chips)
        self._centre_col.removeWidget(chips)
        if across_the_top:
            chips.setFlow(QListView.Flow.LeftToRight)
            chips.setWrapping(True)
            chips.setSpacing(theme.px(2))
            self._centre_col.insertWidget(0, chips)
        else:
            chips.setFlow(QListView.Flow.TopToBottom)
            chips.setWrapping(False)
            chips.setSpacing(0)
            self.side.layout().insertWidget(0, chips)
        chips.setResizeMode(QListView.ResizeMode.Adjust)
        self.side.setVisible(not across_the_top)
        chips.show()

    def _build_centre(self) -> QWidget:
        """The scenario's title with Run and Stop, its summary, the readout, the panels."""
        centre = QWidget()
        centre.setObjectName("centre")
        centre_col = self._centre_col = QVBoxLayout(centre)
        centre_col.setContentsMargins(4, 2, 2, 0)
        centre_col.setSpacing(2)
        self.title = QLabel()
        self.title.setObjectName("scenarioTitle")
        self.title.setWordWrap(True)  # a long title at a big zoom takes two lines, not Run's room
        self.run_button = QPushButton("▶ Run")
        self.run_button.setObjectName("runButton")
        self.run_button.setToolTip("Start the scenario (Ctrl+R)")
        self.run_button.clicked.connect(self.start_run)
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the run; its processes are ended (Esc)")
        self.stop_button.clicked.connect(self.stop_run)
        self.stop_button.setEnabled(False)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.run_button)
        header.addWidget(self.stop_button)
        self.summary = QLabel()
        self.summary.setObjectName("scenarioSummary")
        self.summary.setWordWrap(True)
        self.readout = QLabel(IDLE_TEXT)
        self.readout.setObjectName("readout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        # Wrap rather than widen: an unwrapped label's minimum width is its whole text, and a
        # long readout would push the window wider than the screen.
        self.readout.setWordWrap(True)
        self._grid = QGridLayout()
        self._grid.setSpacing(4)
        self._build_panels()
        centre_col.addLayout(header)
        centre_col.addWidget(self.summary)
        centre_col.addWidget(self.readout)
        centre_col.addLayout(self._grid, 1)
        return centre

    def _build_panels(self) -> None:
        """The panels, two by two: Workers and Cores above, Timeline and the scenario's chart.

        Built again after a theme or zoom change (they take colours and sizes when built).
        """
        self.workers_panel = WorkersPanel()
        self.cores_panel = CoresPanel()
        self.timeline_panel = TimelinePanel()
        self._grid.addWidget(self.workers_panel, 0, 0)
        self._grid.addWidget(self.cores_panel, 0, 1)
        self._grid.addWidget(self.timeline_panel, 1, 0)
        for panel in (self.workers_panel, self.cores_panel, self.timeline_panel):
            panel.setMinimumSize(160, 110)
            panel.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            panel.show()  # added to a shown window, a widget would show only later

    def _build_side(self) -> QWidget:
        """Left: the scenarios, the parameters, then what to notice, the code and the log
        behind tabs (these take what height is left)."""
        self.form = ParamForm()
        self.form.changed.connect(self._update_buttons)
        params_box = QGroupBox("Parameters")
        params_box.setObjectName("paramsBox")
        params_col = QVBoxLayout(params_box)
        params_col.setContentsMargins(6, 2, 6, 4)
        params_col.addWidget(self.form)
        self.params_box = params_box
        self.tabs = self._build_tabs()
        side = QWidget()
        side.setObjectName("side")
        col = QVBoxLayout(side)
        col.setContentsMargins(4, 2, 2, 0)
        col.setSpacing(4)
        col.addWidget(self._build_scenario_list())
        col.addWidget(params_box)
        col.addWidget(self.tabs, 1000)
        col.addStretch(1)  # with the tabs stepped aside, the rest stays at the top
        side.installEventFilter(self)  # see eventFilter: the tabs fit, or step aside
        return side

    def _build_tabs(self) -> QTabWidget:
        """What to notice, the code that runs, and the log: the scenario's text, read-only."""
        self.notice_view = QTextBrowser()
        self.notice_view.setObjectName("noticeView")
        self.notice_view.setOpenExternalLinks(False)
        self.code_view = CodeView()  # objectName "codeView"; restyle() after a zoom/theme
        self.log_view = QPlainTextEdit()
        self.log_view.setObjectName("logView")
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        tabs = QTabWidget()
        tabs.setObjectName("infoTabs")
        tabs.addTab(self.notice_view, "What to notice")
        tabs.addTab(self.code_view, "Code")
        tabs.addTab(self.log_view, "Log")
        return tabs

    def _open_at_fitting_size(self) -> None:
        """The last size and place (remembered), else the default size — within the screen.

        A size saved on a big monitor is shrunk to fit a projector's screen (never below the
        window's minimum); a place off this screen is not used.
        """
        wanted = QSize(DEFAULT_WIDTH, DEFAULT_HEIGHT)
        place: QPoint | None = None
        if self._remember:
            settings = open_settings()
            saved, saved_place = settings.value("window/size"), settings.value("window/pos")
            if isinstance(saved, QSize) and saved.isValid():
                wanted = saved
            if isinstance(saved_place, QPoint):
                place = saved_place
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        self.resize(*fitting_size(wanted.toTuple(), room))
        if place is not None and room is not None and room.contains(place):
            self.move(place)

    # -- the scripting interface ---------------------------------------------------------
    def select_scenario(self, scenario_id: str) -> None:
        """Show scenario `scenario_id`.

        Raises ParamError for an unknown id and RuntimeError while a run is going (a run's
        panels belong to its scenario).
        """
        scenario = get_scenario(scenario_id)
        if self.is_running():
            raise RuntimeError("stop the run before choosing another scenario")
        row = self._row_of(scenario)
        self.scenario_list.setCurrentRow(row)  # -> _on_scenario_item
        if self._scenario is not scenario or self.title.text() == "":
            self._show_scenario(scenario)

    def _row_of(self, scenario: Scenario) -> int:
        """The list row of `scenario`; an unlisted one (event-flood) gets a hidden row."""
        for row in range(self.scenario_list.count()):
            if self.scenario_list.item(row).data(Qt.ItemDataRole.UserRole) == scenario.id:
                return row
        # With no current item, the list would make its first row current on focus.
        item = QListWidgetItem(scenario.title)
        item.setData(Qt.ItemDataRole.UserRole, scenario.id)
        self.scenario_list.addItem(item)
        item.setHidden(True)
        return self.scenario_list.count() - 1

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
        self._last_result = None
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
            # Stop stays enabled (a second press does nothing more) until the run is over: a
            # disabled button would throw the keyboard focus to the next widget.
            self._controller.stop()
            self.statusBar().showMessage("Stopping …")

    def is_running(self) -> bool:
        """True while a run is going."""
        return self._controller is not None and self._controller.is_running()

    def scenario(self) -> Scenario:
        """The scenario shown."""
        return self._scenario

    @property
    def state(self) -> RunState | None:
        """The current (or last) run's state."""
        return self._controller.state if self._controller is not None else None

    # -- zoom, theme, presentation -------------------------------------------------------
    def zoom(self) -> float:
        """The zoom factor (1.0 is 100 %)."""
        return theme.zoom()

    def theme_name(self) -> str:
        """The current theme's name."""
        return theme.current().name

    def is_presenting(self) -> bool:
        """True in presentation mode."""
        return self._presenting is not None

    def set_zoom(self, factor: float) -> None:
        """Scale every font, line, marker and label by `factor` (clamped to 0.5–3.0)."""
        factor = theme.clamp_zoom(factor)
        if factor == theme.zoom():
            return
        theme.use(zoom=factor)
        self._restyle()

    def zoom_in(self) -> None:
        """One step bigger (Ctrl++)."""
        self.set_zoom(theme.zoom() + theme.ZOOM_STEP)

    def zoom_out(self) -> None:
        """One step smaller (Ctrl+-)."""
        self.set_zoom(theme.zoom() - theme.ZOOM_STEP)

    def set_theme(self, name: str) -> None:
        """Use theme `name` (``dark``, ``light``, ``high-contrast``); ValueError otherwise."""
        if name not in theme.THEMES:
            raise ValueError(f"unknown theme {name!r}; choose from {', '.join(theme.THEMES)}")
        if name == theme.current().name:
            return
        theme.use(name)
        self._restyle()

    def set_presentation(self, on: bool) -> None:
        """Presentation mode for a projector: big text and thick lines (at least
        :data:`PRESENT_ZOOM`), high contrast, and only what a class needs — the scenarios,
        Run/Stop, the readout and the four panels. Off: the look and panels from before."""
        if bool(on) == self.is_presenting():
            return
        if on:
            self._presenting = (theme.current().name, theme.zoom())
            theme.use(PRESENT_THEME, max(theme.zoom(), PRESENT_ZOOM))
        else:
            assert self._presenting is not None
            name, factor = self._presenting
            self._presenting = None
            theme.use(name, factor)
        # What a class needs stays: the scenarios, Run/Stop, the readout, the four panels.
        self.params_box.setVisible(not on)
        self._move_scenario_list(across_the_top=on)
        self._restyle()

    def set_full_screen(self, on: bool) -> None:
        """Full screen (F11), or back to the window as it was."""
        if on:
            self.showFullScreen()
        else:
            self.showNormal()
        self.menus.sync()

    def _restyle(self) -> None:
        """Apply the current theme and zoom: the application's look, then new panels drawn
        from the run's state (a plot takes its colours and sizes when it is built)."""
        theme.apply(self._app())
        self.code_view.restyle()
        self._rebuild_panels()
        self._fit_scenario_list()
        self._show_look()
        self.menus.sync()
        self._save_look()
        self._reflow()

    def _reflow(self) -> None:
        """Show the tabs (notice, code, log) only where they fit whole under the form.

        At a big zoom in a short window (200 % at 1280×720) the scenarios and the parameters
        take the whole side column; the tabs then step aside rather than be squeezed into a
        sliver — the notes stay one key away (Help ▸ What to notice, F1 for the keys).
        """
        # Short for its zoom (200 % at 768 px is 384 px of 100 % text): the summary, which the
        # title's tooltip also has, gives its lines to the panels.
        compact = self.height() / theme.zoom() < COMPACT_HEIGHT
        self.summary.setVisible(not (compact or self.is_presenting()))
        self.title.setToolTip(self._scenario.summary)
        if self.is_presenting():
            self.tabs.setVisible(False)
            return
        col = self.side.layout()
        used = self.scenario_list.minimumHeight() + self.params_box.sizeHint().height()
        room = self.side.height() - used - 2 * col.spacing() - col.contentsMargins().top()
        self.tabs.setVisible(room >= self.tabs.minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Lay out again for the new size: the summary goes where it does not fit."""
        super().resizeEvent(event)
        self._reflow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """The side column was resized (its height is final only then): reflow the tabs."""
        if event.type() != QEvent.Type.Resize or not hasattr(self, "side"):  # (being built)
            return super().eventFilter(watched, event)
        if watched is self.side:
            if self.scenario_list.flow() == QListView.Flow.TopToBottom:
                self._fit_scenario_list()  # its share of the column's new height
            self._reflow()
        elif watched is self.scenario_list:
            if self.scenario_list.flow() == QListView.Flow.LeftToRight:
                self._fit_scenario_list()  # chips wrap to the new width
        return super().eventFilter(watched, event)

    def _show_look(self) -> None:
        label = f"{theme.current().name} · {round(theme.zoom() * 100)} %"
        if self.is_presenting():
            label = "presenting · " + label
        self.zoom_label.setText(label)

    def _discard(self, panel: QWidget) -> None:
        """Take `panel` out of the window and delete it now, whole.

        Not deleteLater(): panels waiting for the event loop piled up (a test or a script
        restyles many times between two loops), and deleting several at once in no particular
        order crashed Python 3.12 — pyqtgraph's items run Python code against views already
        half gone. Nor pyqtgraph's close(): it drops the view's scene, and a paint already
        posted then paints a scene that is gone. Qt drops the events posted to a deleted
        widget, and nothing here is inside one of the panel's own handlers.
        """
        self._grid.removeWidget(panel)
        panel.hide()
        shiboken6.delete(panel)

    def _rebuild_panels(self) -> None:
        """Replace the four panels with new ones in the current look, showing the same run."""
        old = (self.workers_panel, self.cores_panel, self.timeline_panel, self.chart)
        # The keyboard focus on a panel moves to the panel that replaces it.
        focused = next((i for i, p in enumerate(old) if p is not None and p.hasFocus()), None)
        for panel in old:
            if panel is not None:
                self._discard(panel)
        self.chart = None
        self._build_panels()
        self._show_chart(self._scenario)
        if focused is not None:
            new = (self.workers_panel, self.cores_panel, self.timeline_panel, self.chart)
            new[focused].setFocus(Qt.FocusReason.OtherFocusReason)
        state = self.state
        if state is not None:
            self._redraw(read_logs=False)
            if self._last_result is not None:
                self.chart.run_finished(self._last_result)
                self.readout.setText(readout_text(state, ev.now_ns(), self.chart.readout))
        self.setTabOrder(self.run_button, self.stop_button)
        self._chain_focus()

    # -- remembering ---------------------------------------------------------------------
    def _load_look(self) -> None:
        """The theme and zoom of the last session (bad or missing values: the defaults)."""
        settings = open_settings()
        name = str(settings.value("look/theme", theme.current().name))
        try:
            factor = float(settings.value("look/zoom", theme.zoom()))
        except (TypeError, ValueError):
            factor = 1.0
        theme.use(name if name in theme.THEMES else None, factor)

    def _save_look(self) -> None:
        """Remember the chosen theme and zoom (the ones from before presentation mode)."""
        if not self._remember:
            return
        name, factor = self._presenting or (theme.current().name, theme.zoom())
        settings = open_settings()
        settings.setValue("look/theme", name)
        settings.setValue("look/zoom", factor)

    # -- reacting ------------------------------------------------------------------------
    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_scenario_item(self, item: QListWidgetItem | None, previous: Any) -> None:
        if item is None:
            return
        if self.is_running():
            # The list stays enabled so the keyboard focus can stay on it during a run; a
            # move away from the running scenario is undone, and says why.
            self.scenario_list.blockSignals(True)
            self.scenario_list.setCurrentItem(previous)
            self.scenario_list.blockSignals(False)
            self.statusBar().showMessage("Stop the run (Esc) before choosing another scenario.")
            return
        self._show_scenario(get_scenario(item.data(Qt.ItemDataRole.UserRole)))
        self.scenario_list.scrollToItem(item)  # chosen from code, it may be out of view

    def _show_scenario(self, scenario: Scenario) -> None:
        """Show `scenario`: its form as the user left it, its text, and empty panels."""
        if self.title.text():  # not the first scenario shown: remember the form left behind
            self._form_memory[self._scenario.id] = (self.form.values(), self.form.start_method())
        self._scenario = scenario
        self.title.setText(scenario.title)
        self.summary.setText(scenario.summary)
        self.form.set_specs(scenario.params)
        self.form.show_start_method(scenario.uses_start_method)
        values, method = self._form_memory.get(scenario.id, ({}, ""))
        for name, value in values.items():
            self.form.set_value(name, value)
        if method:
            self.form.set_value(START_METHOD, method)
        self.notice_view.setMarkdown(scenario.notice())
        self.code_view.show_code(scenario.source(), scenario.focus)
        # The last run belonged to the scenario left behind: its panels and log go with it.
        self._controller = None
        self._last_result = None
        self._log_seen = 0
        self.log_view.clear()
        if self.chart is not None:
            self._discard(self.chart)
            self.chart = None
        self._show_chart(scenario)
        self._reset_panels()
        self.readout.setText(IDLE_TEXT)
        self._chain_focus()
        self._reflow()

    def _show_chart(self, scenario: Scenario) -> None:
        """Build `scenario`'s chart (with the session's memory of it) into the grid."""
        chart = make_chart(scenario, self._sessions.setdefault(scenario.id, {}))
        chart.setObjectName("scenarioPlot")
        chart.setMinimumSize(160, 110)
        chart.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._grid.addWidget(chart, 1, 1)
        chart.show()
        self.chart = chart

    def _chain_focus(self) -> None:
        """Tab order: scenarios → parameters → Run → Stop → the four panels → the tabs."""
        chain = [self.scenario_list, *self.form.focus_chain(), self.run_button, self.stop_button]
        chain += [self.workers_panel, self.cores_panel, self.timeline_panel, self.chart]
        chain.append(self.tabs)
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _reset_panels(self) -> None:
        for panel in (self.workers_panel, self.cores_panel, self.timeline_panel, self.chart):
            panel.reset()

    @Slot(object)
    def _on_run_over(self, result: dict[str, Any]) -> None:
        self._timer.stop()
        self._last_result = result
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
        """Lock the form while a run goes, keeping the keyboard focus where the user was.

        A disabled widget loses the focus to the next in the chain, which would leave a
        keyboard user somewhere unexpected: the focus goes to Stop for the run (Space stops
        it), and back where it was after.
        """
        focus = QApplication.focusWidget()
        if running:
            self._focus_before_run = focus
        self.form.set_enabled_for_run(running)
        self.stop_button.setEnabled(running)
        self._update_buttons()
        if running and focus is not None and not focus.isEnabled():
            self.stop_button.setFocus(Qt.FocusReason.OtherFocusReason)
        elif not running:
            back = self._focus_before_run
            self._focus_before_run = None
            if focus is None or focus is self.stop_button or not focus.isEnabled():
                target = back if back is not None and back.isEnabled() else self.run_button
                if self.isActiveWindow() or focus is not None:
                    target.setFocus(Qt.FocusReason.OtherFocusReason)
        self.menus.sync()

    @Slot()
    def _update_buttons(self) -> None:
        errors = self.form.errors()
        self.run_button.setEnabled(not self.is_running() and not errors)
        self.run_button.setToolTip(
            "Fix first: " + "; ".join(errors.values()) if errors else "Start the scenario (Ctrl+R)"
        )
        if hasattr(self, "menus"):
            self.menus.sync()

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

    def _redraw(self, read_logs: bool = True) -> None:
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
        if not read_logs:
            return
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
        self._fit_scenario_list()
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
        """End any run (its processes and drain thread) before the window goes; remember
        its size and place."""
        self._timer.stop()
        if self._controller is not None:
            self._controller.shutdown()
        if self._remember and not (self.isFullScreen() or self.isMaximized()):
            settings = open_settings()
            settings.setValue("window/size", self.size())
            settings.setValue("window/pos", self.pos())
        self.menus.close_dialogs()
        super().closeEvent(event)
