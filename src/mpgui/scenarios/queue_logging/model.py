"""Queue logging: child processes log through a ``Queue`` to one listener in the parent.

Logging's set-up — the root logger's level and handlers — is ordinary process memory. A child
started by *spawn* or *forkserver* runs a fresh interpreter: its root logger has no handler
and level WARNING, so its ``logger.info(...)`` goes nowhere. A *fork* child gets a copy of
the parent's handlers, and writes through them behind the parent's back. The robust pattern
works the same under every start method: each child's only handler is a
``logging.handlers.QueueHandler``, and one ``QueueListener`` in the parent hands every
record, in order per process, to the parent's real handlers.

Phase 1 (``without_queue``): the parent configures the root logger (INFO, a ``FileHandler``
on a file in a private temporary directory); the children just log. Phase 2 (``via_queue``):
the children log through a ``QueueHandler``; the parent's ``QueueListener`` passes each
record to :class:`Arrivals`, a real ``logging.Handler`` that counts, checks the order and
the delay, and shows each line in the window.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import QueueHandler, QueueListener
from multiprocessing import current_process
from multiprocessing.connection import wait

from mpgui.core import timing
from mpgui.core.child.run_context import RunContext
from mpgui.core.child.workers import blocks
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import events as ev
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

#: Each worker's records are reported as this many blocks (its tasks on the timeline).
BLOCKS = 20
#: How often (s) the parent reads the log file, and samples the counts, while children log.
SAMPLE_S = 0.05
#: At most this many lines a phase are shown in the window's log (the rest are counted):
#: thousands of lines a second would only bury the log.
SHOWN_LINES = 2_000
#: The log file's name inside the run's private temporary directory.
LOG_FILE = "records.log"
#: The file's line format: when, who (pid, process name), which logger, and the message,
#: which carries the record's sequence number ("record 17").
FILE_FORMAT = "%(created).6f %(process)d %(processName)s %(name)s %(message)s"
#: How the listener's handler formats a line for the window.
LINE_FORMAT = "%(processName)s[%(process)d] %(message)s"
#: The attribute each child's record carries its sequence number in (``extra=``).
SEQ = "seq"

# The names this scenario reports (its chart imports them from here).
#: The two ways, in the order they run; each is its phase's name and its workers' label.
WITHOUT_QUEUE, VIA_QUEUE = "without_queue", "via_queue"
PHASES = (WITHOUT_QUEUE, VIA_QUEUE)
#: The log levels of the lines the chart shows: read from the log file (phase 1), handled
#: by the parent's listener (phase 2). Their pid is the pid of the child that made the record.
FILE_LEVEL, LISTENER_LEVEL = "FILE", "RECORD"
#: The metrics `run` returns.
RECORDS_EXPECTED = "records_expected"
RECORDS_VIA_QUEUE = "records_via_queue"
RECORDS_WITHOUT_QUEUE = "records_without_queue"
MAX_DELAY_MS = "max_delay_ms"
#: Records through the queue that came after a later one of the same process (0 expected).
OUT_OF_ORDER = "out_of_order"
#: Records through the queue whose pid or process name is not their child's (0 expected).
MISATTRIBUTED = "misattributed"
METRICS = (
    RECORDS_EXPECTED,
    RECORDS_VIA_QUEUE,
    RECORDS_WITHOUT_QUEUE,
    MAX_DELAY_MS,
    OUT_OF_ORDER,
    MISATTRIBUTED,
)


def records_prefix(phase: str) -> str:
    """What begins the names of `phase`'s per-process series (:func:`records_series`)."""
    return f"{phase}.records."


def records_series(phase: str, slot: int) -> str:
    """The live series of how many records of child `slot` (0-based) arrived in `phase`."""
    return f"{records_prefix(phase)}{slot}"


def describe_root() -> str:
    """This process's root logger, in words: its level and its handlers."""
    root = logging.getLogger()
    handlers = ", ".join(type(h).__name__ for h in root.handlers) or "no handler"
    return f"root logger: level {logging.getLevelName(root.level)}, {handlers}"


