"""Scenario parameters: specs that the CLI, the form and the conductor all validate with.

One :class:`ParamSpec` per parameter says its name, type, default, bounds or choices and help.
:meth:`ParamSpec.parse` turns user text (``--set workers=4``, a form field) into a value or
raises :class:`ParamError` whose message is one line saying why — the same sentence on the
command line and under the form field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


#: The parameter kinds a :class:`ParamSpec` may have.
KINDS = ("int", "float", "bool", "choice", "multi")


class ParamError(ValueError):
    """Bad parameter input. ``str(err)`` is a one-line reason meant for the user."""


@dataclass(frozen=True)
class ParamSpec:
    """One scenario parameter.

    `kind` is ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` (one of `choices`) or
    ``"multi"`` (a non-empty subset of `choices`, as a tuple in `choices` order; typed as
    comma-separated text); `minimum`/`maximum` bound numbers (inclusive).
    """

    name: str
    kind: str
    default: Any
    help: str
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")
        # A spec whose own default is invalid is a programming error: fail at import.
        self.check(self.default)

    @property
    def title(self) -> str:
        """The label shown next to the form field."""
        return self.label or self.name.replace("_", " ").capitalize()

    def parse(self, text: str) -> Any:
        """Parse user text into a valid value, or raise :class:`ParamError` saying why."""
        raw = text.strip()
        if self.kind == "bool":
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ParamError(f"{self.name}: {text!r} is not true or false")
        if self.kind == "choice":
            return self.check(raw)
        if self.kind == "multi":
            return self.check(tuple(part.strip() for part in raw.split(",") if part.strip()))
        if not raw:
            raise ParamError(f"{self.name}: a value is required")
        # int() and float() take any script's digits ("٣" is 3, "３" is 3); the form and
        # the command line show and echo ASCII, so other numerals are refused by name rather
        # than read as a number the user may not have meant (or as "not a number").
        if any(not ch.isascii() and ch.isnumeric() for ch in raw):
            raise ParamError(f"{self.name}: use the digits 0-9, got {text!r}")
        try:
            value: Any = int(raw, 10) if self.kind == "int" else float(raw)
        except ValueError:
            what = "a whole number" if self.kind == "int" else "a number"
            raise ParamError(f"{self.name}: {text!r} is not {what}") from None
        return self.check(value)

    def check(self, value: Any) -> Any:
        """Validate an already-typed value; return it (normalised) or raise ParamError."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"{self.name}: expected true or false, got {value!r}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                allowed = ", ".join(self.choices)
                raise ParamError(f"{self.name}: {value!r} is not one of {allowed}")
            return value
        if self.kind == "multi":
            return self._check_multi(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"{self.name}: expected a number, got {value!r}")
        if self.kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise ParamError(f"{self.name}: {value!r} is not a whole number")
                value = int(value)
        else:
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")):
                raise ParamError(f"{self.name}: {value!r} is not a finite number")
        too_low = self.minimum is not None and value < self.minimum
        too_high = self.maximum is not None and value > self.maximum
        if too_low or too_high:
            shown = f"{value:g}" if self.kind == "float" else str(value)  # 1000000000, not 1e+09
            raise ParamError(f"{self.name}: must be {self.bound_text()}, got {shown}")
        return value

    def _check_multi(self, value: Any) -> tuple[str, ...]:
        allowed = ", ".join(self.choices)
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ParamError(f"{self.name}: expected a list of {allowed}, got {value!r}")
        unknown = [v for v in value if v not in self.choices]
        if unknown:
            raise ParamError(f"{self.name}: {unknown[0]!r} is not one of {allowed}")
        if not value:
            raise ParamError(f"{self.name}: choose at least one of {allowed}")
        return tuple(c for c in self.choices if c in value)

    def bound_text(self) -> str:
        """The allowed range as words, e.g. ``from 1 to 64`` or ``at least 1``; "" if none."""
        lo, hi = self.minimum, self.maximum
        fmt = (lambda v: f"{v:g}") if self.kind == "float" else (lambda v: f"{int(v)}")
        if lo is not None and hi is not None:
            return f"from {fmt(lo)} to {fmt(hi)}"
        if lo is not None:
            return f"at least {fmt(lo)}"
        if hi is not None:
            return f"at most {fmt(hi)}"
        return ""

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON-ready dict (``mpgui list --json``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.kind,
            "default": self.default,
            "help": self.help,
        }
        if self.kind in ("int", "float"):
            out["min"] = self.minimum
            out["max"] = self.maximum
        if self.kind in ("choice", "multi"):
            out["choices"] = list(self.choices)
        if self.kind == "multi":
            out["default"] = list(self.default)
        if self.unit:
            out["unit"] = self.unit
        return out


def resolve(specs: Iterable[ParamSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with `given` (typed values or user text), every value validated.

    Raises :class:`ParamError` for an unknown name or a bad value.
    """
    by_name = {s.name: s for s in specs}
    for name in given:
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise ParamError(f"unknown parameter {name!r} (known: {known})")
    out: dict[str, Any] = {}
    for name, spec in by_name.items():
        if name not in given:
            out[name] = spec.default
            continue
        value = given[name]
        out[name] = spec.parse(value) if isinstance(value, str) else spec.check(value)
    return out
