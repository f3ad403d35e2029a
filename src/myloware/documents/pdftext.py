"""The text layer of one PDF page as boxed segments, read cheaply from PDFium.

PDFium's text page gives the characters in content order, with generated ``\\r\\n`` where it
sees a line change and generated spaces where it sees a gap. Each line run is cut into
segments where the gap between two words is wider than about two spaces (table columns,
label and value), and each segment gets the box spanned by its first and last characters:
a few calls per word instead of one per character, about a millisecond per page.

Boxes are in points with the origin at the top-left of the page as displayed (crop box,
page rotation applied), the same frame as a rendering of the page.
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from myloware.documents.layout import Box, Segment, clean_text

COLUMN_GAP = 0.6  # a gap wider than this many line heights separates two segments
_RUN_RE = re.compile(r"[^\r\n]+")
_WORD_RE = re.compile(r"\S+")
_CONTROLS = {code: " " for code in range(32) if code not in (10, 13)} | {0x02: "-"}


class PageFrame:
    """Maps PDF user-space rectangles onto the displayed page (top-left origin, rotated)."""

    __slots__ = ("bottom", "height", "left", "rotation", "top", "width")

    def __init__(self, bbox: tuple[float, float, float, float], rotation: int) -> None:
        self.left, self.bottom, right, self.top = bbox
        self.width = right - self.left
        self.height = self.top - self.bottom
        self.rotation = rotation % 360

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> PageFrame:
        left, bottom, right, top = page.get_bbox()
        return cls((left, bottom, right, top), page.get_rotation())

    def to_display(self, rect: tuple[float, float, float, float]) -> Box:
        """``(left, bottom, right, top)`` in user space to ``(x0, y0, x1, y1)`` on display."""
        left, bottom, right, top = rect
        u0, u1 = left - self.left, right - self.left
        v0, v1 = self.top - top, self.top - bottom
        if self.rotation == 90:
            return (self.height - v1, u0, self.height - v0, u1)
        if self.rotation == 180:
            return (self.width - u1, self.height - v1, self.width - u0, self.height - v0)
        if self.rotation == 270:
            return (v0, self.width - u1, v1, self.width - u0)
        return (u0, v0, u1, v1)


def text_segments(page: pdfium.PdfPage) -> list[Segment]:
    """The page's text as segments; without boxes in the rare case PDFium's text and
    character list disagree in length (then character positions cannot be trusted)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        if len(text) != count:
            text = _char_by_char(textpage, count)
        text = text.translate(_CONTROLS)
        if len(text) != count:
            return [Segment(line) for m in _RUN_RE.finditer(text) if (line := clean_text(m[0]))]
        frame = PageFrame.of(page)
        segments: list[Segment] = []
        for run in _RUN_RE.finditer(text):
            segments.extend(_split_run(textpage, frame, text, run.start(), run.end()))
        return segments
    finally:
        textpage.close()


def _char_by_char(textpage: pdfium.PdfTextPage, count: int) -> str:
    """The page's text one character per index, as the character boxes are numbered.

    PDFium stores characters outside the Basic Multilingual Plane (an emoji before a phone
    number) as UTF-16 code units, sometimes without their other half, and its text range
    drops what it cannot decode, so offsets and character indices drift apart. Each
    surrogate code unit becomes a space here, keeping both aligned.
    """
    codes = (pdfium_c.FPDFText_GetUnicode(textpage.raw, index) for index in range(count))
    return "".join(" " if 0xD800 <= code <= 0xDFFF else chr(code) for code in codes)


def _split_run(
    textpage: pdfium.PdfTextPage, frame: PageFrame, text: str, start: int, end: int
) -> list[Segment]:
    """Cut one line run at wide gaps; each piece gets the box of its outer characters."""
    words = [(m.start(), m.end()) for m in _WORD_RE.finditer(text, start, end)]
    if not words:
        return []
    boxes = [(_char_box(textpage, frame, a), _char_box(textpage, frame, b - 1)) for a, b in words]
    pieces: list[Segment] = []
    first = 0
    for k in range(1, len(words) + 1):
        if k < len(words):
            left_box, right_box = boxes[k - 1][1], boxes[k][0]
            height = max(left_box[3] - left_box[1], right_box[3] - right_box[1], 1e-6)
            if right_box[0] - left_box[2] <= COLUMN_GAP * height:
                continue
        a, b = words[first][0], words[k - 1][1]
        box = _hull(boxes[first][0], boxes[k - 1][1])
        pieces.append(Segment(clean_text(text[a:b]), box))
        first = k
    return pieces


def _char_box(textpage: pdfium.PdfTextPage, frame: PageFrame, index: int) -> Box:
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    return frame.to_display((left, bottom, right, top))


def _hull(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
