"""The plot panels draw a run's state: incrementally, yet as a full draw would."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QApplication

from mpgui.core.model.run_state import MAX_SPANS, RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.ui import theme
from mpgui.ui.panels.base import Bars, PointLabels, tick_font
from mpgui.ui.panels.cores import CoresPanel, grid_layout
from mpgui.ui.panels.timeline import TimelinePanel, busy_profile
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


def test_phase_names_close_together_never_print_over_each_other(qtbot):
    state = _state()
    # Twenty phases, a few 10 ms apart, the rest 300 ms: a scenario that alternates ways.
    starts = [T0 + int(k * 300 * MS + (k % 4 == 1) * 10 * MS) for k in range(20)]
    state.apply([(ev.PHASE, t, f"phase_{k}") for k, t in enumerate(starts)])
    state.apply([(ev.DONE, starts[-1] + 300 * MS, ev.STATUS_OK)])
    panel = _show(qtbot, TimelinePanel())
    panel.redraw(state, starts[-1] + 300 * MS)
    _image(panel)
    shown = [line.label for line in panel._phase_lines if line.label.isVisible()]
    assert 2 <= len(shown) < 21  # some named, not every one (they cannot all fit)
    boxes = [label.mapRectToScene(label.boundingRect()) for label in shown]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.intersects(b), (a, b)
    view = panel.plot.getViewBox().mapRectToScene(panel.plot.getViewBox().boundingRect())
    assert all(view.left() - 1 <= b.left() and b.right() <= view.right() + 1 for b in boxes)


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
    panel.resize(900, 320)  # bars wide enough for "100%" and a pid
    panel.redraw(state, ev.now_ns())
    # The main lane is not named while it waits for its pool.
    assert panel.bar_texts() == ["12%", f"100%\n{MAIN + 2}", f"50%\n{MAIN + 1}", "0%"]
    # A tall bar holds its label; a short one has it above.
    assert panel.labels.texts()[1] and panel.labels_above.texts()[0]
    panel.resize(500, 320)  # narrower: the number without its unit (the axis says %)
    qtbot.waitUntil(lambda: panel.bar_texts()[0] == "12")
    assert panel.bar_texts() == ["12", f"100\n{MAIN + 2}", f"50\n{MAIN + 1}", "0"]


def test_workers_labels_hide_when_they_have_nothing_to_say(qtbot):
    panel = _show(qtbot, WorkersPanel())
    few = _state(workers=4)
    panel.redraw(few, ev.now_ns())
    assert list(panel.label_texts()) == [0, 1, 2, 3, 4]  # every bar says its count
    many = _state(workers=20)  # past 16 bars the counts are left out, unless a worker died
    many.apply([(ev.EXIT, T0 + MS, MAIN + 3, -11, True, "ForkPoolWorker-3")])
    panel.reset()
    panel.redraw(many, ev.now_ns())
    shown = list(panel.label_texts().values())
    assert shown == ["0\n✗ SIGSEGV"]


def test_bars_bounds_follow_the_bars():
    bars = Bars(x=[0, 1], height=[1, 2], width=0.5, pen=None)
    assert bars.boundingRect().bottom() < 2.1
    bars.setOpts(height=[1, 7])
    assert 7 <= bars.boundingRect().bottom() < 7.1


# -- many cores, many workers ------------------------------------------------------------------


def _crowded_state(workers: int, cores: int, tasks: int = 6, seed: int = 3) -> RunState:
    """`workers` workers on `cores` cores: `tasks` finished tasks each, on cores that change
    now and then, one task running on each, and a CPU sample."""
    rng = random.Random(seed)
    state = _state(workers)
    batch = []
    for w in range(workers):
        t = T0 + 5 * MS
        pid = MAIN + 1 + w
        core = w % cores
        for task in range(tasks):
            if rng.random() < 0.3:
                core = rng.randrange(cores)
            batch += [(ev.START, t, pid, task), (ev.END, t + 20 * MS, pid, task, core)]
            t += 21 * MS
        batch += [(ev.START, t, pid, tasks), (ev.WHERE, t, pid, core)]
    state.apply(batch)
    state.apply([(ev.CPU, T0 + 200 * MS, tuple(rng.uniform(0, 100) for _ in range(cores)))])
    return state


def _tick_rects(axis) -> list[QRectF]:
    """The rects of the tick labels `axis` draws (pixels, as pyqtgraph lays them out)."""
    # An axis widens to its labels when it paints, and the layout follows: let it settle.
    for _ in range(3):
        axis.getViewWidget().grab()
        QApplication.processEvents()
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [rect for rect, _flags, text in (specs[2] if specs else []) if text]


def _overlapping(rects: list[QRectF]) -> list[tuple[QRectF, QRectF]]:
    return [
        (a, b)
        for i, a in enumerate(rects)
        for b in rects[i + 1 :]
        if not a.intersected(b).isEmpty()
    ]


def _label_rects(labels: PointLabels) -> list[QRectF]:
    """Where each of `labels`' texts is drawn, in view pixels (as PointLabels places it)."""
    metrics = QFontMetricsF(labels.font())
    view = labels.getViewBox()
    rects = []
    for (x, y), text in zip(labels.points(), labels.texts(), strict=True):
        if not text:
            continue
        at = view.mapViewToDevice(QPointF(x, y))
        lines = text.split("\n")
        w = max(metrics.horizontalAdvance(line) for line in lines)
        h = metrics.height() * len(lines)
        ax, ay = labels.anchor
        rects.append(QRectF(at.x() - ax * w, at.y() - ay * h, w, h))
    return rects


