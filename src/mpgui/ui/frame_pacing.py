"""Frame pacing: when the window's next frame is due, and how much CPU its frames may take.

DESIGN: plots redraw from state on a paced timer — a CPU budget, at least 20 frames a second
while events pour in — never per event. :class:`FramePacer` is that policy and nothing else:
it reads no clock and imports no Qt. The window reads its GUI thread's CPU clock and the
protocol's wall clock at each tick and hands them in; the pacer answers with the period to
wait until the next frame. Tests drive it with made-up clock values.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Fastest redraw period while a run is going (~30 Hz): as often as a frame can show
#: something new, since the bridge hands on at most ~30 batches a second.
REDRAW_MS = 33
#: Slowest redraw period while events pour in (25 frames a second), however expensive frames
#: get: what is on screen is then never more than this, plus the bridge's batching and the
#: frame itself, behind the run. In a flood this period is most of the display lag, so it is
#: kept short (``benchmarks/bridge_throughput.py`` reports the lag).
REDRAW_MAX_MS = 40
#: Events per second from which they "pour in". Below it (a CPU-bound pool finishes a few dozen
#: tasks a second) a frame shows little that is new, and the CPU budget alone spaces frames, up
#: to :data:`REDRAW_TRICKLE_MAX_MS`: the cores go to the run being measured.
FLOOD_EVENTS_PER_S = 1000.0
#: Slowest redraw period while only a trickle of events arrives.
REDRAW_TRICKLE_MAX_MS = 250
#: Share of one core the window may spend on a run's frames (painting included) while the
#: machine has a core to spare ...
FRAME_CPU_BUDGET = 0.15
#: ... and while the run keeps every core busy. Watching must not change what is watched: then
#: every % the window takes, a worker loses (on 2 cores, 15 % of one core is 7.5 % of the
#: machine, taken straight out of a pool's speedup).
FRAME_CPU_BUDGET_BUSY = 0.05
#: Mean load (%) of all cores, in the latest CPU sample, at which the machine counts as busy.
BUSY_LOAD_PCT = 85.0
#: Weight of the newest frame's cost in the smoothed cost per frame: one slow frame (a
#: collection, a resize) nudges the period, a lasting change moves it within a few frames.
NEWEST_FRAME_WEIGHT = 0.3


def frame_budget(loads: Sequence[float]) -> float:
    """The share of one core frames may take, given the latest per-core loads (%).

    Less while the run needs every core; with no sample yet, the machine counts as not busy.
    """
    if loads and sum(loads) / len(loads) >= BUSY_LOAD_PCT:
        return FRAME_CPU_BUDGET_BUSY
    return FRAME_CPU_BUDGET


class FramePacer:
    """Spaces a run's frames so drawing them keeps to a CPU budget.

    Per run: :meth:`start` once, :meth:`count` as event batches arrive, and at every frame
    :meth:`frame_done`, which returns the period (ms) until the next one. That period is
    what keeps the window's smoothed CPU cost per frame within :func:`frame_budget`, but at
    least :data:`REDRAW_MS`, and at most :data:`REDRAW_MAX_MS` while events pour in
    (:data:`REDRAW_TRICKLE_MAX_MS` otherwise).

    Clocks are the caller's: `cpu_s` is the GUI thread's CPU time in seconds
    (``time.thread_time()``), `now_ns` the protocol's wall clock (``events.now_ns()``).
    """

    def __init__(self) -> None:
        self._cpu_s = 0.0  # GUI-thread CPU time at the last frame (or the run's start)
        #: Smoothed GUI-thread CPU seconds per frame. Kept from run to run: the window's
        #: cost per frame is a property of the window, so a new run starts from it.
        self.frame_cpu_s = 0.0
        self._frame_ns = 0  # when the last frame was done (or the run started)
        self._events = 0  # events that arrived since then

    def start(self, cpu_s: float, now_ns: int) -> int:
        """A run starts now: count from here. Returns the period (ms) until its first frame."""
        self._cpu_s = cpu_s
        self._frame_ns, self._events = now_ns, 0
        return REDRAW_MS

    def count(self, events: int) -> None:
        """`events` more events arrived (they decide whether events pour in)."""
        self._events += events

    def frame_done(self, cpu_s: float, now_ns: int, loads: Sequence[float] = ()) -> int:
        """A frame was drawn; returns the period (ms) until the next one is due.

        `cpu_s` is read as the frame begins: the CPU since the last one — that frame's
        painting, event handling and the folding of event batches — is everything the window
        costs the machine. `now_ns` is read once the frame is drawn; `loads` is the run's
        latest per-core load sample (%), empty before the first.
        """
        spent, self._cpu_s = cpu_s - self._cpu_s, cpu_s
        kept = 1.0 - NEWEST_FRAME_WEIGHT
        self.frame_cpu_s = kept * self.frame_cpu_s + NEWEST_FRAME_WEIGHT * spent
        elapsed_s = max(now_ns - self._frame_ns, 1) / 1e9
        pouring = self._events / elapsed_s >= FLOOD_EVENTS_PER_S
        self._frame_ns, self._events = now_ns, 0
        slowest = REDRAW_MAX_MS if pouring else REDRAW_TRICKLE_MAX_MS
        wanted_ms = 1000.0 * self.frame_cpu_s / frame_budget(loads)
        return int(min(max(wanted_ms, REDRAW_MS), slowest))
