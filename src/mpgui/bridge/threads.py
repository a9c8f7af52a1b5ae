"""A registry of the QThreads mpgui starts, so tests can prove none is left running."""

from __future__ import annotations

import weakref

from PySide6.QtCore import QThread

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def track(thread: QThread) -> None:
    """Remember `thread` (weakly) so :func:`running` can report it."""
    _threads.add(thread)


def running() -> list[QThread]:
    """Tracked threads that are still running."""
    out = []
    for t in list(_threads):
        try:
            if t.isRunning():
                out.append(t)
        except RuntimeError:  # the C++ object is already gone
            continue
    return out
