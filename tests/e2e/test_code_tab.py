"""The window's Code tab: each scenario's own source, opened at the lines that teach."""

from PySide6.QtWidgets import QTabWidget

from mpgui.scenarios import listed
from mpgui.ui.code_view import CodeView


def test_each_scenarios_code_opens_at_its_focus_lines(qtbot, window):
    code = window.findChild(CodeView, "codeView")
    assert code is window.code_view
    window.findChild(QTabWidget, "infoTabs").setCurrentWidget(code)
    for scenario in listed():
        window.select_scenario(scenario.id)
        assert code.toPlainText().rstrip("\n") == scenario.source().rstrip("\n")
        assert code.focus == scenario.focus_lines() != []
        first = code.focus[0]
        qtbot.waitUntil(
            lambda first=first: (
                code.firstVisibleBlock().blockNumber()
                <= first
                < code.firstVisibleBlock().blockNumber()
                + code.viewport().height() // code.fontMetrics().lineSpacing()
            )
        )
