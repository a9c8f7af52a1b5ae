"""mpgui.bridge: QtCore only — the RunController, the drain thread and thread bookkeeping.

It turns a run's conductor process and event queue into Qt signals delivered in the GUI
thread. No widgets here (an import-linter contract enforces it).
"""

from .controller import RunController

__all__ = ["RunController"]
