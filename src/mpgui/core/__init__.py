"""mpgui.core: everything that runs without Qt — in the host process and in a run's children.

Nothing here imports Qt or pyqtgraph (an import-linter contract enforces it: a spawn child that
imported Qt would start many times slower), nor any scenario: the conductor imports the one
scenario model a :class:`~mpgui.core.protocol.run_spec.RunSpec` names.

Which module runs where::

  host process: the window (GUI thread + drain thread) or `mpgui run`
  ┌──────────────────────────────────────────────────────────────────────────────┐
  │ host/handle.py   Conductor: starts the run, collect() waits on every channel │
  │                  and the conductor's sentinel, ends the run's process group  │
  │ host/task_timeouts.py  ends a worker whose task passed its limit             │
  │ host/telemetry.py      per-core load, each process's core (10 Hz)            │
  │ host/runner.py   the headless loop: Conductor.collect → RunState, to the end │
  │ model/run_state.py  RunState: events folded into what plots and --json show  │
  └──────┬──────────────────▲─────────────────▲──────────────────▲───────────────┘
         │ spawn(RunSpec)   │ control pipe    │ events pipe      │ output pipe
         │                  │ (main lane,     │ (worker batches) │ (stdout+stderr,
         │                  │ RESULT, DONE)   │                  │  line by line)
  conductor process: own process group, nice +10, dies with its host
  ┌──────▼──────────────────┴─────────────────┼──────────────────┴───────────────┐
  │ child/conductor.py   conductor_main: imports the scenario's model, runs it   │
  │ child/child_watch.py a thread that sees every process start and end, and     │
  │                      turns a bad exit into the run's failure                 │
  │ child/run_context.py RunContext: ctx.pool/executor/manager/process for run() │
  │ child/recording_context.py  the contexts those use: their processes say when │
  │                      they start and when their owner ends them               │
  │ child/workers.py     start processes together, wait on them, end them all    │
  │ child/teardown.py    how a conductor ends without leaving anything behind    │
  └──────┬────────────────────────────────────┼──────────────────────────────────┘
         │ fork / spawn / forkserver          │
  worker processes (Pool, executor, Manager, Process — as the scenario's code says)
  ┌──────▼────────────────────────────────────┴──────────────────────────────────┐
  │ protocol/probe.py    the probe: tasks, metrics, logs → batched events        │
  └──────────────────────────────────────────────────────────────────────────────┘

Shared by both sides (``protocol/``): the event layouts (``events``), the run's event pipe
that workers write to (``channel``), their framing on a pipe (``frames``), ``RunSpec`` and the
start methods (``run_spec``), the run's stop flag (``stop_flag``), the names its OS objects get
(``run_names``), reading a process's core (``cpu``). Used on both sides too: the one way to end
processes (:mod:`~mpgui.core.ending`), every bound on how long anything waits for one
(:mod:`~mpgui.core.timing`), and the one module that names ``multiprocessing``'s private
internals (:mod:`~mpgui.core.mp_private`, which says why each). What a scenario declares is
:mod:`~mpgui.core.scenario` and its parameters :mod:`~mpgui.core.params`; both are imported
wherever a scenario is.
"""
