"""The file-processing chart, fed synthetic run states: each file's size, lines and count
time under the name of who counted it; each pass's throughput from its median round; the
memory one count took, this run's method beside the session's other; the readout."""

from __future__ import annotations

import pytest

from mpgui.core.model.run_state import RunState
from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec
from mpgui.scenarios.file_processing.chart import (
    MEMORY,
    FileProcessingChart,
    counter_names,
    file_rows,
    pass_throughput,
)
from mpgui.scenarios.file_processing.model import (
    COLD_DISK_BOUND,
    COLD_SPEEDUP,
    COUNT_MEM_MB,
    FILE_BYTES,
    FILE_LINES,
    FILE_MEM_MB,
    FILE_MS,
    FILE_PID,
    FILESYSTEM,
    LINES_MATCH,
    MB_PER_S,
    PARALLEL,
    PARALLEL_S,
    SERIAL,
    SERIAL_S,
    SPEEDUP,
    TOTAL_LINES,
    WARM,
    WORKER_PEAK_RSS_MB,
    WRITE,
    file_series,
    pass_series,
)

T0 = 10**12
MS = 1_000_000
MAIN, W0, W1 = 100, 101, 102


def _metric(t: int, pid: int, prefix: str, index: int, value: float) -> tuple:
    return (ev.METRIC, t, pid, file_series(prefix, index), value)


def _state(method: str = "readlines") -> RunState:
    """Three files written (2, 4, 6 MB), counted serially by main, then on the pool: the
    pool's counts, reported later, arrive first (a worker's batch overtook main's)."""
    state = RunState(RunSpec("file-processing", {"files": 3, "method": method}, "fork"), T0)
    events = [
        (ev.HELLO, T0, MAIN, 0, "main", "main"),
        (ev.HELLO, T0, W0, 0, "worker", ""),
        (ev.HELLO, T0, W1, 1, "worker", ""),
        (ev.PHASE, T0 + MS, WRITE),
    ]
    events += [_metric(T0 + 2 * MS, MAIN, FILE_BYTES, i, (i + 1) * 2e6) for i in range(3)]
    events.append((ev.PHASE, T0 + 3 * MS, WARM))
    # The parallel round (later) first, then the serial round (earlier).
    for t, pids, ms in ((T0 + 20 * MS, (W0, W1, W0), 5.0), (T0 + 10 * MS, (MAIN,) * 3, 9.0)):
        for i, pid in enumerate(pids):
            events += [
                _metric(t, pid, FILE_LINES, i, (i + 1) * 50_000),
                _metric(t, pid, FILE_MS, i, ms * (i + 1)),
                _metric(t, pid, FILE_PID, i, pid),
                _metric(t, pid, FILE_MEM_MB, i, 4.0 * (i + 1)),
            ]
    for t, s in ((T0 + 11 * MS, 0.2), (T0 + 12 * MS, 0.4), (T0 + 13 * MS, 0.3)):
        events.append((ev.METRIC, t, MAIN, pass_series(SERIAL), s))
    events.append((ev.METRIC, T0 + 21 * MS, MAIN, pass_series(PARALLEL), 0.1))
    state.apply(events)
    return state


