"""Event tuples turn into JSON-ready dicts by the field table that documents them."""

import json
from array import array

import pytest

from mpgui.core.protocol import events as ev


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


def _spans(pid, rows):
    return ev.spans_event(pid, array("q", [x for row in rows for x in row]))


def test_packed_spans_carry_each_task_column_by_column():
    e = _spans(42, [(7, 100, 150, 1), (8, 160, 170, 0)])
    assert e[0] == ev.SPANS and e[1] == 100 and e[2] == 42
    assert ev.span_count(e) == 2 and ev.count([e, (ev.METRIC, 1, 42, "x", 1.0)]) == 5
    tasks, starts, ends, cpus = ev.span_columns(e)
    assert (list(tasks), list(starts), list(ends), list(cpus)) == (
        [7, 8],
        [100, 160],
        [150, 170],
        [1, 0],
    )
    assert list(ev.span_ends(e)) == [150, 170]


def test_expand_turns_spans_back_into_start_and_end_events():
    e = _spans(42, [(7, 100, 150, 1), (8, 160, 170, 0)])
    assert ev.expand([(ev.HELLO, 1, 42, 0, "worker", ""), e]) == [
        (ev.HELLO, 1, 42, 0, "worker", ""),
        (ev.START, 100, 42, 7),
        (ev.END, 150, 42, 7, 1),
        (ev.START, 160, 42, 8),
        (ev.END, 170, 42, 8, 0),
    ]


def test_spans_to_dict_lists_each_task():
    d = ev.to_dict(_spans(42, [(7, 100, 150, 1)]))
    assert d == {"kind": "spans", "t": 100, "pid": 42, "spans": [[7, 100, 150, 1]]}
    json.dumps(d)
