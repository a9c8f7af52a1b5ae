"""Event tuples turn into JSON-ready dicts by the field table that documents them."""

import json

import pytest

from mpgui.core import events as ev


def test_every_kind_has_a_field_list_starting_with_the_timestamp():
    for kind, names in ev.FIELDS.items():
        assert names[0] == "t", kind


def test_to_dict_names_each_field_and_is_json_ready():
    d = ev.to_dict((ev.CPU, 5, (10.0, 90.0)))
    assert d == {"kind": "cpu", "t": 5, "loads": [10.0, 90.0]}
    json.dumps(ev.to_dict((ev.HELLO, 1, 42, 0, "worker", "")))


def test_to_dict_refuses_a_tuple_of_the_wrong_shape():
    with pytest.raises(ValueError):
        ev.to_dict((ev.START, 1, 42))  # the task number is missing
    with pytest.raises(ValueError):
        ev.to_dict(("nonsense", 1))