# -- the children --------------------------------------------------------------------------
def log_records(slot: int, records: int, pause_s: float, start) -> None:
    """One child: log `records` records, numbered, a pause apart, through whatever logging
    set-up this process has. It sets nothing up itself."""
    p = probe.current()
    logger = logging.getLogger("app.worker")
    start.wait()  # all children begin logging at the same moment
    for task, block in enumerate(blocks(records, BLOCKS)):
        if p.should_stop():
            break
        with p.task(task):
            for seq in block:
                logger.info("record %d", seq, extra={SEQ: seq})
                time.sleep(pause_s)  # a program that logs now and then, not in one burst
                if p.should_stop():  # a block can last seconds: end by itself, not be killed
                    break
    start.finished(slot)


def log_without_queue(slot: int, records: int, pause_s: float, start) -> None:
    """Phase 1 child: say what logging set-up it found, then log with no set-up of its own."""
    probe.current().log(f"{current_process().name} found its {describe_root()}")
    log_records(slot, records, pause_s, start)


def log_via_queue(queue, slot: int, records: int, pause_s: float, start) -> None:
    """Phase 2 child: make a ``QueueHandler`` on `queue` the root logger's only handler, then
    log. Whatever it had is dropped: under fork, the parent's handlers (copied at the fork)
    would otherwise write each record a second time, behind the listener's back."""
    root = logging.getLogger()
    dropped = ", ".join(type(h).__name__ for h in root.handlers) or "nothing"
    root.handlers = [QueueHandler(queue)]
    root.setLevel(logging.INFO)
    probe.current().log(f"{current_process().name} dropped {dropped}; its {describe_root()}")
    log_records(slot, records, pause_s, start)


# -- phase 1: the parent's FileHandler, the children on their own ---------------------------
class FileTally:
    """Reads the log file as it grows and counts the children's records in it, per child.

    `pids` maps each child's pid to its slot; the parent's own lines are not counted. Each
    new line is shown in the window (up to :data:`SHOWN_LINES`), under the child's pid.
    """

    def __init__(self, path: str, main: probe.Probe, pids: dict[int, int]) -> None:
        self.path = path
        self.main = main
        self.pids = pids
        self.counts = [0] * len(pids)
        self.shown = 0
        self._offset = 0  # bytes of the file read so far (whole lines only)

    def read(self) -> None:
        """Count the whole lines written since the last read, and report the new counts."""
        with open(self.path, "rb") as file:
            file.seek(self._offset)
            data = file.read()
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._offset += end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            fields = line.split(" ", 4)
            # A line not in FILE_FORMAT (a message's second line, a traceback) is no record.
            if len(fields) != 5 or not fields[1].isdigit():
                continue
            _created, pid, name, _logger, message = fields
            slot = self.pids.get(int(pid))
            if slot is None:
                continue  # the parent's own line
            self.counts[slot] += 1
            if self.shown < SHOWN_LINES:
                self.shown += 1
                # As the listener's lines read (LINE_FORMAT), to compare the two.
                shown = f"{name}[{pid}] {message}"
                self.main.emit((ev.LOG, ev.now_ns(), int(pid), FILE_LEVEL, shown))
        self.report()

    def report(self) -> None:
        """Send each child's count as a sample of its series."""
        for slot, count in enumerate(self.counts):
            self.main.metric(records_series(WITHOUT_QUEUE, slot), count)


@contextmanager
def parent_logging(path: str) -> Iterator[logging.FileHandler]:
    """The parent's own logging set-up, for the whole run: the root logger at INFO with a
    ``FileHandler`` on `path`, as a program configures it once at its start. Undone after."""
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)


def named(procs: list) -> list:
    """`procs`, each named after its slot ("child-0" …): the name its records carry."""
    for slot, proc in enumerate(procs):
        proc.name = f"child-{slot}"
    return procs


