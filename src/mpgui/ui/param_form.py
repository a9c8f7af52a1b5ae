"""The parameter form, generated from a scenario's :class:`~mpgui.core.params.ParamSpec` list.

Numbers are typed into line edits and validated by the spec's own ``parse`` on every keystroke,
so the form and the CLI refuse the same input with the same sentence, shown under the field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from mpgui.core.params import ParamError, ParamSpec
from mpgui.core.protocol.run_spec import available_start_methods, default_start_method

#: The form's pseudo-parameter for how workers are started (not a scenario parameter).
START_METHOD = "start_method"


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class MultiChoice(QWidget):
    """A row of check boxes, one per choice: the editor of a ``multi`` parameter.

    ``toggled`` is emitted after any box changes; :meth:`text` is the choices ticked, as the
    comma-separated text the CLI takes, so the spec's own ``parse`` validates both.
    """

    toggled = Signal()

    def __init__(self, name: str, choices: tuple[str, ...], ticked: tuple[str, ...]) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for choice in choices:
            box = QCheckBox(choice)
            box.setObjectName(f"param_{name}_{choice}")
            box.setChecked(choice in ticked)
            box.toggled.connect(lambda _on: self.toggled.emit())
            row.addWidget(box)
            self.boxes[choice] = box
        row.addStretch(1)

    def text(self) -> str:
        """The ticked choices, comma-separated."""
        return ",".join(c for c, box in self.boxes.items() if box.isChecked())

    def set_ticked(self, chosen: Any) -> None:
        """Tick exactly `chosen` (a list of choices, or comma-separated text)."""
        if isinstance(chosen, str):
            chosen = [part.strip() for part in chosen.split(",")]
        for choice, box in self.boxes.items():
            box.setChecked(choice in chosen)


class ParamForm(QWidget):
    """Fields for one scenario's parameters plus the start method; reports validity.

    ``changed`` is emitted after any edit. :meth:`errors` maps each invalid field to its reason.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paramForm")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._fields = QWidget()  # rebuilt for each scenario
        outer.addWidget(self._fields)
        method_row = QFormLayout()
        self._method = QComboBox()
        self._method.setObjectName("param_start_method")
        self._method.addItems(available_start_methods())
        self._method.setCurrentText(default_start_method())
        self._method.setToolTip("How the worker processes are started.")
        self._method.currentTextChanged.connect(lambda _text: self.changed.emit())
        self._method_label = QLabel("Start method")
        method_row.addRow(self._method_label, self._method)
        outer.addLayout(method_row)
        self._specs: dict[str, ParamSpec] = {}
        self._editors: dict[str, QWidget] = {}
        self._error_labels: dict[str, QLabel] = {}
        self._errors: dict[str, str] = {}

    def set_specs(self, specs: tuple[ParamSpec, ...]) -> None:
        """Rebuild the form for `specs`, every field at its default."""
        fields = QWidget()
        form = QFormLayout(fields)
        form.setContentsMargins(0, 0, 0, 0)
        # Narrow (a small window, a big zoom): the label goes above its field, not beside.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.layout().replaceWidget(self._fields, fields)
        self._fields.hide()  # at once: deleteLater waits for the event loop
        self._fields.deleteLater()
        self._fields = fields
        self._specs = {s.name: s for s in specs}
        self._editors.clear()
        self._error_labels.clear()
        self._errors.clear()
        for spec in specs:
            editor = self._make_editor(spec)
            editor.setObjectName(f"param_{spec.name}")
            editor.setToolTip(spec.help)
            error = QLabel()
            error.setObjectName(f"error_{spec.name}")
            error.setProperty("class", "fieldError")
            error.hide()
            box = QWidget()
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(2)
            col.addWidget(editor)
            col.addWidget(error)
            label = QLabel(spec.title + (f" ({spec.unit})" if spec.unit else ""))
            label.setToolTip(spec.help)
            form.addRow(label, box)
            self._editors[spec.name] = editor
            self._error_labels[spec.name] = error
        # Added to a shown form, the rows would only show on a later event (a queued show):
        # a script or a Tab press straight after would not find them.
        for editor in self._editors.values():
            editor.show()
        for label in fields.findChildren(QLabel):
            if label.objectName().startswith("error_"):
                continue
            label.show()
        fields.show()
        self.changed.emit()

    def _make_editor(self, spec: ParamSpec) -> QWidget:
        if spec.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(spec.default))
            box.toggled.connect(lambda _on: self.changed.emit())
            return box
        if spec.kind == "choice":
            combo = QComboBox()
            combo.addItems(spec.choices)
            combo.setCurrentText(spec.default)
            combo.currentTextChanged.connect(lambda _t: self.changed.emit())
            return combo
        if spec.kind == "multi":
            multi = MultiChoice(spec.name, spec.choices, spec.default)
            multi.toggled.connect(lambda name=spec.name: self._validate(name, multi.text()))
            return multi
        edit = QLineEdit(_fmt(spec.default))
        hint = spec.bound_text()
        edit.setPlaceholderText(hint)
        edit.textChanged.connect(lambda text, name=spec.name: self._validate(name, text))
        return edit

    def _validate(self, name: str, text: str) -> None:
        editor, error = self._editors[name], self._error_labels[name]
        try:
            self._specs[name].parse(text)
        except ParamError as exc:
            self._errors[name] = str(exc)
            # Under a labelled field the "name: " prefix the CLI needs is noise.
            error.setText(str(exc).removeprefix(f"{name}: "))
            error.setToolTip(str(exc))
            error.show()
            editor.setProperty("invalid", True)
        else:
            self._errors.pop(name, None)
            error.hide()
            editor.setProperty("invalid", False)
        # Re-polish so the [invalid="true"] style rule applies.
        editor.style().unpolish(editor)
        editor.style().polish(editor)
        self.changed.emit()

    # -- reading and writing -------------------------------------------------------------
    def errors(self) -> dict[str, str]:
        """Each invalid field's name and the reason it is refused."""
        return dict(self._errors)

    def values(self) -> dict[str, Any]:
        """The current values as text/typed values ready for ``make_spec`` (no start method)."""
        out: dict[str, Any] = {}
        for name, editor in self._editors.items():
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            elif isinstance(editor, MultiChoice):
                out[name] = editor.text()
            else:
                out[name] = editor.text()
        return out

    def focus_chain(self) -> list[QWidget]:
        """The fields in the order Tab visits them: the parameters, then the start method."""
        chain: list[QWidget] = []
        for editor in self._editors.values():
            chain += list(editor.boxes.values()) if isinstance(editor, MultiChoice) else [editor]
        return [*chain, self._method]

    def start_method(self) -> str:
        """The chosen start method."""
        return self._method.currentText()

    def set_value(self, name: str, value: Any) -> None:
        """Set a field as a user would (text is validated like typing). Raises KeyError.

        A value a check box cannot show (not true/false; an unknown choice of a ``multi``)
        raises :class:`~mpgui.core.params.ParamError` with the reason.
        """
        if name == START_METHOD:
            if value not in available_start_methods():
                raise KeyError(f"unknown start method {value!r}")
            self._method.setCurrentText(value)
            return
        if name not in self._editors:
            raise KeyError(f"unknown parameter {name!r}")
        editor = self._editors[name]
        if isinstance(editor, QCheckBox):
            if not isinstance(value, bool):
                value = self._specs[name].parse(str(value))  # ParamError for non-booleans
            editor.setChecked(value)
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(str(value))
        elif isinstance(editor, MultiChoice):
            # Check boxes cannot show an unknown choice: refuse it here, with the reason.
            text = value if isinstance(value, str) else ",".join(map(str, value))
            editor.set_ticked(self._specs[name].parse(text))
        else:
            editor.setText(_fmt(value))

    def show_start_method(self, shown: bool) -> None:
        """Offer the start method (hidden for a scenario that picks its own)."""
        self._method_label.setVisible(shown)
        self._method.setVisible(shown)

    def set_enabled_for_run(self, running: bool) -> None:
        """Lock the fields while a run is going."""
        for editor in [*self._editors.values(), self._method]:
            editor.setEnabled(not running)
