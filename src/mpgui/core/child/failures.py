"""How a run fails because a process or a thread of it died: the two exceptions the conductor
turns into the run's ERROR.

Raised by the child watch (:mod:`~mpgui.core.child.child_watch`), which sees every death, and
by the worker helpers (:mod:`~mpgui.core.child.workers`), which notice one while they wait.
"""

from __future__ import annotations

from mpgui.core.protocol import events as ev


class WorkerFailed(RuntimeError):
    """A worker process (or a helper such as a Manager's server) ended badly: a non-zero
    exit code, or a signal its owner did not send.

    `name` is its ``multiprocessing`` process name, which tells a pool worker from a Manager's
    server.
    """

    def __init__(self, pid: int, exitcode: int, name: str = "") -> None:
        super().__init__(ev.ended(pid, exitcode, name))
        self.pid = pid
        self.exitcode = exitcode
        self.name = name

    def info(self) -> dict:
        """The ``info`` of an ERROR about this death: pid, exit code, signal, process name."""
        return ev.exit_info(self.pid, self.exitcode, self.name)


class ThreadFailed(RuntimeError):
    """A thread of the conductor died of an exception: a Pool's or an executor's own thread,
    without which the pool never finishes (it would wait forever). The thread's exception is
    the ``__cause__``."""

    def __init__(self, thread_name: str, exc: BaseException) -> None:
        super().__init__(
            f"the conductor's thread {thread_name!r} died: {type(exc).__name__}: {exc}"
        )
        self.thread_name = thread_name
        self.__cause__ = exc

    def info(self) -> dict:
        """The ``info`` of an ERROR about this: the thread's name."""
        return {"thread": self.thread_name}
