"""The style sheet every theme and zoom gets: every @role filled in, every px scaled."""

import re

import pytest

from mpgui.ui import theme


@pytest.mark.parametrize("name", list(theme.THEMES))
@pytest.mark.parametrize("factor", [0.5, 1.0, 2.0, 3.0])
def test_the_style_sheet_fills_in_every_role_at_every_zoom(name, factor):
    sheet = theme.style_sheet(theme.THEMES[name], factor)
    assert "@" not in sheet
    assert "QWidget { font-size: " + f"{round(13 * factor)}px" in sheet
    assert all(int(px) >= 1 for px in re.findall(r"(\d+)px", sheet))
    assert theme.THEMES[name].bad in sheet  # the Stop button's border, say
