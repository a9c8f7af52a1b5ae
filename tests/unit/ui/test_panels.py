"""The plot panels draw a run's state: incrementally, yet as a full draw would."""

from __future__ import annotations

import random

import pytest
from PySide6.QtGui import QColor, QImage

from mpgui.core.model.run_state import MAX_SPANS, RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.ui import theme
from mpgui.ui.panels.base import Bars
from mpgui.ui.panels.cores import CoresPanel
from mpgui.ui.panels.timeline import TimelinePanel
from mpgui.ui.panels.workers import WorkersPanel

T0 = 10**12
MS = 1_000_000
MAIN = 100


@pytest.fixture(autouse=True)
def _pyqtgraph_look():
    theme.configure_pyqtgraph()


def _state(workers: int = 4) -> RunState:
    state = RunState(RunSpec("pool-map", {"workers": workers}, "fork"), t0_ns=T0)
    state.apply([(ev.HELLO, T0, MAIN, 0, "main", "main")])
    state.apply([(ev.HELLO, T0, MAIN + 1 + i, i, "worker", "") for i in range(workers)])
    state.apply([(ev.PHASE, T0, "parallel")])
    return state


def _spans(n: int, workers: int = 4, task_ms: float = 20.0, seed: int = 1) -> list[list[tuple]]:
    """`n` back-to-back tasks per worker, as one START/END batch per task round."""
    rng = random.Random(seed)
    t = [T0 + 5 * MS] * workers
    rounds = []
    for task in range(n):
        batch = []
        for w in range(workers):
            end = t[w] + int(task_ms * rng.uniform(0.5, 1.5) * MS)
            batch += [
                (ev.START, t[w], MAIN + 1 + w, task),
                (ev.END, end, MAIN + 1 + w, task, rng.randrange(workers)),
            ]
            t[w] = end + MS // 10
        rounds.append(batch)
    return rounds


def _finish(state: RunState) -> int:
    t_end = max(state.span_t1) + 10 * MS
    state.apply([(ev.DONE, t_end, ev.STATUS_OK)])
    return t_end


def _show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(500, 320)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _image(widget) -> QImage:
    return widget.grab().toImage()


def _differing_pixels(a: QImage, b: QImage) -> int:
    assert a.size() == b.size()
    return sum(a.pixel(x, y) != b.pixel(x, y) for x in range(a.width()) for y in range(a.height()))


def test_timeline_drawn_bit_by_bit_looks_as_drawn_at_once(qtbot):
    state = _state()
    gradual = _show(qtbot, TimelinePanel())
    for batch in _spans(60):
        state.apply(batch)
        gradual.redraw(state, batch[-1][1])  # "now" is the last task's end
        _image(gradual)  # paints: each frame's new spans go into the layer's image
    now = _finish(state)
    gradual.redraw(state, now)

    at_once = _show(qtbot, TimelinePanel())
    at_once.redraw(state, now)
    assert gradual.span_count() == at_once.span_count() == 240
    assert _image(gradual) == _image(at_once)


def test_timeline_keeps_the_spans_the_state_keeps(qtbot):
    state = _state(workers=1)
    panel = _show(qtbot, TimelinePanel())
    for batch in _spans(MAX_SPANS + MAX_SPANS // 4 + 10, workers=1, task_ms=1.0):
        state.apply(batch)
        if state.span_total % 5000 == 0:
            panel.redraw(state, batch[-1][1])
    panel.redraw(state, _finish(state))
    assert len(state.span_t0) < state.span_total  # the state dropped its oldest spans
    assert panel.span_count() == len(state.span_t0)
    panel.reset()
    assert panel.span_count() == 0


def test_timeline_spans_narrower_than_a_pixel_still_show(qtbot):
    # 2,000 tasks of 1 ms over 2 s on a ~400 px axis: a fifth of a pixel each. A border in the
    # background colour once swallowed them all, and a busy lane looked idle.
    state = _state(workers=1)
    for batch in _spans(2000, workers=1, task_ms=1.0):
        state.apply([(e[0], *e[1:4], 0) if e[0] == ev.END else e for e in batch])
    panel = _show(qtbot, TimelinePanel())
    panel.redraw(state, _finish(state))
    image = _image(panel)
    core0 = QColor(theme.core_color(0)).rgb()
    painted = sum(
        image.pixel(x, y) == core0 for x in range(image.width()) for y in range(image.height())
    )
    assert painted > 1000


def _cpu_samples(seconds: float, cores: int = 4, seed: int = 2) -> list[tuple]:
    rng = random.Random(seed)
    return [
        (ev.CPU, T0 + i * 100 * MS, tuple(rng.uniform(0, 100) for _ in range(cores)))
        for i in range(int(seconds * 10))
    ]


def test_cores_history_drawn_bit_by_bit_looks_as_drawn_at_once(qtbot):
    samples = _cpu_samples(12.0)
    state = _state()
    gradual = _show(qtbot, CoresPanel())
    for i in range(0, len(samples), 3):
        state.apply(samples[i : i + 3])
        gradual.redraw(state, state.cpu_t[-1])
        _image(gradual)

    at_once = _show(qtbot, CoresPanel())
    at_once.redraw(state, state.cpu_t[-1])
    # Where two cores' lines cross at a sample, the one drawn last shows: drawn segment by
    # segment that can be another core than in a whole-line draw. A few pixels, no more.
    assert _differing_pixels(_image(gradual), _image(at_once)) < 100


def test_cores_history_keeps_only_what_its_window_shows(qtbot):
    state = _state()
    panel = _show(qtbot, CoresPanel())
    for sample in _cpu_samples(47.0):
        state.apply([sample])
        panel.redraw(state, sample[1])
    # The last sample is at 46.9 s: the window is 20–50 s, and nothing before it is kept.
    assert panel.history_plot.viewRange()[0] == [20.0, 50.0]
    assert 0 < len(panel.history) <= 270


def test_cores_labels_say_load_and_who_sits_there(qtbot):
    state = _state(workers=2)
    state.apply([(ev.CPU, T0 + MS, (12.4, 99.6, 50.0, 0.0))])
    state.apply([(ev.WHERE, T0 + MS, MAIN + 1, 2)])  # the first worker moved to core 2
    panel = _show(qtbot, CoresPanel())
    panel.redraw(state, ev.now_ns())
    # The main lane is not named while it waits for its pool.
    assert panel.labels.texts() == ["12%\n", f"100%\n{MAIN + 2}", f"50%\n{MAIN + 1}", "0%\n"]


def test_workers_labels_hide_when_they_have_nothing_to_say(qtbot):
    panel = _show(qtbot, WorkersPanel())
    few = _state(workers=4)
    panel.redraw(few, ev.now_ns())
    assert all(label.isVisible() for label in panel._labels)
    many = _state(workers=20)  # past 16 bars the counts are left out, unless a worker died
    many.apply([(ev.EXIT, T0 + MS, MAIN + 3, -11, True, "ForkPoolWorker-3")])
    panel.reset()
    panel.redraw(many, ev.now_ns())
    shown = [label.toPlainText() for label in panel._labels if label.isVisible()]
    assert shown == ["0\n✗ SIGSEGV"]


def test_bars_bounds_follow_the_bars():
    bars = Bars(x=[0, 1], height=[1, 2], width=0.5, pen=None)
    assert bars.boundingRect().bottom() < 2.1
    bars.setOpts(height=[1, 7])
    assert 7 <= bars.boundingRect().bottom() < 7.1
