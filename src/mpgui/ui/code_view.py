"""The Code tab: a scenario's real source, highlighted as Python, opened at the lines that teach.

:class:`CodeView` is a read-only, unwrapped text view in a monospaced font at the window's zoom,
with line numbers (a traceback in the log names lines by number) and a gutter marker "▶" plus
a background band on the lines the scenario marks (:attr:`Scenario.focus
<mpgui.core.scenario.Scenario.focus>`); it opens scrolled so the first of them sits in the top
third. :class:`PythonHighlighter` colours keywords, builtins, strings (triple-quoted ones across
lines), comments, numbers, decorators and the names a ``def`` or ``class`` defines, in colours
of the current theme's roles, made readable on its background; comments are italic and
keywords and defined names bold, so the kinds differ without colour too.

After a zoom or theme change the window calls :meth:`CodeView.restyle`.
"""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from mpgui.core.scenario import focus_lines
from mpgui.ui import theme

#: The code's font size (px) at 100 % zoom, and the families tried in turn.
CODE_FONT_PX = 13
CODE_FONTS = ("DejaVu Sans Mono", "Menlo", "Consolas", "Liberation Mono", "monospace")
#: The gutter's marker on a focus line.
FOCUS_MARK = "▶"
#: How opaque the focus band is (0-255) on a dark and a light background: enough to find the
#: line, not so much that its colours fade.
FOCUS_ALPHA = {True: 56, False: 36}
#: Characters of a focus line's code the opening view shows, scrolling across if it must.
READ_AT_LEAST = 24
#: WCAG contrast a token's colour keeps against the background (AA for body text).
MIN_CONTRAST = 4.5

_KEYWORDS = frozenset(keyword.kwlist)
_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) - _KEYWORDS
# One pass left to right: the first alternative that matches at a position wins, so a "#"
# inside a string stays string and a keyword inside a comment stays comment.
_TOKEN = re.compile(
    r"""
    (?P<triple>(?<!\w)[rRbBuUfF]{0,2}(?:'''|\"\"\"))
  | (?P<string>(?<!\w)[rRbBuUfF]{0,2}(?:'(?:[^'\\]|\\.)*(?:'|$)|"(?:[^"\\]|\\.)*(?:"|$)))
  | (?P<comment>\#.*)
  | (?P<decorator>^\s*@[^\W\d][\w.]*)  # "^": the line's start, wherever the search is
  | (?P<number>(?<![\w.])(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+
        |(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?))
  | (?P<word>[^\W\d]\w*)
    """,
    re.VERBOSE,
)
# Block states: outside a string, or inside a triple-quoted one opened on an earlier line.
_OUTSIDE, _IN_SINGLE, _IN_DOUBLE = 0, 1, 2
_DELIMS = {_IN_SINGLE: "'''", _IN_DOUBLE: '"""'}


