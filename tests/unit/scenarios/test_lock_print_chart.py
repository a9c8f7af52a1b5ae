"""The lock-print chart, fed synthetic run states: the output shown by phase, garbled lines
marked ✗ and counted, whole ones ✓, and the readout's figures."""

from __future__ import annotations

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.lock_print.chart import GARBLED_MARK, WHOLE_MARK, LockPrintChart, marked
from mpgui.scenarios.lock_print.model import (
    LOCKED,
    OUTPUT_LEVEL,
    UNLOCKED,
    garbled_series,
    is_whole,
    lines_series,
    writers_in,
)

T0 = 10**12
MS = 1_000_000
CONDUCTOR = 4321
UNLOCKED_OUT = ["[P0:000] a0 b0 c0", "[P1:000] a1 [P2:000] b1 c1", "a2 b2 c2", "[P2:001] a2 b2 c2"]
LOCKED_OUT = ["[P0:000] a0 b0 c0", "[P1:000] a1 b1 c1", "[P2:000] a2 b2 c2"]


def _state() -> RunState:
    """A run whose conductor read `UNLOCKED_OUT`, then `LOCKED_OUT`."""
    spec = RunSpec("lock-print", {"processes": 3, "lines": 1, "mode": "both"}, "fork")
    state = RunState(spec, t0_ns=T0)
    t = T0
    for phase, out in ((UNLOCKED, UNLOCKED_OUT), (LOCKED, LOCKED_OUT)):
        t += MS
        events = [(ev.PHASE, t, phase)]
        for k, line in enumerate(out):
            t += MS
            events.append((ev.LOG, t, CONDUCTOR, OUTPUT_LEVEL, line))
            garbled = sum(not is_whole(x) for x in out[: k + 1])
            events.append((ev.METRIC, t, CONDUCTOR, lines_series(phase), k + 1))
            events.append((ev.METRIC, t, CONDUCTOR, garbled_series(phase), garbled))
        # What the host captured of the conductor's own stdout is not the workers' output.
        events.append((ev.LOG, t, 0, OUTPUT_LEVEL, "[P9:000] a9 b9 c9"))
        state.apply(events)
    return state


def test_a_line_is_whole_only_if_one_writer_wrote_all_of_it():
    assert is_whole("[P3:017] a3 b3 c3")
    assert not is_whole("[P3:017] a3 b1 c3")
    assert not is_whole("[P1:000] a1 [P2:000] b1 c1")
    assert not is_whole("a2 b2 c2")
    assert writers_in("[P1:000] a1 [P2:000] b1 c1") == {1, 2}
    assert marked("[P0:000] a0 b0 c0") == f"{WHOLE_MARK} [P0:000] a0 b0 c0"
    assert marked("a2 b2 c2") == f"{GARBLED_MARK} a2 b2 c2"


def test_each_phase_shows_its_own_output_with_garbled_lines_marked(qtbot):
    chart = LockPrintChart()
    qtbot.addWidget(chart)
    chart.resize(700, 400)
    chart.show()
    qtbot.waitExposed(chart)
    state = _state()
    chart.redraw(state, T0 + 50 * MS)
    unlocked, locked = chart.columns[UNLOCKED], chart.columns[LOCKED]
    assert unlocked.shown() == [marked(line) for line in UNLOCKED_OUT]
    assert [line[0] for line in unlocked.shown()] == ["✓", "✗", "✗", "✓"]
    assert locked.shown() == [f"✓ {line}" for line in LOCKED_OUT]
    assert unlocked.heading[0] == "without lock: 2 of 4 garbled"
    assert locked.heading[0] == "with lock: 0 of 3 garbled"
    assert chart.bars_shown
    assert chart.writers == {UNLOCKED: {0, 1, 2}, LOCKED: {0, 1, 2}}
    assert list(chart.bars.bars.opts["width"]) == [2, 0]
    # Drawn again with nothing new: the lines are not added twice.
    chart.draw(state, T0 + 60 * MS)
    assert len(chart.columns[UNLOCKED].lines) == len(UNLOCKED_OUT)
    # A new run's state: only its lines.
    chart.redraw(_state(), T0 + 70 * MS)
    assert chart.columns[LOCKED].shown() == [f"✓ {line}" for line in LOCKED_OUT]


def test_a_short_column_shows_the_newest_lines(qtbot):
    chart = LockPrintChart()
    qtbot.addWidget(chart)
    chart.resize(700, 400)
    chart.show()
    qtbot.waitExposed(chart)
    column = chart.columns[UNLOCKED]
    column.set_output(("x",), [f"[P0:{n:03d}] a0 b0 c0" for n in range(500)])
    rows = column.rows()
    assert 3 <= rows < 100
    assert column.shown()[-1] == "✓ [P0:499] a0 b0 c0"
    assert len(column.shown()) == rows


def test_the_readout_counts_garbled_lines_and_the_locks_price(qapp):
    chart = LockPrintChart()
    parts = chart.readout(
        {
            "lines_expected": 200,
            "garbled_unlocked": 37,
            "garbled_locked": 0,
            "unlocked_s": 0.5,
            "locked_s": 0.65,
        }
    )
    text = " · ".join(parts)
    assert ">37<" in text and "of 200 lines garbled" in text
    assert "locked: " in text and ">0<" in text
    assert "1.30× the time" in text
    chart.close()


def test_a_short_chart_gives_the_bars_room_to_the_output(qtbot):
    chart = LockPrintChart()
    qtbot.addWidget(chart)
    chart.resize(420, 200)
    chart.show()
    qtbot.waitExposed(chart)
    assert not chart.bars_shown
    chart.resize(700, 400)
    qtbot.waitUntil(lambda: chart.bars_shown)