def test_grid_layout_takes_meters_while_numbers_fit_then_a_heat_strip():
    metrics = QFontMetricsF(tick_font())
    assert grid_layout(8, 400, 190, metrics).kind == "bars"
    sixteen = grid_layout(16, 400, 190, metrics)
    assert (sixteen.kind, sixteen.cols, sixteen.text) == ("meters", 2, "load+pids")
    sixty_four = grid_layout(64, 400, 190, metrics)
    assert (sixty_four.kind, sixty_four.cols, sixty_four.rows) == ("meters", 8, 8)
    heat = grid_layout(128, 400, 190, metrics)
    assert heat.kind == "heat" and heat.cols * heat.rows >= 128
    assert grid_layout(64, 300, 120, metrics).kind == "heat"  # too small for 64 numbers
    # Meters run down the columns, as htop's; a heat strip along its rows.
    assert sixty_four.cell(9) == (1, 1) and heat.cell(17) == (17 % heat.cols, 17 // heat.cols)


@pytest.mark.parametrize(("cores", "size"), [(16, (500, 400)), (64, (700, 420))])
def test_many_cores_are_numbered_meters_whose_numbers_do_not_overlap(qtbot, cores, size):
    panel = _show(qtbot, CoresPanel())
    panel.resize(*size)
    state = _crowded_state(8, cores)
    panel.redraw(state, ev.now_ns())
    qtbot.waitUntil(lambda: panel.grid.kind == "meters")
    assert panel.numbers.texts() == [str(i) for i in range(cores)]  # every meter's number
    assert panel.numbers.isVisible() and not panel.bars.isVisible()
    assert not _overlapping(_label_rects(panel.numbers))
    assert not _overlapping(_label_rects(panel.texts))
    # The history is a mean and a band, with a key to them, not a line per core.
    assert panel.history.summary and panel.legend is not None
    assert len(panel.legend.items) == 2


def test_128_cores_are_a_heat_strip_numbered_by_axes_that_thin_their_labels(qtbot):
    panel = _show(qtbot, CoresPanel())
    state = _crowded_state(8, 128)
    panel.redraw(state, ev.now_ns())
    assert panel.grid.kind == "heat"
    for side in ("left", "bottom"):
        rects = _tick_rects(panel.now_plot.getAxis(side))
        assert len(rects) >= 2, side
        assert not _overlapping(rects), side
    ticks = panel.now_plot.getAxis("bottom")._tickLevels[0]
    assert len(ticks) < panel.grid.cols  # thinned: 16 or 32 columns do not fit 500 px
    # A cell's colour is its load's: a busier core is brighter.
    loads = state.cpu_loads[-1]
    idle, busy = loads.index(min(loads)), loads.index(max(loads))
    brushes = panel.fills.opts["brushes"]
    assert brushes[busy].color().lightness() > brushes[idle].color().lightness()


def test_few_cores_bars_thin_their_axis_labels_and_lines_are_numbered(qtbot):
    panel = _show(qtbot, CoresPanel())
    panel.resize(250, 480)  # narrow: stacked, and 8 "cpuN" labels do not all fit
    state = _crowded_state(8, 8)
    for sample in _cpu_samples(3.0, cores=8):
        state.apply([sample])
    panel.redraw(state, ev.now_ns())
    assert panel.grid.kind == "bars" and not panel.history.summary
    rects = _tick_rects(panel.now_plot.getAxis("bottom"))
    assert 2 <= len(rects) < 8 and not _overlapping(rects)
    # Each line's core number at its end, and the numbers do not print over each other.
    assert panel.line_numbers.texts() == [str(i) for i in range(8)]
    assert not _overlapping(_label_rects(panel.line_numbers))
    panel.resize(250, 300)  # no room for 8 numbers up the history: some, never overprinted
    qtbot.waitUntil(lambda: "" in panel.line_numbers.texts())
    assert not _overlapping(_label_rects(panel.line_numbers))


def test_a_workers_bar_is_stacked_from_the_cores_its_tasks_ran_on(qtbot):
    panel = _show(qtbot, WorkersPanel())
    state = _crowded_state(4, 4, tasks=40)
    panel.redraw(state, ev.now_ns())
    bars, _bottoms, heights, cpus = panel.bars.segments()
    for i, lane in enumerate(state.lanes):
        mine = bars == i
        assert heights[mine].sum() == lane.tasks_done
        assert set(cpus[mine].tolist()) == set(lane.core_tasks)
    assert any(len(lane.core_tasks) > 1 for lane in state.lanes)  # it is a test of stacking
    # The segments are numbered by their core where the number fits (here: most of them).
    assert set(panel.core_numbers.texts()) == {str(c) for c in set(cpus.tolist())}


def test_a_workers_bars_counted_frame_by_frame_are_the_bars_counted_at_once(qtbot):
    state = _state()
    gradual = _show(qtbot, WorkersPanel())
    for batch in _spans(40):  # each task on a random core: many segments per bar
        state.apply(batch)
        gradual.redraw(state, batch[-1][1])
    at_once = _show(qtbot, WorkersPanel())
    at_once.redraw(state, ev.now_ns())
    for a, b in zip(gradual.bars.segments(), at_once.bars.segments(), strict=True):
        assert a.tolist() == b.tolist()
    bars, _, heights, cpus = at_once.bars.segments()
    for i, lane in enumerate(state.lanes):
        assert dict(zip(cpus[bars == i].tolist(), heights[bars == i].tolist(), strict=True)) == {
            cpu: float(n) for cpu, n in lane.core_tasks.items()
        }


@pytest.mark.parametrize("workers", [64, 256])
def test_many_workers_bars_thin_their_labels_and_say_it_in_a_summary(qtbot, workers):
    panel = _show(qtbot, WorkersPanel())
    state = _crowded_state(workers, 64)
    panel.redraw(state, ev.now_ns())
    bars, _, heights, _ = panel.bars.segments()
    assert heights.sum() == sum(lane.tasks_done for lane in state.lanes) == 6 * workers
    rects = _tick_rects(panel.plot.getAxis("bottom"))
    assert 2 <= len(rects) < workers // 4 and not _overlapping(rects)
    assert panel.label_texts() == {}  # no per-bar text
    assert panel.summary_key.isVisible()
    assert panel.summary_key.text.startswith(f"{workers} workers · 6–6 tasks each")


@pytest.mark.parametrize("workers", [64, 256])
def test_many_lanes_compress_under_a_summary_lane_of_tasks_running(qtbot, workers):
    panel = _show(qtbot, TimelinePanel())
    state = _crowded_state(workers, 64)
    now = T0 + 200 * MS
    panel.redraw(state, now)
    assert panel.summary_rows() is not None and panel.summary.isVisible()
    rects = _tick_rects(panel.plot.getAxis("left"))
    assert 3 <= len(rects) < workers // 4 and not _overlapping(rects)
    # Every worker runs a task from 5 ms on: 20 ms tasks 1 ms apart, then an open one.
    running = panel.summary_values()
    (x0, x1), _ = panel.plot.viewRange()
    columns = np.linspace(x0, x1, len(running) + 1)
    busy = (columns[:-1] > 0.02) & (columns[1:] < 0.1)
    assert len(running) > 100 and busy.any()
    assert running[busy].mean() == pytest.approx(workers * 20 / 21, rel=0.05)
    assert running.max() <= workers + 1e-9
    assert running[columns[1:] <= 0.005].max() == 0  # nothing before the first task
    if workers == 256:  # a pixel a lane: running tasks filled, an outline would bury them
        assert panel.running.opts["pen"] is None


def test_few_lanes_have_no_summary_lane(qtbot):
    panel = _show(qtbot, TimelinePanel())
    panel.redraw(_crowded_state(4, 4), T0 + 200 * MS)
    assert panel.summary_rows() is None and not panel.summary.isVisible()


def test_busy_profile_is_the_average_number_of_spans_in_progress_per_column():
    starts, ends = np.array([0.0, 0.5, 1.25]), np.array([2.0, 1.0, 1.5])
    # Columns of 0.5: [0, .5) one span, [.5, 1) two, [1, 1.5) one and a half, [1.5, 2) one.
    assert busy_profile(starts, ends, 0.0, 2.0, 4).tolist() == [1.0, 2.0, 1.5, 1.0]
    # Spans reaching outside the range count only inside it; none in it, nothing.
    assert busy_profile(np.array([-1.0]), np.array([9.0]), 0.0, 1.0, 2).tolist() == [1.0, 1.0]
    assert busy_profile(np.array([5.0]), np.array([6.0]), 0.0, 1.0, 2).tolist() == [0.0, 0.0]
