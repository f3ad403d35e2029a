"""HTML to text with its block structure: one line per block, table rows as TAB-joined cells.

Scripts, styles and the document head are dropped. Block elements (paragraphs, headings,
list items, ``<br>``, ``<div>`` ...) end lines; paragraphs, headings, lists and tables are
followed by a blank line. A table row of simple cells becomes ``cell<TAB>cell``; a row whose
cells hold their own blocks or tables (layout tables in HTML e-mail) is read cell by cell.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

from myloware.documents.layout import has_text, text_lines
from myloware.documents.model import LoadedDocument
from myloware.errors import DocumentError

MEDIA_TYPE = "text/html"

_DROP = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "meta", "link", "svg",
     "iframe", "object", "embed", "canvas", "select", "button"}
)  # fmt: skip
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote",
     "pre", "hr", "address", "figure", "form", "fieldset"}
)  # fmt: skip
_BLOCKS = _PARAGRAPHS | frozenset(
    {"div", "section", "article", "header", "footer", "main", "nav", "aside", "li", "dt",
     "dd", "tr", "caption", "figcaption", "details", "summary", "center", "body", "html",
     "tbody", "thead", "tfoot"}
)  # fmt: skip
_CELL_BLOCKS = frozenset({"table", "p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "br", "li"})
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


class _Writer:
    """Collects inline text into lines; blank lines mark paragraph breaks."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._inline: list[str] = []

    def text(self, value: str) -> None:
        self._inline.append(value)

    def end_line(self) -> None:
        line = _SPACES.sub(" ", "".join(self._inline)).strip()
        self._inline.clear()
        if line:
            self.lines.append(line)

    def line_break(self) -> None:
        """``<br>``: end the current line, or add a blank line when there is none."""
        if "".join(self._inline).strip():
            self.end_line()
        else:
            self._inline.clear()
            self.lines.append("")

    def add_line(self, line: str) -> None:
        """A line taken as it is (a table row, a line of preformatted text)."""
        self.end_line()
        self.lines.append(line.rstrip())

    def paragraph_break(self) -> None:
        self.end_line()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def result(self) -> str:
        self.end_line()
        return _BLANK_RUNS.sub("\n\n", "\n".join(self.lines)).strip("\n")


def html_to_text(markup: str | bytes) -> str:
    """The readable text of an HTML page or fragment, one block per line."""
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    writer = _Writer()
    try:
        _walk(soup, writer)
    except RecursionError:
        raise DocumentError("the HTML is nested too deeply to read") from None
    return writer.result()


def load_html(data: bytes, *, name: str | None = None) -> LoadedDocument:
    """An HTML file as a document (the text of :func:`html_to_text`)."""
    text = html_to_text(data)
    if not has_text([text_lines(text)]):
        raise DocumentError("no text found in the HTML page")
    return replace(LoadedDocument.from_text(text, name=name), media_type=MEDIA_TYPE)


def _walk(node: Tag, out: _Writer) -> None:
    for child in node.children:
        _visit(child, out)


def _visit(node: PageElement, out: _Writer) -> None:
    if isinstance(node, PreformattedString):  # comments, CDATA, doctype
        return
    if isinstance(node, NavigableString):
        out.text(str(node))
        return
    if not isinstance(node, Tag):
        return
    name = node.name.lower()
    if name == "br":
        out.line_break()
    elif name == "pre":
        out.paragraph_break()
        for line in node.get_text().split("\n"):
            out.add_line(line.replace("\t", "    "))
        out.paragraph_break()
    elif name == "table":
        out.paragraph_break()
        _table(node, out)
        out.paragraph_break()
    elif name == "li":
        out.end_line()
        out.text("- ")
        _walk(node, out)
        out.end_line()
    elif name in _BLOCKS:
        if name in _PARAGRAPHS:
            out.paragraph_break()
        else:
            out.end_line()
        _walk(node, out)
        if name in _PARAGRAPHS:
            out.paragraph_break()
        else:
            out.end_line()
    else:
        _walk(node, out)
        if name in ("td", "th"):
            out.text(" ")


def _table(table: Tag, out: _Writer) -> None:
    for row in _rows(table):
        cells = list(row.find_all(("td", "th"), recursive=False))
        if any(cell.find(_CELL_BLOCKS) for cell in cells):
            for cell in cells:
                out.end_line()
                _walk(cell, out)
                out.end_line()
            continue
        texts = [_SPACES.sub(" ", cell.get_text(" ")).strip() for cell in cells]
        if any(texts):
            out.add_line("\t".join(texts).rstrip("\t"))


def _rows(table: Tag) -> list[Tag]:
    """The rows of a table in order, looking through thead/tbody/tfoot but not nested tables."""
    rows: list[Tag] = []
    for child in table.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "tr":
            rows.append(child)
        elif child.name in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child.children if isinstance(c, Tag) and c.name == "tr")
    return rows
