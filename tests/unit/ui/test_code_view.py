"""The Code tab: monospaced at the zoom, Python highlighted in the theme, opened at the lesson."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFont, QFontInfo
from PySide6.QtWidgets import QPlainTextEdit

from mpgui.scenarios import get as get_scenario
from mpgui.scenarios import listed
from mpgui.ui import theme
from mpgui.ui.code_view import CODE_FONT_PX, MIN_CONTRAST, CodeView, contrast

SOURCE = '''\
"""A module docstring that mentions counter.value += 1."""
import os


@dataclass(frozen=True)
class Counter(Base):
    """Spans
    two lines # not a comment
    """

    def bump(self, n=0x1F):
        text = "a # not a comment"  # a comment with def in it
        pool.map(len, [1_000, 2.5e-3])
        with lock:
            counter.value += 1
        return max(n, len(text)) if True else None
'''


@pytest.fixture(autouse=True)
def _theme_restored():
    """Each test leaves the theme and zoom as it found them."""
    before = (theme.current().name, theme.zoom())
    yield
    theme.use(*before)


@pytest.fixture
def view(qtbot):
    view = CodeView()
    qtbot.addWidget(view)
    view.show_code(SOURCE, ("with lock:", "counter.value += 1"))
    return view


def formats_of(view: CodeView, line: int) -> dict[str, tuple[QColor, bool, bool]]:
    """Each formatted run of line `line`: its text → (colour, bold, italic)."""
    block = view.document().findBlockByNumber(line)
    out = {}
    for r in block.layout().formats():
        fmt = r.format
        bold = fmt.fontWeight() == QFont.Weight.Bold
        out[block.text()[r.start : r.start + r.length]] = (
            fmt.foreground().color(),
            bold,
            fmt.fontItalic(),
        )
    return out


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(SOURCE.splitlines()) if text in line)


def test_it_is_read_only_unwrapped_and_named_for_tests(view):
    assert view.objectName() == "codeView"
    assert view.isReadOnly()
    assert view.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap
    assert view.toPlainText().rstrip("\n") == SOURCE.rstrip("\n")


@pytest.mark.parametrize("zoom", [1.0, 2.0, 0.5])
def test_the_font_is_monospaced_at_the_windows_zoom(qtbot, zoom):
    theme.use(zoom=zoom)
    view = CodeView()
    qtbot.addWidget(view)
    assert view.font().pixelSize() == theme.px(CODE_FONT_PX)
    assert QFontInfo(view.font()).fixedPitch()


def test_restyle_follows_a_zoom_and_theme_change(view):
    theme.use("dark", zoom=1.0)
    view.restyle()
    keyword_dark = formats_of(view, line_of("def bump"))["def"][0]
    small = view.gutter_width()
    theme.use("light", zoom=2.0)
    view.restyle()
    assert view.font().pixelSize() == 2 * CODE_FONT_PX
    assert view.gutter_width() > small
    keyword_light = formats_of(view, line_of("def bump"))["def"][0]
    assert keyword_light != keyword_dark
    first = view.extraSelections()[0]
    band = QColor(first.format.background().color())
    assert band.rgb() == QColor(theme.LIGHT.accent).rgb()


def test_keywords_builtins_strings_comments_numbers_decorators_and_names(view):
    bump = formats_of(view, line_of("def bump"))
    assert bump["def"][1] is True  # keywords are bold
    assert bump["bump"][1] is True  # so is the name a def defines
    assert bump["0x1F"][0] != bump["def"][0]
    text = formats_of(view, line_of('text = "a #'))
    assert '"a # not a comment"' in text  # a "#" in a string is string
    comment_color, _bold, italic = text["# a comment with def in it"]
    assert italic  # comments are italic: told apart without colour
    assert comment_color != text['"a # not a comment"'][0]
    assert "@dataclass" in formats_of(view, line_of("@dataclass"))
    assert formats_of(view, line_of("class Counter"))["Counter"][1] is True
    mapped = formats_of(view, line_of("pool.map"))
    assert "map" not in mapped  # the pool's method, not the builtin
    assert "len" in mapped and "1_000" in mapped and "2.5e-3" in mapped
    ret = formats_of(view, line_of("return max"))
    assert {"return", "max", "len", "if", "True", "else", "None"} <= set(ret)
    assert ret["max"][0] != ret["return"][0]


def test_a_triple_quoted_string_stays_a_string_across_lines(view):
    string_color = formats_of(view, line_of('text = "a #'))['"a # not a comment"'][0]
    middle = formats_of(view, line_of("two lines"))
    assert list(middle.values()) == [(string_color, False, False)]  # no comment in there
    closing = line_of("two lines") + 1
    assert list(formats_of(view, closing).values()) == [(string_color, False, False)]
    assert formats_of(view, closing + 1) == {}  # the string ended with its line
    assert formats_of(view, line_of("def bump"))["def"][0] != string_color


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_every_kind_of_token_reads_on_every_themes_background(qtbot, name):
    theme.use(name)
    view = CodeView()
    qtbot.addWidget(view)
    background = QColor(theme.current().background)
    for kind, fmt in view.highlighter.formats.items():
        assert contrast(fmt.foreground().color(), background) >= MIN_CONTRAST, kind


def test_focus_lines_are_banded_and_the_view_opens_with_the_first_in_its_top_third(qtbot):
    source = "\n".join(f"x{n} = {n}" for n in range(200)) + "\n"
    view = CodeView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show_code(source, ("x120 = ", "x150 = "))
    view.show()
    qtbot.waitExposed(view)
    assert view.focus == [120, 150]
    assert [s.cursor.blockNumber() for s in view.extraSelections()] == [120, 150]
    top = view.firstVisibleBlock().blockNumber()
    visible = view.viewport().height() // view.fontMetrics().lineSpacing()
    assert top < 120 <= top + visible // 3 + 1
    assert view.textCursor().blockNumber() == 120  # the keyboard starts there too
    # Once the user has scrolled, a resize leaves the view where they put it.
    view.verticalScrollBar().setValue(0)
    view.resize(520, 360)
    qtbot.waitUntil(lambda: view.viewport().height() > 300)
    assert view.verticalScrollBar().value() == 0


def test_a_narrow_view_scrolls_across_to_a_deep_focus_lines_code(qtbot):
    source = "def f():\n" + " " * 40 + "deep_call()\n" + "\n" * 50
    view = CodeView()
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show_code(source, ("deep_call()",))
    view.show()
    qtbot.waitExposed(view)
    # The document's width is known once its lines are laid out for painting: then it scrolls.
    qtbot.waitUntil(lambda: view.horizontalScrollBar().value() > 0, timeout=2000)
    view.show_code("a = 1\nb = 2\n", ("b = 2",))
    assert view.horizontalScrollBar().value() == 0


@pytest.mark.parametrize("scenario_id", [s.id for s in listed()])
def test_each_scenario_opens_at_its_own_focus(qtbot, scenario_id):
    scenario = get_scenario(scenario_id)
    view = CodeView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show_code(scenario.source(), scenario.focus)
    view.show()
    qtbot.waitExposed(view)
    assert view.focus == scenario.focus_lines()
    top = view.firstVisibleBlock().blockNumber()
    assert top <= view.focus[0] < top + view.viewport().height() // view.fontMetrics().lineSpacing()
