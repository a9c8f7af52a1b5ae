"""Zoom, themes, presentation mode, menus and keys, remembered settings, focus, and what
switching scenario does — driven as a user (keys, actions) and as a teacher's script would."""

from __future__ import annotations

import re

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from mpgui.ui import MainWindow, main_window, theme
from mpgui.ui.main_window import fitting_size
from mpgui.ui.settings import settings_path

from .driving import use

ACTIONS = (
    "actionRun",
    "actionStop",
    "actionZoomIn",
    "actionZoomOut",
    "actionFullScreen",
    "actionPresentation",
    "actionQuit",
    "actionShortcuts",
    "actionAbout",
    "actionNotice",
)


def _action(window: MainWindow, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def _title_pt(window: MainWindow) -> float:
    """The Workers plot title's font size (pt), as drawn."""
    return window.workers_panel.plot.titleLabel.item.font().pointSizeF() or float(
        window.workers_panel.plot.titleLabel.opts["size"].removesuffix("pt")
    )


def test_the_menu_bar_has_every_named_action_with_its_key(window):
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Run", "View", "Help"]
    for name in ACTIONS:
        _action(window, name)
    keys = {n: _action(window, n).shortcut().toString() for n in ACTIONS}
    assert keys["actionRun"] == "Ctrl+R" and keys["actionStop"] == "Esc"
    assert keys["actionZoomIn"] == "Ctrl++" and keys["actionZoomOut"] == "Ctrl+-"
    assert keys["actionFullScreen"] == "F11" and keys["actionPresentation"] == "F5"


def test_zoom_scales_fonts_lines_and_plots_and_stays_in_range(qtbot, window):
    pen_before = window.cores_panel.now_plot.getAxis("left").pen().widthF()
    font_before = QApplication.font().pixelSize()
    title_before = window.workers_panel.plot.titleLabel.opts["size"]
    _action(window, "actionZoomIn").trigger()
    _action(window, "actionZoomIn").trigger()
    assert window.zoom() == pytest.approx(1.2)
    assert QApplication.font().pixelSize() > font_before
    assert window.workers_panel.plot.titleLabel.opts["size"] != title_before
    window.set_zoom(2.0)
    assert QApplication.font().pixelSize() == 2 * font_before
    assert window.cores_panel.now_plot.getAxis("left").pen().widthF() == 2 * pen_before
    window.set_zoom(9)
    assert window.zoom() == theme.ZOOM_MAX and not _action(window, "actionZoomIn").isEnabled()
    window.set_zoom(0.1)
    assert window.zoom() == theme.ZOOM_MIN and not _action(window, "actionZoomOut").isEnabled()
    _action(window, "actionZoomReset").trigger()
    assert window.zoom() == 1.0 and QApplication.font().pixelSize() == font_before


def test_zoom_keeps_the_run_on_the_plots(qtbot, window):
    use(window, "pool-map", {"workers": 2, "tasks": 8, "task_ms": 2})
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        window.start_run()
    spans = window.timeline_panel.span_count()
    readout = window.readout.text()
    assert spans >= 8
    window.set_zoom(1.5)
    window.set_theme("light")
    assert window.timeline_panel.span_count() == spans  # the new panels show the same run

    # The same words and figures, in the new theme's colours.
    def words(html: str) -> str:
        return re.sub(r" style='[^']*'", "", html)

    assert words(window.readout.text()) == words(readout)
    # pool-map remembers the session's speedups across the rebuilt chart
    assert len(window.chart.runs) == 1 and window.chart.history.isVisible()


@pytest.mark.parametrize("name", sorted(theme.THEMES))
def test_each_theme_colours_the_window_and_the_plots(qtbot, window, name):
    window.set_theme(name)
    look = theme.THEMES[name]
    assert window.theme_name() == name and _action(window, "actionThemeDark") is not None
    assert QApplication.palette().base().color() == QColor(look.background)
    background = window.workers_panel.backgroundBrush().color()
    assert background == QColor(look.background)
    window.grab()  # paints in the theme without a warning
    with pytest.raises(ValueError, match="unknown theme"):
        window.set_theme("sepia")


def test_the_tabs_show_where_they_fit_and_step_aside_where_they_do_not(qtbot):
    window = MainWindow("worker-failures", remember=False)  # the longest form
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()  # resized before it was shown, as a screenshot's window is
    qtbot.waitUntil(window.tabs.isVisible)
    window.set_zoom(2.0)
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: not window.tabs.isVisible())
    window.set_zoom(1.0)
    qtbot.waitUntil(window.tabs.isVisible)