def _luminance(color: QColor) -> float:
    """WCAG relative luminance of `color`."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + (0.0722 * channel(color.blueF()))
    )


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(color: str, background: str, foreground: str) -> QColor:
    """`color`, blended toward `foreground` just enough to read on `background`.

    A theme's role colours are chosen for plot lines; some (sky blue or orange on white) are
    too faint for text, so the hue is kept and only as much of the text colour mixed in as
    :data:`MIN_CONTRAST` needs.
    """
    base, back, fore = QColor(color), QColor(background), QColor(foreground)
    for step in range(11):
        t = step / 10
        mixed = QColor.fromRgbF(
            base.redF() * (1 - t) + fore.redF() * t,
            base.greenF() * (1 - t) + fore.greenF() * t,
            base.blueF() * (1 - t) + fore.blueF() * t,
        )
        if contrast(mixed, back) >= MIN_CONTRAST:
            return mixed
    return fore


def _format(color: QColor, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(color)
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Python syntax highlighting in the current theme's colours (:meth:`restyle` re-reads
    them). Kinds: keyword, builtin, string, comment, number, decorator, defined name."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.restyle()

    def restyle(self) -> None:
        """Take the current theme's colours and highlight the whole document again."""
        t = theme.current()

        def color(role: str) -> QColor:
            return readable(role, t.background, t.foreground)

        # The accent is left to the focus band and marker, so the lesson's lines stand out.
        self.formats = {
            "keyword": _format(color(t.bad), bold=True),
            "builtin": _format(color(t.ideal)),
            "string": _format(color(t.good)),
            "comment": _format(color(t.muted), italic=True),
            "number": _format(color(t.running)),
            "decorator": _format(color(t.ideal), italic=True),
            "defined": _format(QColor(t.foreground), bold=True),
        }
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        """Colour one line; a triple-quoted string left open carries to the next line."""
        pos = 0
        state = self.previousBlockState()
        self.setCurrentBlockState(_OUTSIDE)
        if state in _DELIMS:
            pos = self._string_to_close(text, 0, state)
            if pos < 0:
                return
        after_def = False
        while (m := _TOKEN.search(text, pos)) is not None:
            kind, start, end = m.lastgroup, m.start(), m.end()
            if kind == "triple":
                state = _IN_SINGLE if m.group().endswith("'") else _IN_DOUBLE
                end = self._string_to_close(text, start, state, m.end())
                if end < 0:
                    return
            elif kind == "word":
                word = m.group()
                if after_def:
                    self.setFormat(start, end - start, self.formats["defined"])
                elif word in _KEYWORDS:
                    self.setFormat(start, end - start, self.formats["keyword"])
                elif word in _BUILTINS and not text[:start].rstrip().endswith("."):
                    # (``pool.map`` is the pool's method, not the builtin ``map``)
                    self.setFormat(start, end - start, self.formats["builtin"])
                after_def = word in ("def", "class")
                pos = end
                continue
            elif kind == "decorator":
                start = text.index("@", start)
                self.setFormat(start, end - start, self.formats[kind])
            else:
                self.setFormat(start, end - start, self.formats[kind])
            after_def = False
            pos = max(end, start + 1)

    def _string_to_close(self, text: str, start: int, state: int, search_from: int = 0) -> int:
        """Format a triple-quoted string from `start` to its close; return where it ends, or
        -1 (the block state then says the string goes on past this line)."""
        delim = _DELIMS[state]
        i = search_from or start
        while (i := text.find(delim, i)) >= 0:
            backslashes = len(text[:i]) - len(text[:i].rstrip("\\"))
            if backslashes % 2 == 0:
                end = i + len(delim)
                self.setFormat(start, end - start, self.formats["string"])
                return end
            i += 1
        self.setFormat(start, len(text) - start, self.formats["string"])
        self.setCurrentBlockState(state)
        return -1


class _Gutter(QWidget):
    """The strip left of the code: line numbers and the focus marker (painted by the view)."""

    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As wide as the view says; any height."""
        return QSize(self._view.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """Let the view paint the visible lines' numbers."""
        self._view.paint_gutter(event)


