"""Lock around print: processes print lines in parts to one shared output, without and then
with a lock.

Each worker's stdout is the same pipe, which the conductor reads. A worker prints each line
as four parts — ``print(part, end="", flush=True)``, one ``write`` each — with a moment of
work between them. The operating system keeps each write whole, but between two of one
process's writes another process may write its own: without a lock, lines arrive with other
processes' parts inside them. Holding one ``multiprocessing.Lock`` around the whole line
keeps every line whole.
"""

from __future__ import annotations

import os
import random
import re
import time

from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: The moment of work between two parts of a line (s): producing the next part. Anything
#: that waits there — a sleep, a read, a lookup — gives the CPU up, so the OS runs another
#: process even on ONE core; without it a process on one core writes its parts
#: back-to-back within its time slice and lines are garbled only by luck (measured: 0 to 2
#: of 200 with `taskset -c 0`; with this pause some 40–70 of 200, on one core and on two).
PART_WORK_S = 0.0001
#: The mean time (s) a worker spends making each line before printing it (see
#: :func:`line_work`): the workers drift apart, so some lines come out whole and some
#: garbled — as in real programs, where it goes wrong only now and then. With no such work
#: they would stay in step and nearly every line would be garbled.
LINE_WORK_S = 0.01
#: How long the conductor waits for output before it checks the workers and Stop (s).
READ_POLL_S = 0.05
#: The most the conductor reads from the pipe at once (bytes).
READ_CHUNK = 65536

# The names this scenario reports (its chart imports them from here).
#: The two phases, in the order they run; each is also its workers' label.
UNLOCKED, LOCKED = "unlocked", "locked"
PHASES = (UNLOCKED, LOCKED)
#: The log level of each line of the workers' output, as the conductor read it.
OUTPUT_LEVEL = ev.OUTPUT_LEVEL
#: The metrics `run` returns.
LINES_EXPECTED = "lines_expected"
GARBLED_UNLOCKED = "garbled_unlocked"
GARBLED_LOCKED = "garbled_locked"
UNLOCKED_S = "unlocked_s"
LOCKED_S = "locked_s"
LINES_READ_UNLOCKED = "lines_read_unlocked"
LINES_READ_LOCKED = "lines_read_locked"
METRICS = (
    LINES_EXPECTED,
    GARBLED_UNLOCKED,
    GARBLED_LOCKED,
    UNLOCKED_S,
    LOCKED_S,
    LINES_READ_UNLOCKED,
    LINES_READ_LOCKED,
)
GARBLED = {UNLOCKED: GARBLED_UNLOCKED, LOCKED: GARBLED_LOCKED}
SECONDS = {UNLOCKED: UNLOCKED_S, LOCKED: LOCKED_S}
LINES_READ = {UNLOCKED: LINES_READ_UNLOCKED, LOCKED: LINES_READ_LOCKED}

#: A whole line: one writer's tag and its three parts, nothing of anyone else's between.
WHOLE_LINE = re.compile(r"^\[P(\d+):(\d{3})\] a\1 b\1 c\1$")
#: The tag that starts every line a writer prints: which process, which of its lines.
TAG = re.compile(r"\[P(\d+):(\d{3})\] ")


def lines_series(phase: str) -> str:
    """The live series of lines read so far in `phase`."""
    return f"{phase}.lines"


def garbled_series(phase: str) -> str:
    """The live series of garbled lines read so far in `phase`."""
    return f"{phase}.garbled"


def line_parts(writer: int, number: int) -> tuple[str, ...]:
    """The parts of line `number` of `writer`: its tag, then three words carrying its id."""
    return (f"[P{writer}:{number:03d}] ", f"a{writer} ", f"b{writer} ", f"c{writer}\n")


def is_whole(line: str) -> bool:
    """True if `line` (without its newline) is one writer's line, nothing mixed into it."""
    return WHOLE_LINE.match(line) is not None


def writers_in(line: str) -> set[int]:
    """The writers whose line tags appear in `line` (a garbled line can hold several)."""
    return {int(m.group(1)) for m in TAG.finditer(line)}


def line_work(lines: int) -> list[float]:
    """The seconds each of `lines` lines takes to make: evenly spread from 0 to twice
    :data:`LINE_WORK_S`, the same amounts for every worker in each phase (so the workers
    finish together, and the two phases differ only by the lock), in each worker's own random
    order (so they drift apart, and now and then two of them print at the same moment)."""
    spread = [2 * LINE_WORK_S * k / max(1, lines - 1) for k in range(lines)]
    return random.sample(spread, lines)


def print_line(writer: int, number: int) -> None:
    """Print one line in four parts: four writes, with a moment's work before each next one."""
    for k, part in enumerate(line_parts(writer, number)):
        if k:
            time.sleep(PART_WORK_S)  # producing the next part: another process may write now
        print(part, end="", flush=True)


def write_lines(out, lock, start, writer: int, lines: int) -> None:
    """One worker: make its stdout the shared pipe `out`, then print `lines` lines.

    With a `lock`, each whole line is printed under it; without one (None), each part goes
    out as soon as it is made.
    """
    p = probe.current()
    os.dup2(out.fileno(), 1)  # fd 1 is now the shared pipe; sys.stdout still writes to fd 1
    out.close()
    start.wait()  # all workers start printing at the same moment
    for number, work in enumerate(line_work(lines)):
        if p.should_stop():
            break
        with p.task(number):
            time.sleep(work)  # making the line
            if lock is None:
                print_line(writer, number)  # another process's parts can land between ours
            else:
                with lock:  # the whole line under the lock: nobody else prints meanwhile
                    print_line(writer, number)
    start.finished(writer)


