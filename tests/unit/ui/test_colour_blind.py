"""Colour-blind safety: every pair of colours a chart asks a reader to tell apart stays apart.

For every theme and every scenario chart, the chart's ``MEANINGS`` (theme roles) are seen as
with protanopia, deuteranopia and tritanopia — Machado, Oliveira & Fernandes (2009), severity
1.0, applied in linear RGB — and every pair must stay at least CIE76 ΔE :data:`MIN_DELTA_E`
apart, with normal vision too. Each meaning colour must also stand out from the plot's
background. The arithmetic is here, Qt-free, so the test needs nothing but numpy (the same
matrices as ``../shared/tools/cvd.py``, which a person uses to look at a screenshot).
"""

from __future__ import annotations

import itertools
import pathlib
import re
from dataclasses import replace

import pytest

import mpgui
from mpgui import scenarios
from mpgui.ui import theme
from mpgui.ui.panels.scenario_chart import chart_class
from tests.colour_vision import VISIONS, contrast, delta_e

#: Below ~20 two colours are hard to tell apart at a glance; below ~10 they look the same.
MIN_DELTA_E = 20.0
#: A meaning colour against its background: CIE76 ΔE, and the WCAG contrast ratio. WCAG asks
#: 3:1 of UI components; Okabe–Ito's sky blue and orange reach only 2.2–2.3 on white, and a
#: chart's lines are thick and labelled besides, so 2:1 is the floor here.
MIN_BACKGROUND_DELTA_E, MIN_CONTRAST = 30.0, 2.0

#: The roles every theme's meanings are drawn in, whatever the chart.
THEME_MEANINGS = ("good", "bad", "running", "muted", "ideal")


def too_close(colors: dict[str, str]) -> list[str]:
    """Every pair of `colors` (name → colour) closer than :data:`MIN_DELTA_E` in some
    vision, described; [] when all are far enough apart."""
    out = []
    for (na, a), (nb, b) in itertools.combinations(colors.items(), 2):
        for vision in VISIONS:
            d = delta_e(a, b, vision)
            if d < MIN_DELTA_E:
                out.append(f"{na} {a} vs {nb} {b}: ΔE {d:.1f} with {vision}")
    return out


def meaning_colors(t: theme.Theme, roles: tuple[str, ...]) -> dict[str, str]:
    """The colours of `roles` in theme `t`; ``categories`` stands for each categorical colour."""
    out: dict[str, str] = {}
    for role in roles:
        if role == "categories":
            out.update({f"categories[{i}]": c for i, c in enumerate(t.categories)})
        else:
            out[role] = getattr(t, role)
    return out


CHARTS = {s.id: chart_class(s) for s in scenarios.everything()}
THEMES = list(theme.THEMES.values())


def test_every_chart_role_is_a_theme_colour():
    # A misspelt role would otherwise be an AttributeError in every theme's test, or missed.
    fields = set(theme.Theme.__dataclass_fields__)
    for scenario_id, cls in CHARTS.items():
        for role in cls.MEANINGS:
            assert role == "categories" or role in fields, f"{scenario_id}: {role}"


@pytest.mark.parametrize("t", THEMES, ids=lambda t: t.name)
@pytest.mark.parametrize("scenario_id", sorted(CHARTS))
def test_a_charts_meanings_stay_apart_in_every_vision(t, scenario_id):
    colors = meaning_colors(t, CHARTS[scenario_id].MEANINGS)
    assert too_close(colors) == []


@pytest.mark.parametrize("t", THEMES, ids=lambda t: t.name)
def test_a_themes_meanings_stay_apart_in_every_vision(t):
    assert too_close(meaning_colors(t, THEME_MEANINGS)) == []
    assert too_close(meaning_colors(t, ("categories",))) == []


@pytest.mark.parametrize("t", THEMES, ids=lambda t: t.name)
def test_every_meaning_stands_out_from_the_background(t):
    roles = set(THEME_MEANINGS) | {"limit", "categories"}
    roles |= {role for cls in CHARTS.values() for role in cls.MEANINGS}
    for name, color in meaning_colors(t, tuple(sorted(roles))).items():
        assert contrast(color, t.background) >= MIN_CONTRAST, (name, color)
        for vision in VISIONS:
            assert delta_e(color, t.background, vision) >= MIN_BACKGROUND_DELTA_E, (
                name,
                color,
                vision,
            )


@pytest.mark.parametrize("t", THEMES, ids=lambda t: t.name)
def test_the_check_fails_with_the_old_red_and_green(t):
    # The test must be able to fail: with mpgui's red and green from before the themes, an
    # unlocked and a locked counter line a deuteranope sees as one khaki are caught.
    old = replace(t, bad="#ff6b6b", good="#5fd38d")
    assert delta_e(old.bad, old.good) > 100  # with normal vision they could not differ more
    found = too_close(meaning_colors(old, ("bad", "good")))
    assert found == ["bad #ff6b6b vs good #5fd38d: ΔE 14.9 with deuteranopia"]


def test_the_simulation_matches_the_published_figures():
    # cvd.py's figures for two Okabe–Ito colours (sky blue, vermillion), to one decimal.
    assert delta_e("#56b4e9", "#d55e00") == pytest.approx(113.7, abs=0.1)
    assert delta_e("#56b4e9", "#d55e00", "protanopia") == pytest.approx(88.7, abs=0.1)
    assert delta_e("#56b4e9", "#d55e00", "deuteranopia") == pytest.approx(101.1, abs=0.1)
    assert delta_e("#56b4e9", "#d55e00", "tritanopia") == pytest.approx(113.4, abs=0.1)
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


# -- Colours come from the theme, nowhere else --------------------------------------------

SOURCE = pathlib.Path(mpgui.__file__).parent
#: A colour literal: ``#rrggbb`` (or ``#rrggbbaa``).
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?\b")


def colour_outside_the_theme(text: str) -> list[str]:
    """The lines of `text` that make a pen or write a colour themselves."""
    return [
        line.strip() for line in text.splitlines() if "pg.mkPen(" in line or HEX_COLOR.search(line)
    ]


def test_the_guard_sees_a_pen_or_a_colour_made_by_hand():
    assert colour_outside_the_theme("x = 1\npen = pg.mkPen('w')\n") == ["pen = pg.mkPen('w')"]
    assert colour_outside_the_theme("c = '#5fd38d'  # green") == ["c = '#5fd38d'  # green"]
    assert colour_outside_the_theme("# see issue #13\nwidth = theme.px(3)") == []


def test_colours_and_pens_come_only_from_the_theme():
    checked = [
        path
        for pattern in ("*.py", "*.qss")
        for path in SOURCE.rglob(pattern)
        if path.relative_to(SOURCE).as_posix() != "ui/theme.py"
    ]
    assert any(p.name == "chart.py" for p in checked)
    found = {
        path.relative_to(SOURCE).as_posix(): bad
        for path in checked
        if (bad := colour_outside_the_theme(path.read_text(encoding="utf-8")))
    }
    assert found == {}
