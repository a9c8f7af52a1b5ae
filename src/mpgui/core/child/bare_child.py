"""The trivial child of the start-methods scenario, in a module that imports nothing heavy.

Under spawn and forkserver a child must import the module its target lives in (and that
module's packages) before it can run the target. Living here — ``mpgui`` and ``mpgui.core``
import nothing — keeps that import at well under a millisecond, so the latency the scenario
measures is the start method's, not mpgui's.
"""

import time

#: A module global; the parent changes it after import, before starting children.
MARK = "as imported"
#: What the parent sets :data:`MARK` to.
CHANGED = "changed by the parent"


def child(conn) -> None:
    """Note when this process began running, whether it sees the parent's change, and say so."""
    t_first_line = time.perf_counter_ns()  # first line: the start latency ends here
    from mpgui.core.protocol.cpu import current_cpu  # after the timestamp: not part of the latency

    conn.send((t_first_line, MARK == CHANGED, current_cpu()))
    conn.close()