def test_presentation_mode_shows_what_a_class_needs_and_comes_back(qtbot, window):
    window.resize(1024, 768)
    assert window.params_box.isVisible() and window.tabs.isVisible()
    _action(window, "actionPresentation").trigger()
    assert window.is_presenting() and _action(window, "actionPresentation").isChecked()
    assert window.theme_name() == "high-contrast" and window.zoom() >= 1.6
    assert not window.params_box.isVisible() and not window.tabs.isVisible()
    for name in ("scenarioList", "runButton", "stopButton", "readout", "scenarioPlot"):
        assert window.findChild(QWidget, name).isVisible(), name
    # The scenarios move across the top, and the panels take the side column's width.
    assert not window.side.isVisible()
    qtbot.waitUntil(lambda: window.workers_panel.mapTo(window, QPoint(0, 0)).x() < 50)
    _action(window, "actionPresentation").trigger()
    assert not window.is_presenting()
    assert window.theme_name() == "dark" and window.zoom() == 1.0
    qtbot.waitUntil(window.tabs.isVisible)
    assert window.params_box.isVisible() and window.side.isAncestorOf(window.scenario_list)


@pytest.mark.parametrize("present", [False, True], ids=["side-column", "presenting"])
def test_a_long_scenario_list_scrolls_with_the_chosen_one_in_view(qtbot, window, present):
    window.resize(1280, 720)
    window.set_presentation(present)
    window.set_zoom(2.0)
    chips = window.scenario_list
    last = max(r for r in range(chips.count()) if not chips.isRowHidden(r))
    window.select_scenario(chips.item(last).data(Qt.ItemDataRole.UserRole))

    def chosen_in_view():
        shown = chips.visualItemRect(chips.item(last))
        return chips.viewport().rect().contains(shown)

    qtbot.waitUntil(chosen_in_view)
    # The list takes its share, not the column: the parameters keep their place.
    if present:
        index = chips.model().index
        tallest = max(chips.sizeHintForIndex(index(r, 0)).height() for r in range(last + 1))
        frame = 2 * chips.frameWidth() + 2
        assert chips.height() <= main_window.CHIP_ROWS * (tallest + 2 * chips.spacing()) + frame
    else:
        assert chips.height() <= window.side.height() * main_window.LIST_SHARE + 1
        assert window.params_box.isVisible()


def test_escape_stops_a_run_and_leaves_presentation_when_idle(qtbot, window):
    use(window, "counter-race", {"increments": 5_000_000})
    window.set_presentation(True)
    with qtbot.waitSignal(window.runStarted, timeout=20_000):
        _action(window, "actionRun").trigger()
    with qtbot.waitSignal(window.runFailed, timeout=20_000) as stopped:
        _action(window, "actionStop").trigger()
    assert stopped.args[0]["status"] == "stopped" and window.is_presenting()
    _action(window, "actionStop").trigger()
    assert not window.is_presenting()


