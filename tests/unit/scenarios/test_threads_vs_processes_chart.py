"""The threads-vs-processes chart, fed synthetic run states: the wall times (medians so far,
then the result's) with their speedups, the CPU tasks' lanes — threads of one process above,
processes below — filled where each really computed, and how many computed at once; and the
model's count of stretches running at once that the chart's verdict rests on."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.threads_vs_processes.chart import (
    ThreadsVsProcessesChart,
    lanes_of,
    times,
    verdict,
)
from mpgui.scenarios.threads_vs_processes.model import (
    CPU,
    CPU_PROCESSES_SPEEDUP,
    CPU_THREADS_SPEEDUP,
    IO,
    IO_THREADS_SPEEDUP,
    METRICS,
    PROCESSES,
    PROCESSES_START_MS,
    SERIAL,
    THREADS,
    THREADS_START_MS,
    measurement,
    most_at_once,
    running_at_once,
    running_series,
    sample_series,
)
from mpgui.ui import theme
from mpgui.ui.panels.scenario_chart import phase_window

T0 = 10**12
MS = 1_000_000
MAIN, PROC = 500, (601, 602)  # the conductor's pid, the pool's processes
TIDS = (701, 702)  # the thread pool's threads (native ids)
#: When each CPU phase of the round begins (ms after T0).
CPU_THREADS_AT, CPU_PROCESSES_AT = 1000, 2000


def _state() -> RunState:
    """A run of 2 threads and 2 processes, every lane announced."""
    spec = RunSpec("threads-vs-processes", {"workers": 2, "tasks": 4}, "fork")
    state = RunState(spec, t0_ns=T0)
    state.apply(
        [(ev.HELLO, T0, MAIN, 0, "main", "main")]
        + [(ev.HELLO, T0 + MS, pid, 0, "worker", "") for pid in PROC]
        + [(ev.THREAD, T0 + 2 * MS, tid, MAIN, 0, f"thread {k + 1}") for k, tid in enumerate(TIDS)]
    )
    return state


def _span(lane: int, task: int, start_ms: float, end_ms: float) -> tuple:
    """A SPANS event of one task of `lane`, on core 0."""
    start, end = T0 + int(start_ms * MS), T0 + int(end_ms * MS)
    return (ev.SPANS, start, lane, ev.one_span(task, start, end, 0))


def _stretch(way: str, lane: int, start_ms: float, end_ms: float) -> tuple:
    """A METRIC sample of a stretch: its end's time, its length (ms)."""
    return (ev.METRIC, T0 + int(end_ms * MS), lane, running_series(way, lane), end_ms - start_ms)


def _cpu_threads(state: RunState) -> None:
    """The threads' CPU phase: two tasks of 100 ms at once, computing in turns of 10 ms."""
    at = CPU_THREADS_AT
    state.apply([(ev.PHASE, T0 + at * MS, measurement(CPU, THREADS))])
    events = [_span(TIDS[0], 0, at, at + 200), _span(TIDS[1], 1, at, at + 200)]
    for k in range(20):  # thread k % 2 computes from 10k to 10k + 10 ms
        events.append(_stretch(THREADS, TIDS[k % 2], at + 10 * k, at + 10 * k + 10))
    state.apply(events)


def _cpu_processes(state: RunState) -> None:
    """The processes' CPU phase: two tasks of 100 ms side by side, each computing throughout."""
    at = CPU_PROCESSES_AT
    state.apply([(ev.PHASE, T0 + at * MS, measurement(CPU, PROCESSES))])
    state.apply(
        [_span(pid, k, at, at + 100) for k, pid in enumerate(PROC)]
        + [_stretch(PROCESSES, pid, at, at + 100) for pid in PROC]
    )


def test_stretches_at_once_one_at_a_time_or_side_by_side():
    # Taking turns (the GIL): one at a time, a turn ending where the next begins.
    turns = [(0, 10), (10, 20), (20, 30)]
    assert running_at_once(turns) == {1: 30}
    assert most_at_once(turns) == 1
    # Side by side, then one alone.
    assert running_at_once([(0, 100), (0, 100), (100, 150)]) == {2: 100, 1: 50}
    assert most_at_once([(0, 100), (0, 100)]) == 2
    # A sliver of overlap (a stretch read off the clock a little late) is not two at once.
    sliver = [(0, 1000), (999, 2000)]
    assert running_at_once(sliver) == {1: 1999, 2: 1}
    assert most_at_once(sliver) == 1
    assert most_at_once([]) == 0