class OutputReader:
    """The conductor's side of the pipe: reads what the workers print, line by line, logs
    each line (level :data:`OUTPUT_LEVEL`) and counts the garbled ones."""

    def __init__(self, ctx: RunContext, phase: str, out) -> None:
        self.ctx, self.phase, self.out = ctx, phase, out
        self.lines = self.garbled = 0
        self.last_line_ns = 0  # when the last line arrived
        self.seconds = 0.0  # from the workers' release to the last line (set by phase_run)
        self._pending = b""  # the start of a line whose newline has not arrived yet

    def read(self, procs: list) -> None:
        """Read until every worker's end of the pipe is closed, or all workers have exited
        and nothing is left to read, or Stop. Raises if a worker dies."""
        fd = self.out.fileno()
        while True:
            self.ctx.check_workers(procs)
            if self.ctx.should_stop():
                return
            if self.out.poll(READ_POLL_S):  # a bounded wait for output
                chunk = os.read(fd, READ_CHUNK)
                if not chunk:
                    return  # end of file: every worker has closed its end
                self._take(chunk)
            elif not any(p.is_alive() for p in procs) and not self.out.poll(0):
                return  # all exited and all read (some start methods' helpers hold a copy)

    def _take(self, chunk: bytes) -> None:
        """Split `chunk` into lines (keeping an unfinished one) and report each."""
        *complete, self._pending = (self._pending + chunk).split(b"\n")
        if not complete:
            return
        self.last_line_ns = time.perf_counter_ns()
        for raw in complete:
            self._report(raw.decode("utf-8", errors="replace"))
        self.ctx.probe.metric(lines_series(self.phase), self.lines)
        self.ctx.probe.metric(garbled_series(self.phase), self.garbled)

    def _report(self, line: str) -> None:
        self.lines += 1
        self.garbled += not is_whole(line)
        self.ctx.probe.log(line, OUTPUT_LEVEL)

    def finish(self) -> None:
        """Report what is left of an unfinished line (a run stopped mid-line) as garbled."""
        if self._pending:
            self._report(self._pending.decode("utf-8", errors="replace"))
            self._pending = b""
            self.ctx.probe.metric(lines_series(self.phase), self.lines)
            self.ctx.probe.metric(garbled_series(self.phase), self.garbled)


def phase_run(ctx: RunContext, processes: int, lines: int, locked: bool) -> OutputReader:
    """Run one phase: `processes` workers print `lines` lines each to one pipe, which the
    conductor reads as they go; return the reader, with its counts."""
    phase = LOCKED if locked else UNLOCKED
    main = ctx.probe
    main.phase(phase)
    main.plan(tasks=processes * lines, workers=processes)
    # The shared output: a pipe (a Connection pickles to a child under every start method).
    # Workers write raw bytes to it as their stdout; the conductor reads them with os.read.
    out_r, out_w = ctx.mp.Pipe(duplex=False)
    lock = ctx.mp.Lock() if locked else None
    start = ctx.start_line(processes)
    procs = [
        ctx.process(write_lines, out_w, lock, start, i, lines, label=phase)
        for i in range(processes)
    ]
    reader = OutputReader(ctx, phase, out_r)
    try:
        with ctx.running(procs, start_line=start):
            out_w.close()  # the workers hold the write end now: EOF once they all exit
            reader.read(procs)
        reader.finish()
    finally:
        out_w.close()
        out_r.close()
    seconds = (reader.last_line_ns - start.released_ns) / 1e9 if reader.last_line_ns else 0.0
    main.log(
        f"{phase}: {reader.garbled} of {reader.lines} lines garbled "
        f"(expected {processes * lines} lines) in {seconds:.3f} s"
    )
    reader.seconds = seconds
    return reader


def run(ctx: RunContext, params: dict) -> dict:
    """Print without the lock, with it, or both (``mode``), and count the garbled lines."""
    processes, lines, mode = params["processes"], params["lines"], params["mode"]
    metrics: dict = dict.fromkeys(METRICS)  # every figure None until it is measured
    metrics[LINES_EXPECTED] = processes * lines
    for phase in PHASES:
        if mode not in ("both", phase) or ctx.should_stop():
            continue
        reader = phase_run(ctx, processes, lines, locked=phase == LOCKED)
        metrics[GARBLED[phase]] = reader.garbled
        metrics[LINES_READ[phase]] = reader.lines
        metrics[SECONDS[phase]] = reader.seconds
    return metrics


SCENARIO = Scenario(
    id="lock-print",
    order=60,
    # Small runs garble only now and then (few lines, two writers): the every-scenario test
    # checks only that the names are emitted.
    small_params={"processes": 2, "lines": 10},
    short="Lock around print",
    title="A Lock around output",
    summary="Processes print lines in parts to one output: without a lock the lines come out "
    "garbled; with the lock around each line, every line arrives whole.",
    params=(
        ParamSpec(
            "processes",
            "int",
            default=4,
            minimum=2,
            maximum=16,
            help="Processes printing to the one shared output.",
        ),
        ParamSpec(
            "lines",
            "int",
            default=50,
            minimum=1,
            maximum=1000,
            help="How many lines each process prints.",
        ),
        ParamSpec(
            "mode",
            "choice",
            default="both",
            choices=("both", UNLOCKED, LOCKED),
            help="Print without the lock, with it, or both one after the other.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: a line printed in parts, and the lock around the whole line.
    focus=("with lock:", "print(part"),
)