def test_the_look_and_size_are_remembered_in_xdg_config_home(qtbot, tmp_path):
    first = MainWindow("pool-map")
    qtbot.addWidget(first)
    first.set_theme("light")
    first.set_zoom(1.3)
    first.resize(1100, 760)
    first.show()
    qtbot.waitExposed(first)
    first.close()
    assert settings_path() == tmp_path / "config" / "mpgui" / "mpgui.ini"
    assert settings_path().exists()
    theme.use("dark", 1.0)  # a new process would start from the defaults
    second = MainWindow("pool-map")
    qtbot.addWidget(second)
    assert second.theme_name() == "light" and second.zoom() == pytest.approx(1.3)
    # The size comes back, shrunk to this screen if it is smaller (offscreen: 800×600).
    room = second.screen().availableGeometry()
    assert second.size().toTuple() == fitting_size((1100, 760), room)
    # A screenshot's window (remember=False) neither reads nor writes them.
    theme.use("dark", 1.0)
    third = MainWindow("pool-map", remember=False)
    qtbot.addWidget(third)
    assert third.theme_name() == "dark"


def test_a_saved_size_fits_the_screen_it_opens_on_but_never_below_the_minimum():
    big = QRect(0, 0, 2560, 1440)
    assert fitting_size((1100, 760), big) == (1100, 760)
    assert fitting_size((3000, 2000), big) == (2560, 1440)
    assert fitting_size((1100, 760), QRect(0, 0, 800, 600)) == (1024, 720)
    assert fitting_size((900, 500), None) == (1024, 720)


def test_a_window_opens_within_the_screen_and_no_smaller_than_1024x720(qtbot):
    window = MainWindow("pool-map")
    qtbot.addWidget(window)
    room = window.screen().availableGeometry()
    width, height = window.size().toTuple()
    assert width == max(1024, min(1440, room.width()))
    assert height == max(720, min(900, room.height()))
    assert window.minimumSize().toTuple() == (1024, 720)
    window.resize(2600, 1700)  # larger than the screen: honoured
    assert window.size().toTuple() == (2600, 1700)


def test_switching_scenario_clears_the_run_and_keeps_each_form(qtbot, window):
    use(window, "pool-map", {"workers": 2, "tasks": 6, "task_ms": 2})
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        window.start_run()
    assert window.timeline_panel.span_count() > 0 and window.log_view.toPlainText()
    window.select_scenario("counter-race")
    assert window.state is None and window.timeline_panel.span_count() == 0
    assert window.log_view.toPlainText() == ""
    assert not any(window.workers_panel.bars.bar_heights(8))
    window.set_param("increments", "1234")
    window.select_scenario("pool-map")
    assert window.form.values()["tasks"] == "6" and window.form.values()["workers"] == "2"
    window.select_scenario("counter-race")
    assert window.form.values()["increments"] == "1234"


def test_the_scenario_list_keeps_focus_during_a_run_and_refuses_to_switch(qtbot, window):
    use(window, "counter-race", {"increments": 3_000_000})
    window.activateWindow()
    window.scenario_list.setFocus()
    qtbot.waitUntil(window.scenario_list.hasFocus)
    with qtbot.waitSignal(window.runStarted, timeout=20_000):
        qtbot.keyClick(window.scenario_list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.scenario_list.hasFocus()
    qtbot.keyClick(window.scenario_list, Qt.Key.Key_Down)
    assert window.scenario().id == "counter-race"
    assert "Stop the run" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.runFailed, timeout=20_000):
        qtbot.keyClick(window.scenario_list, Qt.Key.Key_Escape)
    assert window.scenario_list.hasFocus()


def test_run_from_the_run_button_by_keyboard_moves_focus_to_stop_and_back(qtbot, window):
    use(window, "counter-race", {"increments": 3_000_000})
    window.activateWindow()
    window.run_button.setFocus()
    qtbot.waitUntil(window.run_button.hasFocus)
    with qtbot.waitSignal(window.runStarted, timeout=20_000):
        qtbot.keyClick(window.run_button, Qt.Key.Key_Space)
    assert window.stop_button.hasFocus()  # Space again stops
    with qtbot.waitSignal(window.runFailed, timeout=20_000):
        qtbot.keyClick(window.stop_button, Qt.Key.Key_Space)
    qtbot.waitUntil(window.run_button.hasFocus)