def test_the_lanes_are_the_threads_of_one_process_and_the_processes(qapp):
    state = _state()
    assert lanes_of(state, THREADS, T0 + 500 * MS) is None  # the phase has not begun
    _cpu_threads(state)
    _cpu_processes(state)
    threads = lanes_of(state, THREADS, T0 + 3000 * MS)
    assert threads.rows == ["thread 1", "thread 2"] and threads.process == MAIN
    assert len(threads.tasks) == 2 and len(threads.stretches) == 20
    assert threads.at_once == 1
    processes = lanes_of(state, PROCESSES, T0 + 3000 * MS)
    assert processes.rows == [str(pid) for pid in PROC] and processes.at_once == 2
    assert "at most 1 computing at once — the GIL" in verdict(THREADS, threads)
    assert f"pid {MAIN}" in verdict(THREADS, threads)
    assert "at most 2 at once" in verdict(PROCESSES, processes)
    # The latest round only: a second round of the threads' phase starts the lanes afresh.
    state.apply([(ev.PHASE, T0 + 4000 * MS, measurement(CPU, THREADS))])
    assert phase_window(state, measurement(CPU, THREADS), T0 + 4100 * MS) == (
        T0 + 4000 * MS,
        T0 + 4100 * MS,
    )
    again = lanes_of(state, THREADS, T0 + 4100 * MS)
    assert again.tasks == [] and again.stretches == [] and verdict(THREADS, again) == ""


def test_a_task_still_computing_grows_to_now(qapp):
    state = _state()
    at = CPU_THREADS_AT
    state.apply([(ev.PHASE, T0 + at * MS, measurement(CPU, THREADS))])
    state.apply([(ev.START, T0 + (at + 5) * MS, TIDS[0], 7)])
    lanes = lanes_of(state, THREADS, T0 + (at + 50) * MS)
    assert lanes.tasks == [(0, T0 + (at + 5) * MS, T0 + (at + 50) * MS)]


def test_the_bars_show_the_medians_so_far_then_the_results_with_speedups(qtbot):
    theme.configure_pyqtgraph()
    chart = ThreadsVsProcessesChart()
    qtbot.addWidget(chart)
    chart.resize(800, 600)
    chart.show()
    qtbot.waitExposed(chart)
    state = _state()
    samples = {IO: (1.6, 0.4, 0.45), CPU: (1.6, 1.7, 0.8)}
    events = []
    for work, seconds in samples.items():
        for way, s in zip((SERIAL, THREADS, PROCESSES), seconds, strict=True):
            name = sample_series(measurement(work, way))
            events += [
                (ev.METRIC, T0 + MS, MAIN, name, s),
                (ev.METRIC, T0 + 2 * MS, MAIN, name, 9.0),
            ]
    state.apply(events)
    # Two rounds so far of each: the median of (s, 9.0).
    assert times(state)[measurement(IO, SERIAL)] == pytest.approx((1.6 + 9.0) / 2)
    _cpu_threads(state)
    _cpu_processes(state)
    chart.redraw(state, T0 + 3000 * MS)
    QApplication.processEvents()
    # The result's medians replace them.
    metrics = dict.fromkeys(METRICS)
    for work, seconds in samples.items():
        for way, s in zip((SERIAL, THREADS, PROCESSES), seconds, strict=True):
            metrics[f"{measurement(work, way)}_s"] = s
    metrics |= {IO_THREADS_SPEEDUP: 4.0, CPU_THREADS_SPEEDUP: 1.6 / 1.7}
    metrics |= {CPU_PROCESSES_SPEEDUP: 2.0, THREADS_START_MS: 0.3, PROCESSES_START_MS: 30.0}
    state.apply([(ev.RESULT, T0 + 3100 * MS, metrics), (ev.DONE, T0 + 3101 * MS, ev.STATUS_OK)])
    chart.redraw(state, T0 + 3200 * MS)
    io, cpu = chart.bars[IO], chart.bars[CPU]
    assert list(io.bars.opts["width"]) == pytest.approx([1.6, 0.4, 0.45])
    assert list(cpu.bars.opts["width"]) == pytest.approx([1.6, 1.7, 0.8])
    labels = [label.textItem.toPlainText().strip() for label in io.labels]
    assert labels == ["1.60 s", "400 ms 4.0×", "450 ms 3.6×"]
    assert cpu.labels[1].textItem.toPlainText().strip() == "1.70 s 0.9×"
    # The lanes: the threads' two rows above the dashed divider, the processes' below.
    lanes = chart.lanes
    assert lanes.rows == ["thread 1", "thread 2", *(str(pid) for pid in PROC)]
    assert lanes.divider.value() == pytest.approx(1.5) and lanes.divider.isVisible()
    assert len(lanes.tasks.opts["x0"]) == 4
    assert len(lanes.running[THREADS].opts["x0"]) == 20
    assert list(lanes.running[PROCESSES].opts["width"]) == pytest.approx([0.1, 0.1])
    assert set(lanes.running[PROCESSES].opts["y"]) == {2, 3}
    # Each way from its own phase's start: the threads' tasks 0.2 s, the processes' 0.1 s.
    assert max(lanes.tasks.opts["width"]) == pytest.approx(0.2)
    assert "the GIL" in chart.key.text and "at most 2 at once" in chart.key.text
    readout = " ".join(chart.readout(metrics))
    assert "4.00×" in readout and "0.94× — slower than serial" in readout and "2.00×" in readout
    # A start-up under a millisecond (a thread pool on a quiet machine) is not "0 ms".
    assert "start-up: threads 0.30 ms, processes 30.0 ms" in readout
    chart.reset()
    assert lanes.rows == [] and len(lanes.tasks.opts["x0"]) == 0
