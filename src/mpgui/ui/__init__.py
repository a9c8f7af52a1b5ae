"""mpgui.ui: the window — QtWidgets and pyqtgraph panels, fed by the bridge's signals."""

from .main_window import MainWindow

__all__ = ["MainWindow"]
