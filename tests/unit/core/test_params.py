"""Parameter specs: parsing user text, bounds, and one-line reasons."""

import pytest

from mpgui.core.params import ParamError, ParamSpec, resolve

WORKERS = ParamSpec("workers", "int", default=2, minimum=1, maximum=64, help="Processes.")
TASK_MS = ParamSpec("task_ms", "float", default=5.0, minimum=0.01, maximum=1e4, help="ms")
BASELINE = ParamSpec("baseline", "bool", default=True, help="Serial first.")
MODE = ParamSpec("mode", "choice", default="both", choices=("both", "locked"), help="Mode.")


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [
        (WORKERS, " 4 ", 4),
        (WORKERS, "64", 64),
        (TASK_MS, "0.5", 0.5),
        (BASELINE, "no", False),
        (BASELINE, "TRUE", True),
        (MODE, "locked", "locked"),
    ],
)
def test_parse_accepts_valid_text(spec, text, value):
    assert spec.parse(text) == value


@pytest.mark.parametrize(
    ("spec", "text", "reason"),
    [
        (WORKERS, "0", "workers: must be from 1 to 64, got 0"),
        (WORKERS, "65", "workers: must be from 1 to 64, got 65"),
        (WORKERS, "abc", "workers: 'abc' is not a whole number"),
        (WORKERS, "10**9", "workers: '10**9' is not a whole number"),
        (WORKERS, "2.5", "workers: '2.5' is not a whole number"),
        (WORKERS, "", "workers: a value is required"),
        (TASK_MS, "nan", "task_ms: nan is not a finite number"),
        (TASK_MS, "x", "task_ms: 'x' is not a number"),
        (BASELINE, "maybe", "baseline: 'maybe' is not true or false"),
        (MODE, "racy", "mode: 'racy' is not one of both, locked"),
    ],
)
def test_parse_refuses_with_one_line_reason(spec, text, reason):
    with pytest.raises(ParamError) as info:
        spec.parse(text)
    assert str(info.value) == reason
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (WORKERS, "٣"),  # Arabic-Indic three: int() reads it as 3
        (WORKERS, "３"),  # full-width three
        (WORKERS, "1٣"),  # ASCII and another script mixed
        (WORKERS, "²"),  # superscript two
        (WORKERS, "三"),  # a CJK numeral
        (TASK_MS, "１.５"),  # full-width one point five: float() reads it as 1.5
        (TASK_MS, "٣.٥"),
        (TASK_MS, "½"),
    ],
)
def test_only_ascii_digits_are_numbers(spec, text):
    with pytest.raises(ParamError) as info:
        spec.parse(text)
    assert str(info.value) == f"{spec.name}: use the digits 0-9, got {text!r}"


def test_underscores_between_digits_stay_accepted_as_python_reads_them():
    # The code a learner reads writes 1_000_000; int() and float() take it, so the form does.
    assert WORKERS.parse("1_0") == 10
    assert TASK_MS.parse("1_000.5") == 1000.5


def test_check_refuses_bools_as_numbers():
    with pytest.raises(ParamError):
        WORKERS.check(True)


def test_resolve_fills_defaults_and_refuses_unknown_names():
    specs = (WORKERS, TASK_MS, BASELINE)
    assert resolve(specs, {"workers": "3"}) == {"workers": 3, "task_ms": 5.0, "baseline": True}
    with pytest.raises(ParamError, match="unknown parameter 'wrkers'"):
        resolve(specs, {"wrkers": "3"})


def test_a_spec_with_an_invalid_default_fails_at_definition():
    with pytest.raises(ParamError):
        ParamSpec("n", "int", default=0, minimum=1, help="")


METHODS = ParamSpec(
    "methods", "multi", default=("fork", "spawn"), choices=("fork", "spawn", "forkserver"), help=""
)


def test_a_multi_parameter_takes_a_subset_in_choice_order():
    assert METHODS.parse("spawn, fork") == ("fork", "spawn")
    assert METHODS.parse("forkserver,forkserver") == ("forkserver",)
    assert METHODS.check(["spawn"]) == ("spawn",)
    assert METHODS.to_json()["default"] == ["fork", "spawn"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "methods: choose at least one of fork, spawn, forkserver"),
        ("fork,threads", "methods: 'threads' is not one of fork, spawn, forkserver"),
    ],
)
def test_a_multi_parameter_refuses_with_one_line_reason(text, reason):
    with pytest.raises(ParamError) as info:
        METHODS.parse(text)
    assert str(info.value) == reason


def test_a_multi_parameter_refuses_a_bare_string_as_a_typed_value():
    with pytest.raises(ParamError, match="expected a list"):
        METHODS.check("fork")
