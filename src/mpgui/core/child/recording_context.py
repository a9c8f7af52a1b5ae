"""A ``multiprocessing`` context whose processes say when they start and when their owner ends
them: the public route to what the child watch needs from the processes mpgui creates.

``Pool(context=)``, ``ProcessPoolExecutor(mp_context=)`` and ``SyncManager(ctx=)`` make every
process they need — replacements included — through their context's ``Process``. So a context
whose ``Process`` is a subclass recording ``start()``, ``terminate()`` and ``kill()`` sees all
of theirs, without patching any of ``multiprocessing``'s classes. ``RunContext.mp`` is one
(:func:`recording_context`), and so is every context ``RunContext`` hands out.

What the recording is for (the child watch registers itself with :func:`set_recorder`):

- **after** ``start()`` **returns** (:meth:`Recorder.process_started`): the watch's thread,
  stopped around a fork, comes back there — not in the after-fork hook, because Python 3.13
  counts a process's threads for its fork warning only after that hook has run;
  :func:`in_process_start` says whether a fork happens inside such a ``start()``;
- **before its owner ends it** (:meth:`Recorder.process_ended_by_owner`): ``terminate()`` or
  ``kill()`` on a process still running, as ``Pool.terminate()`` or ``RunContext.running`` do,
  is no failure of the run — a SIGTERM from anyone else is.

A process started some other way (a plain ``multiprocessing.get_context()``) is still *seen*
(:func:`mpgui.core.mp_private.watch_children`): it only lacks these two refinements.

The subclasses are made for every start method at import, under names of this module. A
process object pickled for a spawn or forkserver child is pickled as its start method's own
class (the child has nothing to record), so such a child never imports this module: the start
latency the start-methods scenario measures is the start method's, not mpgui's.
"""

from __future__ import annotations

import multiprocessing
import threading
import weakref
from typing import Any, Protocol


class Recorder(Protocol):
    """What recording processes tell (the child watch)."""

    def process_started(self, proc: Any) -> None:
        """``proc.start()`` has returned (or raised)."""

    def process_ended_by_owner(self, proc: Any) -> None:
        """``proc``'s owner is about to terminate or kill it, while it still runs."""


_recorder: Recorder | None = None
#: Per thread: how deep it is in a recording ``start()``.
_starting = threading.local()


def set_recorder(recorder: Recorder | None) -> Recorder | None:
    """Make `recorder` the one told from now on (None: nobody); returns the previous one."""
    global _recorder
    previous, _recorder = _recorder, recorder
    return previous


def in_process_start() -> bool:
    """True while this thread is inside a recording process's ``start()``."""
    return getattr(_starting, "depth", 0) > 0


def still_running(proc: Any) -> bool:
    """True if `proc` has not ended, asked without reaping it (its owner does that)."""
    from multiprocessing.connection import wait  # noqa: PLC0415 - see the module docstring

    from mpgui.core import mp_private  # noqa: PLC0415

    if mp_private.reaped_exit_code(proc) is not None:
        return False
    try:
        return not wait([proc.sentinel], 0)
    except (OSError, ValueError):  # closed, or never started
        return False


class _Records:
    """The recording part of every recording process class (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # multiprocessing names a process after its class ("ForkProcess-3", and a Pool's
        # worker "ForkPoolWorker-3"): a learner's `current_process().name` and every log
        # record's processName must read as they would without mpgui, not "Recording…".
        ours = type(self).__name__ + "-"
        if self._name.startswith(ours):
            self._name = self._plain_class.__name__ + "-" + self._name[len(ours) :]

    def start(self) -> None:
        """Start the process as usual; then tell the recorder."""
        _starting.depth = getattr(_starting, "depth", 0) + 1
        try:
            super().start()
        finally:
            _starting.depth -= 1
            if _recorder is not None:
                _recorder.process_started(self)

    def terminate(self) -> None:
        """SIGTERM the process; first tell the recorder, if it still runs."""
        if _recorder is not None and still_running(self):
            _recorder.process_ended_by_owner(self)
        super().terminate()

    def kill(self) -> None:
        """SIGKILL the process; first tell the recorder, if it still runs."""
        if _recorder is not None and still_running(self):
            _recorder.process_ended_by_owner(self)
        super().kill()

    def __reduce__(self) -> tuple:
        # A spawn or forkserver child is sent its process object pickled. The child never
        # records (the watch is its conductor's), so it gets the start method's own class:
        # unpickling then imports nothing of mpgui, and the start latency the start-methods
        # scenario measures stays the start method's own.
        return (object.__new__, (self._plain_class,), self.__dict__)


class _RecordingContext:
    """The recording part of every recording context class: its ``Process`` makes a
    recording process, and the context keeps (weakly) each one it made."""

    _process_class: type

    def __init__(self) -> None:
        # Weak: a Pool that replaces its workers for ever must not keep every one it had.
        self._made: weakref.WeakSet[Any] = weakref.WeakSet()
        # A Pool's worker handler thread makes replacements while another thread may list them.
        self._made_lock = threading.Lock()

    def Process(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - multiprocessing's name
        """A new (unstarted) recording process, as ``multiprocessing.Process`` takes it."""
        proc = self._process_class(*args, **kwargs)
        with self._made_lock:
            self._made.add(proc)
        return proc

    def made(self) -> list[Any]:
        """The processes this context made that still exist (a Pool's workers, say)."""
        with self._made_lock:
            return list(self._made)


_CONTEXT_CLASSES: dict[str, type] = {}


def _make_classes(method: str) -> None:
    """Make, and name in this module, the recording process and context classes of `method`."""
    base = multiprocessing.get_context(method)
    name = f"Recording{method.capitalize()}"
    process_class = type(
        f"{name}Process",
        (_Records, base.Process),
        {
            "__module__": __name__,
            "__doc__": f"A {method} process that records (see module).",
            "_plain_class": base.Process,
        },
    )
    globals()[process_class.__name__] = process_class  # where unpickling looks it up
    _CONTEXT_CLASSES[method] = type(
        f"{name}Context",
        (_RecordingContext, type(base)),
        {"__module__": __name__, "_process_class": process_class},
    )


for _method in multiprocessing.get_all_start_methods():
    _make_classes(_method)


def recording_context(method: str | None = None) -> Any:
    """A new recording context for start method `method` (None: this process's default).

    It is a ``multiprocessing`` context like ``get_context(method)``'s — its Pool, Queue,
    Lock, Manager work as usual — whose processes record (see the module docstring).
    """
    concrete = multiprocessing.get_context(method).get_start_method()
    return _CONTEXT_CLASSES[concrete]()