def without_queue(ctx: RunContext, processes: int, records: int, pause_s: float, path: str):
    """Phase 1: the parent logs to the file at `path`; the children log with no set-up of
    their own. Returns how many of the children's records reached the file."""
    main = ctx.probe
    main.phase(WITHOUT_QUEUE)
    main.plan(tasks=processes * len(blocks(records, BLOCKS)), workers=processes)
    logging.getLogger("parent").info("the parent's FileHandler works: this line is in it")
    main.log(f"the parent logs to {path} ({describe_root()})")
    start = ctx.start_line(processes)
    procs = [
        ctx.process(log_without_queue, slot, records, pause_s, start, label=WITHOUT_QUEUE)
        for slot in range(processes)
    ]
    # No thread of the parent's is logging (nor running at all, but the child watch) as it
    # forks: a fork copies whatever another thread is in the middle of (a half-written
    # stream, a lock no at-fork hook re-creates).
    with ctx.running(named(procs), start_line=start):
        tally = FileTally(path, main, {p.pid: slot for slot, p in enumerate(procs)})
        tally.report()
        while any(p.exitcode is None for p in procs) and not ctx.should_stop():
            wait([p.sentinel for p in procs], SAMPLE_S)
            ctx.check_workers(procs)
            tally.read()
    tally.read()  # what the last children wrote as they finished
    found = sum(tally.counts)
    main.log(f"{WITHOUT_QUEUE}: {found:,} of the children's records are in {LOG_FILE}")
    return found


# -- phase 2: a QueueHandler in each child, a QueueListener in the parent ------------------
class Arrivals(logging.Handler):
    """The parent's handler behind the ``QueueListener``: every record the children sent.

    It counts each child's records, checks that each child's arrive in the order it made
    them (by the sequence number each carries), and that each carries its child's pid and
    process name, measures the delay from the record's creation (in the child) to here, and
    shows each line in the window. `children` maps each child's pid to its (slot, name).
    """

    def __init__(self, main: probe.Probe, children: dict[int, tuple[int, str]]) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter(LINE_FORMAT))
        self.main = main
        self.children = children
        self.counts = [0] * len(children)
        self.next_seq = [0] * len(children)
        self.out_of_order = 0
        self.misattributed = 0
        self.max_delay_s = 0.0
        self.shown = 0
        self._sampled = [0] * len(children)  # when each child's count was last sent (ns)

    def emit(self, record: logging.LogRecord) -> None:
        """Take one record off the queue (the listener's thread calls it)."""
        now_ns = ev.now_ns()
        self.max_delay_s = max(self.max_delay_s, time.time() - record.created)
        child = self.children.get(record.process)
        if child is None or child[1] != record.processName:
            self.misattributed += 1
            return
        slot = child[0]
        seq = getattr(record, SEQ, -1)
        if seq != self.next_seq[slot]:
            self.out_of_order += 1
        self.next_seq[slot] = seq + 1
        self.counts[slot] += 1
        if self.shown < SHOWN_LINES:
            self.shown += 1
            self.main.emit((ev.LOG, now_ns, record.process, LISTENER_LEVEL, self.format(record)))
        if now_ns - self._sampled[slot] >= SAMPLE_S * 1e9:
            self._sampled[slot] = now_ns
            self.main.metric(records_series(VIA_QUEUE, slot), self.counts[slot])

    def report(self) -> None:
        """Send each child's count as a sample of its series (the last ones, once done)."""
        for slot, count in enumerate(self.counts):
            self.main.metric(records_series(VIA_QUEUE, slot), count)


def stop_listener(listener: QueueListener) -> bool:
    """``listener.stop()`` — hand on what is still queued, then end its thread — within
    :data:`~mpgui.core.timing.LISTENER_STOP_S`; False if it did not finish (its daemon
    thread is then left, to end with the conductor)."""
    stopper = threading.Thread(target=listener.stop, name="mpgui-listener-stop", daemon=True)
    stopper.start()
    stopper.join(timing.LISTENER_STOP_S)
    return not stopper.is_alive()


