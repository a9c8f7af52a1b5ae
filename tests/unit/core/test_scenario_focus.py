"""The lines each scenario marks for the Code tab: they exist, and they are code."""

import pytest

from mpgui.core.scenario import focus_lines
from mpgui.scenarios import listed


@pytest.mark.parametrize("scenario", listed(), ids=lambda s: s.id)
def test_every_focus_snippet_marks_a_line_of_the_scenarios_own_source(scenario):
    # A rename in model.py must fail here, not leave the Code tab quietly unmarked.
    source = scenario.source()
    assert scenario.focus, f"{scenario.id} marks no line for the Code tab"
    lines = source.splitlines()
    for snippet in scenario.focus:
        assert snippet in source, snippet
        marked = focus_lines(source, (snippet,))
        assert marked, f"{snippet!r} begins no line of {scenario.id}'s source"
        assert all(lines[n].lstrip().startswith(snippet) for n in marked)
    assert scenario.focus_lines() == sorted(scenario.focus_lines())


def test_a_snippet_marks_statements_not_the_prose_that_mentions_them():
    source = (
        '"""``counter.value += 1`` is not atomic."""\n\ndef f():\n    counter.value += 1  # x\n'
    )
    assert focus_lines(source, ("counter.value += 1",)) == [3]
    assert focus_lines(source, ()) == []
