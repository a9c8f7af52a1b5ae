"""What the window tests share."""

import pytest

from mpgui.ui import MainWindow


@pytest.fixture
def window(qtbot):
    """A shown 1440×900 MainWindow on pool-map, workers started with fork."""
    w = MainWindow("pool-map", "fork")
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    qtbot.waitExposed(w)
    return w