def test_tab_goes_from_the_scenarios_through_the_form_to_run_and_stop(qtbot, window):
    use(window, "manager-list", {})
    order = [window.scenario_list]
    widget = window.scenario_list
    for _ in range(16):
        widget = widget.nextInFocusChain()
        while not (
            widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisible()
            and widget.objectName()  # a plot's viewport follows its plot
        ):
            widget = widget.nextInFocusChain()
        order.append(widget)
    names = [w.objectName() for w in order]
    assert names[:6] == [
        "scenarioList",
        "param_workers",
        "param_items",
        "param_start_method",
        "runButton",
        "stopButton",
    ] or names[:5] == [
        "scenarioList",
        "param_workers",
        "param_items",
        "param_start_method",
        "runButton",
    ]
    assert names.index("runButton") < names.index("workersPlot") < names.index("scenarioPlot")


def test_help_shows_shortcuts_versions_and_the_scenarios_notice(qtbot, window):
    _action(window, "actionShortcuts").trigger()
    shortcuts = window.findChild(QWidget, "shortcutsDialog")
    assert shortcuts.isVisible() and "Ctrl+R" in shortcuts.text.toPlainText()
    _action(window, "actionAbout").trigger()
    about = window.findChild(QWidget, "aboutDialog").text.toPlainText()
    assert "Python" in about and "PySide6" in about and "Platform" in about
    window.select_scenario("counter-race")
    _action(window, "actionNotice").trigger()
    notice = window.findChild(QWidget, "noticeDialog")
    assert window.scenario().title in notice.windowTitle()
    assert "lock" in notice.text.toPlainText().lower()


def test_a_prepared_lesson_opens_with_its_values(qtbot):
    window = MainWindow("pool-map", "spawn", params={"workers": "3", "tasks": "abc"})
    qtbot.addWidget(window)
    assert window.form.values()["workers"] == "3" and window.form.start_method() == "spawn"
    assert "tasks" in window.param_errors()  # refused in the form, as typing it would be
    editor = window.findChild(QLineEdit, "param_tasks")
    assert editor.property("invalid") is True


def test_a_focused_panel_keeps_the_focus_across_a_zoom_and_shows_it(qtbot, window):
    window.activateWindow()
    window.timeline_panel.setFocus()
    qtbot.waitUntil(window.timeline_panel.hasFocus)
    plain = window.timeline_panel.grab().toImage()
    window.timeline_panel.clearFocus()
    qtbot.waitUntil(lambda: not window.timeline_panel.hasFocus())
    assert window.timeline_panel.grab().toImage() != plain  # the focus frame was drawn
    window.timeline_panel.setFocus()
    qtbot.waitUntil(window.timeline_panel.hasFocus)
    _action(window, "actionZoomIn").trigger()
    assert window.timeline_panel.hasFocus()  # the new panel, where the old one was


def test_a_damaged_settings_file_opens_the_default_look(qtbot):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[look]\nzoom=nan\ntheme=sepia\n[window]\nsize=garbage\n")
    window = MainWindow("pool-map")
    qtbot.addWidget(window)
    assert window.zoom() == 1.0 and window.theme_name() == "dark"
    window.set_zoom(float("nan"))
    assert window.zoom() == 1.0


def test_full_screen_toggles(qtbot, window):
    _action(window, "actionFullScreen").trigger()
    qtbot.waitUntil(window.isFullScreen)
    assert _action(window, "actionFullScreen").isChecked()
    _action(window, "actionFullScreen").trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen())


def test_plot_lines_are_thicker_in_high_contrast(window):
    dark = window.cores_panel.now_plot.getAxis("left").pen().widthF()
    window.set_theme("high-contrast")
    assert window.cores_panel.now_plot.getAxis("left").pen().widthF() > dark
    assert isinstance(window.cores_panel.now_plot, pg.PlotItem)
