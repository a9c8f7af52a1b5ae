"""Everything known about one run, folded from its events: the model behind plots and results.

:class:`RunState` is Qt-free so that the headless runner builds its ``--json`` result and the
window draws its plots from the same state. Every history it keeps is bounded (spans, CPU
samples, metric series, log lines), so a run of any length holds a fixed amount of memory.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from mpgui.core.protocol import events as ev
from mpgui.core.protocol.run_spec import RunSpec

#: Most recent task spans kept for the timeline (a few MB at most: 40 bytes a span). The
#: issue's frame-time point draws 25,000, so at least that many are kept.
MAX_SPANS = 25_000
#: CPU samples kept (10 Hz → one minute).
MAX_CPU_SAMPLES = 600
#: Samples kept per live metric series.
MAX_METRIC_SAMPLES = 5_000
#: Log lines kept.
MAX_LOG_LINES = 5_000
#: The log level of the line that says a run was stopped on purpose (Stop, Ctrl+C).
STOP_LEVEL = "STOP"


@dataclass
class Lane:
    """One process on the timeline: a pool worker, or the conductor's own ("main") lane.

    Or, with a negative `pid`, a lane of many processes that live one after another, which
    the conductor reports itself (start-methods: one lane per method's children). Or, with a
    `tid`, one thread of process `process` (a ThreadPool's worker): then `pid`, the lane's id
    in events, is that tid.
    """

    pid: int
    role: str
    label: str
    index: int
    tid: int = 0  # a thread lane's native thread id; 0 for a process's lane
    process: int = 0  # the pid of the process the lane runs in (its own pid if a process)
    tasks_done: int = 0
    cores: set[int] = field(default_factory=set)
    #: Finished tasks by the core each ended on (-1: unknown); the counts sum to tasks_done.
    core_tasks: dict[int, int] = field(default_factory=dict)
    current_core: int = -1
    open_task: int | None = None
    open_since: int = 0
    exitcode: int | None = None  # set when the conductor saw the process end
    died: bool = False  # it ended badly: a non-zero code, or a signal its owner did not send
    ended_ns: int = 0
    lost_task: int | None = None  # the task it was running when it died
    cut_task: int | None = None  # the task it was running when it was ended (Stop, a failure)

    def __post_init__(self) -> None:
        if not self.process:
            self.process = self.pid

    def see_core(self, cpu: int) -> None:
        """Record that this process was seen on core `cpu`."""
        if cpu >= 0:
            self.current_core = cpu
            self.cores.add(cpu)


class RunState:
    """Folds a run's event batches into plot-ready state. See :mod:`mpgui.core.protocol.events`."""

    def __init__(self, spec: RunSpec, t0_ns: int | None = None) -> None:
        self.spec = spec
        self.t0_ns = ev.now_ns() if t0_ns is None else t0_ns
        self.t_end_ns: int | None = None
        self.lanes: list[Lane] = []
        self._lane_of: dict[int, Lane] = {}
        # Spans as parallel int64 arrays (lane index, start, end, core it ended on, task): a
        # packed SPANS event is folded in by copying whole columns, with no Python object per
        # task, and a plot copies a column into numpy through the buffer protocol.
        self.span_lane = array("q")
        self.span_t0 = array("q")
        self.span_t1 = array("q")
        self.span_cpu = array("q")
        self.span_task = array("q")  # the task number each span ran
        self.span_total = 0  # spans ever added (the arrays above keep only the newest)
        self.cpu_t: deque[int] = deque(maxlen=MAX_CPU_SAMPLES)
        self.cpu_loads: deque[tuple[float, ...]] = deque(maxlen=MAX_CPU_SAMPLES)
        self.series: dict[str, deque[tuple[int, float]]] = {}
        self.phases: list[tuple[int, str]] = []
        self.plan: dict[str, Any] = {}
        self.phase_done = 0  # tasks finished since the current phase began
        self.tasks_done = 0
        self.logs: deque[tuple[int, int, str, str]] = deque(maxlen=MAX_LOG_LINES)
        self.log_count = 0  # log lines ever added: lets a view fetch only the new ones
        self.metrics: dict[str, Any] = {}
        self.error: dict[str, Any] | None = None
        self.status: str | None = None  # a DONE status, or set by the host on failure
        self._host_verdict = False  # the host's own failure verdict wins over a later DONE
        # The first process whose end failed the run, as an error: the cause of the run's
        # failure if the conductor cannot say so itself (it was stopped, timed out, killed).
        self.first_death: dict[str, Any] | None = None
        self.revision = 0  # bumps on every apply(): redraw only when it moved

    # -- folding events ------------------------------------------------------------------
    def apply(self, events: list[tuple]) -> None:
        """Fold a batch of events into the state (layouts: :data:`~events.FIELDS`)."""
        if not events:
            return
        self.revision += 1
        lane_of = self._lane_of
        # The cases are tried in order: the kinds a flood is made of come first.
        for event in events:
            match event:
                case (ev.SPANS, _, pid, data):
                    lane = lane_of.get(pid)
                    if lane is not None:
                        self._fold_spans(lane, data)
                case (ev.START, t, pid, task):
                    lane = lane_of.get(pid)
                    # A process's last START can arrive after the conductor reported its end
                    # (two channels): a dead lane shows no task running.
                    if lane is not None and lane.exitcode is None:
                        lane.open_task = task
                        lane.open_since = t
                case (ev.METRIC, t, _, name, value):
                    series = self.series.get(name)
                    if series is None:
                        series = self.series[name] = deque(maxlen=MAX_METRIC_SAMPLES)
                    series.append((t, value))
                case (ev.CPU, t, loads):
                    self.cpu_t.append(t)
                    self.cpu_loads.append(loads)
                case (ev.WHERE, _, pid, cpu):
                    lane = lane_of.get(pid)
                    if lane is not None:
                        lane.see_core(cpu)
                case (ev.END, t, pid, task, cpu):
                    lane = lane_of.get(pid)
                    if lane is not None:
                        # A span of one, folded as SPANS are: it began at the START shown
                        # running if that was this task's, else (its START unseen) at its END.
                        start = lane.open_since if lane.open_task == task else t
                        self._fold_spans(lane, ev.one_span(task, start, t, cpu))
                case (ev.HELLO, t, pid, cpu, role, label):
                    self._apply_hello(t, pid, cpu, role, label)
                case (ev.THREAD, t, tid, pid, cpu, label):
                    self._apply_hello(t, pid, cpu, "worker", label, tid)
                case (ev.LOG, t, pid, level, message):
                    self.add_log(t, pid, level, message)
                case (ev.PHASE, t, name):
                    self.phases.append((t, name))
                    self.phase_done = 0
                    self.add_log(t, 0, "INFO", f"phase: {name}")
                case (ev.PLAN, _, info):
                    self.plan = dict(info)
                case (ev.RESULT, _, metrics):
                    self.metrics = dict(metrics)
                case (ev.EXIT, t, pid, exitcode, bad, name):
                    self._apply_exit(t, pid, exitcode, bad, name)
                case (ev.ERROR, t, type_, message, traceback, info):
                    self._apply_error(t, type_, message, traceback, dict(info))
                case (ev.DONE, t, status):
                    if not self._host_verdict:
                        # A run with an error did not succeed, whatever its conductor thought
                        # (the host found a malformed message, a task ran past its timeout).
                        self.status = ev.STATUS_ERROR if self.error is not None else status
                    self.t_end_ns = t
                # No case for anything else: the host lets only well-formed events through
                # (handle.valid_batch checks each against events.FIELDS).
        if len(self.span_t0) > MAX_SPANS + MAX_SPANS // 4:
            cut = len(self.span_t0) - MAX_SPANS
            del self.span_lane[:cut], self.span_t0[:cut], self.span_t1[:cut]
            del self.span_cpu[:cut], self.span_task[:cut]

    def _fold_spans(self, lane: Lane, data: bytes) -> None:
        """Fold a SPANS event's `data`, `lane`'s finished tasks, by whole columns, not per task."""
        tasks, starts, ends, cpus = ev.span_blocks(data)
        n = len(cpus) // ev.SPAN_ITEM
        if n == 0:
            return
        lane.tasks_done += n
        self.tasks_done += n
        self.phase_done += n
        self.span_total += n
        lane.open_task = None  # a process runs one task at a time: the one shown running ended
        raw = cpus.tobytes()
        cores = cpus.cast(ev.SPAN_TYPECODE)
        core_tasks = lane.core_tasks
        if raw == raw[: ev.SPAN_ITEM] * n:  # the usual case: every task on one core
            lane.cores.add(cores[0])
            core_tasks[cores[0]] = core_tasks.get(cores[0], 0) + n
        else:
            on = cores.tolist()
            lane.cores.update(on)
            for cpu in set(on):  # a batch spans a few cores: count per core, not per task
                core_tasks[cpu] = core_tasks.get(cpu, 0) + on.count(cpu)
        lane.cores.discard(-1)
        if cores[-1] >= 0:
            lane.current_core = cores[-1]
        if n > MAX_SPANS:  # only the newest MAX_SPANS are kept: skip copying the rest
            cut = (n - MAX_SPANS) * ev.SPAN_ITEM
            tasks, starts, ends, cpus = tasks[cut:], starts[cut:], ends[cut:], cpus[cut:]
            n = MAX_SPANS
        self.span_lane.extend(array("q", [lane.index]) * n)
        self.span_task.frombytes(tasks)
        self.span_t0.frombytes(starts)
        self.span_t1.frombytes(ends)
        self.span_cpu.frombytes(cpus)

    def _apply_hello(self, t: int, pid: int, cpu: int, role: str, label: str, tid: int = 0) -> None:
        """A process's lane (HELLO), or with a `tid` a thread lane of process `pid` (THREAD)."""
        key = tid or pid  # what the lane's later events name it by
        if key not in self._lane_of:
            lane = Lane(key, role, label or f"pid {pid}", len(self.lanes), tid=tid, process=pid)
            self.lanes.append(lane)
            self._lane_of[key] = lane
            if tid:
                self.add_log(t, tid, "INFO", f"{role} thread {tid} of process {pid} started")
            elif pid > 0:  # not a lane of many processes (a negative id): nothing started
                self.add_log(t, pid, "INFO", f"{role} process {pid} started on core {cpu}")
        self._lane_of[key].see_core(cpu)

    def _apply_error(
        self, t: int, type_: str, message: str, traceback: str | None, info: dict[str, Any]
    ) -> None:
        lane = self._lane_of.get(info.get("pid", -1))
        if lane is not None and "task" not in info:
            task = lane.lost_task if lane.lost_task is not None else lane.open_task
            if task is not None:
                info["task"] = task
        self.add_log(t, 0, "ERROR", f"{type_}: {message}\n{traceback or ''}".rstrip())
        if self.error is None:  # the first failure is the cause; later ones follow from it
            self.error = {"type": type_, "message": message, "traceback": traceback, **info}

    def _apply_exit(self, t: int, pid: int, exitcode: int, bad: bool, name: str) -> None:
        lane = self._lane_of.get(pid)
        if lane is not None:
            lane.exitcode = exitcode
            lane.died = bad
            lane.ended_ns = t
            if bad:
                lane.lost_task = lane.open_task
            else:
                lane.cut_task = lane.open_task
            lane.open_task = None
        if not bad:
            return
        # A helper that never reported (a Manager's server) has no lane, but its death counts.
        doing = ""
        if lane is not None and lane.lost_task is not None:
            doing = f" while running task {lane.lost_task}"
        line = ev.ended(pid, exitcode, name) + doing
        first = self.first_death
        if first is None:
            self.first_death = {
                "type": "WorkerFailed",
                "message": ev.ended(pid, exitcode, name),
                "traceback": None,
                **ev.exit_info(pid, exitcode, name),
            }
            if lane is not None and lane.lost_task is not None:
                self.first_death["task"] = lane.lost_task
        else:
            # The first death is the cause; what dies after it most likely died of it.
            line += f", after {ev.who(first['pid'], first.get('process', ''))} had died"
        self.add_log(t, pid, "ERROR", line)

    def add_log(self, t: int, pid: int, level: str, message: str) -> None:
        """Append a log line (also used by the host for its own messages)."""
        self.logs.append((t, pid, level, message))
        self.log_count += 1

    def new_logs(self, seen: int) -> tuple[list[tuple[int, int, str, str]], int]:
        """Log lines added after the first `seen`, and the new count to pass next time."""
        fresh = min(self.log_count - seen, len(self.logs))
        lines = list(self.logs)[len(self.logs) - fresh :] if fresh > 0 else []
        return lines, self.log_count

    # -- the host's verdicts -------------------------------------------------------------
    def fail(
        self,
        type_: str,
        message: str,
        status: str = ev.STATUS_ERROR,
        info: dict[str, Any] | None = None,
    ) -> None:
        """Record a failure the host saw itself (a stop, a timeout, a dead conductor).

        A stop (`status` :data:`~events.STATUS_STOPPED`) is logged at :data:`STOP_LEVEL` with
        `message` alone ("stopped by the user"), anything else as an ERROR.

        The first error is kept (a scenario's own traceback beats "the conductor died"), but
        a run always ends up with a status. A process that died badly before the host's
        verdict is the cause: the run failed then, whatever ended it afterwards. `info` adds
        fields to the error (pid, task …).
        """
        if self.error is None:
            if status == ev.STATUS_STOPPED:
                # Someone ended the run on purpose (Stop, Ctrl+C): a stop, not an error.
                self.add_log(ev.now_ns(), 0, STOP_LEVEL, message)
            else:
                self.add_log(ev.now_ns(), 0, "ERROR", f"{type_}: {message}")
            if self.first_death is not None:
                self.error = dict(self.first_death)
                status = ev.STATUS_ERROR
            else:
                self.error = {"type": type_, "message": message, "traceback": None, **(info or {})}
            self.status = status
            self._host_verdict = True
        elif self.status is None:
            self.status = status
        self.revision += 1

    def fail_to_start(self, reason: str) -> None:
        """The run could not even start (no room for its semaphores, a process limit): it is
        over, failed, and says why."""
        self.fail("StartFailed", reason)
        self.finish()

    def finish(self, exitcode: int | None = None) -> None:
        """Mark the run over on the host side; `exitcode` is the conductor's.

        The wall-clock end is the conductor's DONE if it sent one, else now. A run that ended
        without a DONE is reported as a dead conductor, with how it ended.
        """
        if self.t_end_ns is None:
            self.t_end_ns = ev.now_ns()
        if self.status is None:
            if exitcode in (None, 0):
                how = "exited without reporting a result"
            else:
                how = ev.how_it_ended(exitcode)
            self.fail("ConductorDied", f"the conductor {how}")
        self.revision += 1

    # -- reading -------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """True once the run has ended one way or another."""
        return self.status is not None

    @property
    def ok(self) -> bool:
        """True when the scenario ran to the end and reported its metrics."""
        return self.status == ev.STATUS_OK and self.error is None

    def elapsed_s(self, now_ns: int | None = None) -> float:
        """Seconds since the run started (frozen once it has ended)."""
        end = self.t_end_ns if self.t_end_ns is not None else (now_ns or ev.now_ns())
        return max(0.0, (end - self.t0_ns) / 1e9)

    def workers(self) -> list[Lane]:
        """Lanes of pool workers (not the conductor's main lane)."""
        return [lane for lane in self.lanes if lane.role == "worker"]

    def current_phase(self) -> str | None:
        """The name of the phase the scenario is in, if it declared any."""
        return self.phases[-1][1] if self.phases else None

    def result(self) -> dict[str, Any]:
        """The run's result: the same dict ``mpgui run --json`` prints."""
        return {
            **self.spec.to_json(),
            "ok": self.ok,
            "status": self.status,
            "wall_s": round(self.elapsed_s(), 6),
            "workers": [
                {
                    "pid": w.process,
                    **({"tid": w.tid} if w.tid else {}),
                    "tasks": w.tasks_done,
                    "cores": sorted(w.cores),
                }
                for w in self.workers()
            ],
            "metrics": dict(self.metrics),
            "error": self.error,
        }
