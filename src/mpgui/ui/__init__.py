"""mpgui.ui: the window — QtWidgets and pyqtgraph panels, fed by the bridge's signals.

``MainWindow`` is imported on first use (PEP 562), not with the package: the package also
holds Qt-free modules (:mod:`~mpgui.ui.wording`) that the headless ``mpgui run`` imports, and
importing them must not load Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from .main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
