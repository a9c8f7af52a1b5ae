"""The style sheet is filled in for every theme and zoom: no @role is left, none is unknown."""

import pytest

from mpgui.ui import theme


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_every_theme_fills_in_the_style_sheet(name):
    sheet = theme.style_sheet(theme.THEMES[name], 2.0)
    assert "@" not in sheet
    assert theme.THEMES[name].bad in sheet  # the Stop button's border, say
