"""The parameter form: it refuses what the CLI refuses, in the CLI's words."""

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from mpgui.core.params import ParamSpec
from mpgui.ui.param_form import ParamForm

SPECS = (
    ParamSpec("workers", "int", default=2, minimum=1, maximum=64, help="Processes."),
    ParamSpec("task_ms", "float", default=5.0, minimum=0.01, maximum=1e4, help="ms"),
)


def type_text(field: QLineEdit, text: str) -> None:
    """Type `text` as a keyboard layout of its script would: key events carrying each
    character (QTest's keyClicks handles Latin-1 only)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                field, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
            )


@pytest.fixture
def form(qtbot):
    form = ParamForm()
    qtbot.addWidget(form)
    form.set_specs(SPECS)
    return form


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("workers", "٣"),
        ("workers", "３"),
        ("workers", "²"),
        ("task_ms", "１.５"),
        ("task_ms", "٣.٥"),
    ],
)
def test_a_numeral_of_another_script_is_refused_and_says_use_ascii_digits(qtbot, form, name, typed):
    field = form.findChild(QLineEdit, f"param_{name}")
    field.clear()
    type_text(field, typed)
    assert field.text() == typed
    reason = f"{name}: use the digits 0-9, got {typed!r}"
    assert form.errors() == {name: reason}
    error = form.findChild(QLabel, f"error_{name}")
    assert error.text() == reason.removeprefix(f"{name}: ")
    # ASCII digits put it right again.
    field.clear()
    qtbot.keyClicks(field, "3")
    assert form.errors() == {}
