"""The recording context: its processes are ordinary ones to their children."""

import multiprocessing

import pytest

from mpgui.core.child.recording_context import recording_context
from mpgui.core.protocol.run_spec import available_start_methods
from tests.process_tree import HANG_BOUND_S

#: Run in the child by ``exec`` (a builtin, so the target itself imports nothing): what class
#: its process object came back as, and which of mpgui's modules it had to import.
REPORT = (
    "import multiprocessing, sys; "
    "conn.send((type(multiprocessing.current_process()).__name__, "
    "sorted(m for m in sys.modules if m.split('.')[0] == 'mpgui')))"
)


@pytest.mark.parametrize(
    "method", [m for m in ("spawn", "forkserver") if m in available_start_methods()]
)
def test_a_child_gets_its_start_methods_own_process_class_and_imports_no_mpgui(method):
    # Otherwise every spawn and forkserver child would import mpgui to unpickle its process
    # object: milliseconds inside the start latency the start-methods scenario measures.
    ctx = recording_context(method)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=exec, args=(REPORT, {"conn": send}))
    proc.start()
    send.close()
    try:
        assert receive.poll(HANG_BOUND_S), "the child never reported"
        class_name, imported = receive.recv()
    finally:
        proc.join(HANG_BOUND_S)
    plain = type(multiprocessing.get_context(method).Process())
    assert class_name == plain.__name__
    assert imported == []
    assert proc.exitcode == 0
    assert type(proc).__name__.startswith("Recording")  # the parent's object still records