@pytest.fixture
def chart(qtbot) -> FileProcessingChart:
    chart = FileProcessingChart(session={})
    qtbot.addWidget(chart)
    chart.resize(900, 600)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def test_each_file_shows_its_newest_count_and_who_counted_it(chart):
    state = _state()
    rows = file_rows(state, 3)
    assert [r.mb for r in rows] == [2.0, 4.0, 6.0]
    # The newest count by time (the pool's), though main's arrived after it.
    assert [r.pid for r in rows] == [W0, W1, W0]
    assert [r.ms for r in rows] == [5.0, 10.0, 15.0]
    assert [r.lines for r in rows] == [50_000, 100_000, 150_000]
    assert counter_names(state) == {MAIN: "main", W0: "w0", W1: "w1"}

    chart.redraw(state, T0 + 30 * MS)
    assert list(chart.size_bars.opts["height"]) == [2.0, 4.0, 6.0]
    assert list(chart.time_bars.opts["height"]) == [5.0, 10.0, 15.0]
    assert chart.who_labels.texts() == ["w0", "w1", "w0"]
    assert chart.line_labels.texts() == ["50k", "100k", "150k"]
    # The two workers' bars differ in colour as well as in name.
    brushes = chart.time_bars.opts["brushes"]
    assert brushes[0].color() == brushes[2].color() != brushes[1].color()
    # ... and the key under the plots says which colour is whose, and which pid each name is
    # (the Workers panel and the Timeline name processes by pid).
    key = chart.key.text
    assert "counted by" in key
    assert (
        key.index(f"</span> main = pid {MAIN}")
        < key.index(f"</span> w0 = pid {W0}")
        < key.index(f"</span> w1 = pid {W1}")
    )


def test_throughput_is_the_files_mb_over_each_passs_median_round(chart):
    state = _state()
    # 12 MB: serial's median round 0.3 s, parallel's one 0.1 s; no cold pass yet.
    assert pass_throughput(state, 12.0) == pytest.approx([40.0, 120.0, None, None])
    chart.redraw(state, T0 + 30 * MS)
    texts = [label.textItem.toPlainText().strip() for label in chart.speed_bars.labels]
    assert texts == ["40", "120", "", ""]


def test_memory_shows_this_runs_method_beside_the_sessions_other(chart):
    chart.redraw(_state("stream"), T0 + 30 * MS)
    texts = [label.textItem.toPlainText().strip() for label in chart.memory_bars.labels]
    assert texts == ["", "+12.0 MB"]  # stream's biggest count; readlines not run yet
    chart.run_finished({"ok": True, "params": {"method": "stream"}, "metrics": {COUNT_MEM_MB: 1}})
    assert chart.session[MEMORY] == {"stream": 1}
    chart.reset()
    chart.redraw(_state("readlines"), T0 + 30 * MS)
    texts = [label.textItem.toPlainText().strip() for label in chart.memory_bars.labels]
    assert texts == ["+12.0 MB", "+1.0 MB"]


def test_readout_says_the_speedup_the_check_the_memory_and_the_cold_verdict(chart):
    metrics = {
        SERIAL_S: 0.8,
        PARALLEL_S: 0.5,
        SPEEDUP: 1.6,
        MB_PER_S: 240.0,
        LINES_MATCH: True,
        TOTAL_LINES: 3_200_000,
        WORKER_PEAK_RSS_MB: 52.0,
        COUNT_MEM_MB: 31.5,
        COLD_SPEEDUP: 1.05,
        COLD_DISK_BOUND: True,
    }
    text = " · ".join(chart.readout(metrics))
    assert "<b>1.60×</b> (800 ms → 500 ms, 240 MB/s)" in text
    assert "<b>3,200,000</b> lines ✓" in text
    assert "<b>52.0 MB</b> (a count +31.5 MB)" in text
    assert "cold <b>1.05×</b>, the disk was the limit" in text
    metrics |= {LINES_MATCH: False, COLD_DISK_BOUND: False}
    text = " · ".join(chart.readout(metrics))
    assert "✗ MISMATCH" in text and "the CPU was the limit" in text


@pytest.mark.parametrize("kind", ["tmpfs", "ramfs"])
def test_on_a_filesystem_in_memory_the_readout_says_no_disk_and_gives_no_limit(chart, kind):
    metrics = {COLD_SPEEDUP: 1.02, COLD_DISK_BOUND: False, FILESYSTEM: kind}
    text = " · ".join(chart.readout(metrics))
    assert f"cold <b>1.02×</b>: files on a {kind} (memory), no disk" in text
    assert "was the limit" not in text  # neither the CPU nor the disk: nothing measured it
    # On a disk, the verdict is given.
    text = " · ".join(chart.readout(metrics | {FILESYSTEM: "ext4"}))
    assert "cold <b>1.02×</b>, the CPU was the limit" in text
