"""Regression: PySide6 6.12.0 on Python 3.11 drops a reference to True on every emit."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ping = Signal(int)


def test_ten_thousand_emits_leave_the_refcount_of_true_unchanged(qapp):
    emitter = _Emitter()
    received = []
    emitter.ping.connect(received.append)
    emitter.ping.emit(-1)  # warm up any one-time caches before measuring
    before = sys.getrefcount(True)
    for i in range(10_000):
        emitter.ping.emit(i)
    after = sys.getrefcount(True)
    assert len(received) == 10_001
    # The broken build loses exactly one reference per emit: 10,000 here.
    assert abs(after - before) < 100, (before, after)