def via_queue(
    ctx: RunContext, processes: int, records: int, pause_s: float, file: logging.Handler
) -> Arrivals:
    """Phase 2: the children log through a Queue to the parent's listener, which hands each
    record to :class:`Arrivals` and to the parent's own `file` handler (its one writer now);
    returns the :class:`Arrivals`, with what arrived."""
    main = ctx.probe
    main.phase(VIA_QUEUE)
    main.plan(tasks=processes * len(blocks(records, BLOCKS)), workers=processes)
    queue = ctx.mp.Queue()
    start = ctx.start_line(processes)
    procs = [
        ctx.process(log_via_queue, queue, slot, records, pause_s, start, label=VIA_QUEUE)
        for slot in range(processes)
    ]
    listener = None
    try:
        with ctx.running(named(procs)):  # starts them; they wait at the start line
            arrivals = Arrivals(main, {p.pid: (slot, p.name) for slot, p in enumerate(procs)})
            arrivals.report()
            # Every child is started before the listener's thread is: never fork while another
            # thread of this process is mid-way through something (a write, a lock held).
            listener = QueueListener(queue, arrivals, file)
            listener.start()
            start.release(procs, ctx.should_stop)
            while any(p.exitcode is None for p in procs) and not ctx.should_stop():
                wait([p.sentinel for p in procs], SAMPLE_S)
                ctx.check_workers(procs)
        # The children have exited, each after its queue's feeder had sent all its records:
        # stopping the listener hands on everything still in the queue, then ends it.
    finally:
        stopped = listener is None or stop_listener(listener)
        if not stopped:
            main.log("the listener did not finish within its bound; its thread is left", "WARNING")
            queue.cancel_join_thread()  # the sentinel it was sent may never be read
        queue.close()
    main.flush()
    arrivals.report()
    got, late = sum(arrivals.counts), arrivals.out_of_order
    main.log(
        f"{VIA_QUEUE}: the listener handled {got:,} records, {late:,} out of order, "
        f"max delay {arrivals.max_delay_s * 1e3:.1f} ms"
    )
    return arrivals


def run(ctx: RunContext, params: dict) -> dict:
    """Log from the children without a queue, then through one, and compare what arrived."""
    processes, records = params["processes"], params["records"]
    pause_s = params["pause_ms"] / 1e3
    metrics: dict = dict.fromkeys(METRICS)  # every figure None until it is measured
    metrics[RECORDS_EXPECTED] = processes * records
    with ctx.private_dir("queue-logging-") as folder:
        path = os.path.join(folder, LOG_FILE)
        with parent_logging(path) as file:
            found = without_queue(ctx, processes, records, pause_s, path)
            metrics[RECORDS_WITHOUT_QUEUE] = found
            if ctx.should_stop():
                return metrics
            arrivals = via_queue(ctx, processes, records, pause_s, file)
    metrics[RECORDS_VIA_QUEUE] = sum(arrivals.counts)
    metrics[MAX_DELAY_MS] = arrivals.max_delay_s * 1e3
    metrics[OUT_OF_ORDER] = arrivals.out_of_order
    metrics[MISATTRIBUTED] = arrivals.misattributed
    return metrics


SCENARIO = Scenario(
    id="queue-logging",
    order=70,
    small_params={"processes": 2, "records": 40, "pause_ms": 1.0},
    short="Logging via a Queue",
    title="Logging from processes through a Queue",
    summary="Children log without a set-up of their own, then through a QueueHandler to the "
    "parent's QueueListener: only the queue brings every record home under every start method.",
    params=(
        ParamSpec(
            "processes", "int", default=4, minimum=1, maximum=16, help="Child processes logging."
        ),
        ParamSpec(
            "records",
            "int",
            default=200,
            minimum=1,
            maximum=5_000,
            help="Records each child logs (logger.info), in each phase.",
        ),
        ParamSpec(
            "pause_ms",
            "float",
            default=5.0,
            minimum=0.0,
            maximum=100.0,
            unit="ms",
            label="Pause",
            help="A child's pause between two records, so the log streams as you watch.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the child's only handler is a QueueHandler; the parent listens.
    focus=("root.handlers = [QueueHandler(queue)]", "listener = QueueListener("),
)
