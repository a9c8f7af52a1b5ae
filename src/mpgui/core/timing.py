"""Every bound on how long mpgui waits for a process, in one place, each with its reason.

A run ends in many ways (Stop, a task timeout, a dead worker, window close, Ctrl+C, a killed
host); all of them go through :mod:`mpgui.core.ending`, and none waits without a bound. The
bounds are here, side by side, because they depend on each other: the conductor must end its
own workers inside the host's Stop grace, the whole Stop must fit the 2 s budget the test
suite's leftover guard allows, the child watch's grace must be shorter than its cleanup bound.

Seconds throughout (``_S``), as ``time.monotonic`` and ``wait(timeout)`` take them.
"""

from __future__ import annotations

# -- the host ends a run's process group (core/host/handle.py) ---------------------------------

#: After Stop sets the run's stop flag: how long the scenario gets to wind down by itself before
#: SIGTERM goes to its process group. Scenarios check the flag between tasks (default tasks are
#: tens of ms) and then close their pools; 1 s covers that on a loaded machine, and with
#: :data:`GROUP_TERM_GRACE_S` and the SIGKILL keeps Stop within its 2 s budget.
STOP_GRACE_S = 1.0
#: After SIGTERM to the run's group: how long before SIGKILL. The conductor's SIGTERM handler
#: kills its workers and unlinks the run's semaphores in milliseconds; half a second leaves
#: room for a machine whose cores the run keeps busy.
GROUP_TERM_GRACE_S = 0.5
#: After the conductor has exited: how long processes it left in its group (orphans) get after
#: SIGTERM. They have no handler of ours (forked workers reset it), so the default action ends
#: them at once; this is only for one that handles or ignores SIGTERM.
LEFTOVER_TERM_GRACE_S = 0.3
#: After SIGKILL to the run's group: how long to wait for it to be empty. SIGKILL cannot be
#: caught; what remains is the kernel tearing processes down (and init reaping orphans).
GROUP_KILL_WAIT_S = 1.0
#: How often a blocking end of a group looks whether it is empty yet: a group has no handle to
#: wait on, and 10 ms is short next to every grace above while costing nothing measurable.
GROUP_POLL_S = 0.01
#: How long a conductor that has reported and closed its pipe may take to exit before it is
#: ended: its exit joins its children, normally in milliseconds; one that ignores SIGTERM would
#: keep it there forever.
CONDUCTOR_LINGER_S = 2.0
#: How long ``Conductor.close`` waits for a conductor to exit by itself (it has reported: the
#: group is normally gone already) before it is SIGKILLed.
CONDUCTOR_EXIT_S = 1.0

# -- the host ends one worker whose task passed its timeout (core/host/task_timeouts.py) --------

#: After SIGTERM to a worker whose task passed its limit: how long before SIGKILL. A worker
#: with the default action is gone at once; one stuck in C code or ignoring SIGTERM is not
#: worth waiting longer for (its task is already lost).
TIMEOUT_TERM_GRACE_S = 0.5

# -- the conductor ends the workers a scenario started (core/child/) -----------------------------