class CodeView(QPlainTextEdit):
    """Read-only Python source, highlighted, numbered, opened at its focus lines.

    :meth:`show_code` shows a source and marks its focus lines; :meth:`restyle` follows the
    window's zoom and theme. :attr:`focus` is the marked lines (0-based).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeView")
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        # A keyboard user can still move a cursor through the code (and select, copy).
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.focus: list[int] = []
        self._scroll_pending = False
        self._scrolled_to: tuple[int, int] | None = None  # where it last scrolled itself
        self._gutter = _Gutter(self)
        self.highlighter = PythonHighlighter(self.document())
        self.blockCountChanged.connect(self._fit_gutter)
        self.updateRequest.connect(self._scroll_gutter)
        # The scroll ranges follow the document's layout, which Qt finishes lazily: scrolling
        # to the focus before that is clamped, so it is done again when they change.
        for bar in (self.verticalScrollBar(), self.horizontalScrollBar()):
            bar.rangeChanged.connect(self._scroll_to_focus)
        self.restyle()

    # -- what it shows -------------------------------------------------------------------
    def show_code(self, source: str, focus: tuple[str, ...] = ()) -> None:
        """Show `source`; band the lines that begin with a `focus` snippet and scroll to them."""
        self.setPlainText(source)
        self.focus = focus_lines(source, focus)
        self._mark_focus()
        self._scroll_pending = bool(self.focus)
        self._scrolled_to = None
        self._scroll_to_focus()

    def restyle(self) -> None:
        """Take the current zoom and theme: font, highlight colours, focus band, gutter."""
        families = ", ".join(f'"{f}"' if " " in f else f for f in CODE_FONTS)
        # A style sheet of its own: the application's ("QWidget { font-size }") would win
        # over setFont(), and a widget's own sheet wins over the application's.
        self.setStyleSheet(
            f"QPlainTextEdit#codeView {{ font-family: {families};"
            f" font-size: {theme.px(CODE_FONT_PX)}px; }}"
        )
        self.ensurePolished()
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.highlighter.restyle()
        self._mark_focus()
        self._fit_gutter()
        self._gutter.update()

    # -- the focus lines -----------------------------------------------------------------
    def _mark_focus(self) -> None:
        band = QColor(theme.current().accent)
        band.setAlpha(FOCUS_ALPHA[theme.current().dark])
        marks = []
        for line in self.focus:
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(band)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(self.document().findBlockByNumber(line))
            marks.append(sel)
        self.setExtraSelections(marks)

    def _scroll_to_focus(self, *_range: int) -> None:
        """Put the first focus line a third of the way down, once the view has a height, and
        again as the view is laid out and resized, until the user scrolls it."""
        line_px = self.fontMetrics().lineSpacing()
        if not self.focus or self.viewport().height() < 2 * line_px:
            return  # not laid out yet: showEvent / resizeEvent come back here
        down, across = self.verticalScrollBar(), self.horizontalScrollBar()
        block = self.document().findBlockByNumber(self.focus[0])
        if self._scroll_pending:
            # The cursor goes there too, so a keyboard user starts reading at the lesson.
            self.setTextCursor(QTextCursor(block))
        elif (down.value(), across.value()) != self._scrolled_to:
            return  # the user has scrolled since: leave the view where they put it
        self._scroll_pending = False
        visible = self.viewport().height() // line_px
        down.setValue(max(0, self.focus[0] - visible // 3))
        # A narrow view (a zoomed window) may show only a deep line's indentation: then it
        # scrolls across to the line's code, a little of its indentation still in view.
        space = self.fontMetrics().horizontalAdvance(" ")
        indent = (len(block.text()) - len(block.text().lstrip())) * space
        fits = indent + READ_AT_LEAST * space <= self.viewport().width()
        across.setValue(0 if fits else max(0, indent - 2 * space))
        self._scrolled_to = (down.value(), across.value())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Scroll to the focus lines if that waited for the view to be shown."""
        super().showEvent(event)
        self._scroll_to_focus()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Keep the gutter beside the code; scroll to the focus if that is still to do."""
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))
        self._scroll_to_focus()

    # -- the gutter ----------------------------------------------------------------------
    def gutter_width(self) -> int:
        """Room for the largest line number, the marker and a little air."""
        metrics = self.fontMetrics()
        digits = len(str(max(1, self.blockCount())))
        return metrics.horizontalAdvance("9" * digits + " " + FOCUS_MARK) + theme.px(10)

    def _fit_gutter(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def paint_gutter(self, event: QPaintEvent) -> None:
        """Paint the numbers of the lines in view, and the marker beside each focus line."""
        t = theme.current()
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), QColor(t.panel))
        painter.setFont(self.font())
        metrics = self.fontMetrics()
        width = self._gutter.width() - theme.px(4)
        mark_w = metrics.horizontalAdvance(" " + FOCUS_MARK)
        focus = set(self.focus)
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        while block.isValid() and top <= event.rect().bottom():
            height = round(self.blockBoundingRect(block).height())
            if block.isVisible() and top + height >= event.rect().top():
                number = block.blockNumber()
                marked = number in focus
                painter.setPen(QColor(t.foreground if marked else t.muted))
                painter.drawText(
                    0, top, width - mark_w, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
                )
                if marked:
                    painter.setPen(QColor(t.accent))
                    painter.drawText(
                        width - mark_w, top, mark_w, height, Qt.AlignmentFlag.AlignRight, FOCUS_MARK
                    )
            block = block.next()
            top += height
        painter.end()