#: After Stop: how long ``RunContext.running`` waits for its workers to return by themselves
#: before it ends them. Well inside :data:`STOP_GRACE_S`, so the conductor ends its own
#: workers (owner-ended: no failure) before the host's SIGTERM comes.
WORKER_STOP_WAIT_S = 0.3
#: How long a run's page server gets to end by itself when its block ends without a Stop.
#: Told to end, it settles (``page_server.END_SETTLE_S``), sends its last report and exits:
#: well under :data:`WORKER_STOP_WAIT_S` on a quiet machine, but a spawned interpreter's exit
#: on a loaded one can take longer, and a run that goes on has no Stop budget to keep to.
#: Past it the server is ended (and its last report lost); after Stop it gets
#: :data:`WORKER_STOP_WAIT_S`, as every worker does.
SERVER_END_S = 2.0
#: How long a scenario's ``QueueListener`` gets to hand on what is still queued and end its
#: thread (queue-logging; a few ms normally). After a Stop it must fit, with
#: :data:`WORKER_STOP_WAIT_S`, inside :data:`STOP_GRACE_S`: past it the thread is left to die
#: with the conductor.
LISTENER_STOP_S = 0.5
#: After ``terminate()``: how long a worker — or a Pool's ``terminate()``, which joins its
#: workers — gets before SIGKILL. The default action ends a worker at once; a second covers a
#: worker whose handler flushes, without letting one that ignores SIGTERM hold the run up.
WORKER_TERM_GRACE_S = 1.0
#: Once the run has failed: how long a Pool's ``terminate()`` gets before its workers are
#: killed. It stops starting workers at once (the first thing it does); the rest only matters
#: to a run that goes on, and a failed run's conductor ends every process anyway.
POOL_HURRIED_TERMINATE_S = 0.1
#: A run that goes on, after a Pool's stragglers were killed: how long ``terminate()`` may take
#: to finish (it only waited for them). If it waits on a lock a dead worker held, it is left
#: behind in its daemon thread.
POOL_TERMINATE_FINISH_S = 0.5
#: How long a SIGKILLed child is waited for (reaped): a bound, not an expectation — SIGKILL
#: cannot be caught, but a process in uninterruptible sleep (disk, NFS) ends when the kernel
#: lets it.
KILLED_EXIT_S = 2.0
#: How often a parent looks at its workers while it waits for them (a start line, their exit):
#: a crashed worker is then reported within this, and 50 ms is a poll nobody notices.
WORKER_POLL_S = 0.05
#: How long a warm pool (``RunContext.warm_pool``) may take until every worker has started and
#: run its initializer. A spawn worker starts in ~30–80 ms and eight of them start one after
#: another; on a loaded machine seconds. Past this something is wrong: the run fails, saying so.
POOL_READY_S = 60.0
#: How long a thread pool's threads get to finish their tasks once the pool is ended (a
#: failure, Stop): threads cannot be killed. Ones still busy after this are left to the
#: conductor's exit (they are daemon threads).
THREAD_POOL_END_S = 1.0
#: How long a thread pool's idle threads get to exit when its block ends normally. They exit
#: within milliseconds; past this (a task still running) the run fails rather than go on with
#: live threads, which the next fork would copy in the middle of whatever they were doing.
THREAD_POOL_JOIN_S = 10.0

# -- the child watch (core/child/child_watch.py) ------------------------------------------------

#: How long the scenario's own machinery gets to notice a death before the watch interrupts
#: the main thread: a ProcessPoolExecutor's manager thread waits on its workers' sentinels
#: and raises BrokenProcessPool at once, ``RunContext.running`` sees a bad exit within
#: :data:`WORKER_POLL_S`; 0.3 s is both of those with room, and still feels immediate.
FAIL_GRACE_S = 0.3
#: How long after the interrupt a failed run's cleanup may take before the watch reports the
#: failure itself and ends the run. Cleanup after a failure is hurried (``child_watch.failing``),
#: so this only catches a wait that would never end (a lock a dead worker held).
CLEANUP_BOUND_S = 1.0
#: How long the watch leaves a dead process's exit code to its owner before reading it by
#: reaping it (where it cannot be seen without reaping): owners poll every 0.1 s or faster.
REAP_WAIT_S = 0.2
#: How often the watch looks while something is pending (a death, a due interrupt).
WATCH_POLL_S = 0.05
#: How long the watch waits when nothing is pending: a new process or a signal wakes it through
#: its pipe at once, and a sentinel when a process ends, so this only bounds an idle wait.
WATCH_IDLE_S = 1.0
#: How long stopping the watch thread before a fork may take: it wakes at once; a bound anyway.
STOP_FOR_FORK_S = 1.0
#: How long ``ChildWatch.close`` waits for the thread's last look (normally a few ms) before it
#: looks itself.
WATCH_LAST_LOOK_S = 1.0
#: How long the conductor's main thread waits for the watch thread, which took over reporting a
#: stuck run, to finish that report (it writes a few events) before ending the process.
WATCH_REPORT_S = 2.0
