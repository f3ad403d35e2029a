"""From positioned text pieces to a :class:`LoadedDocument`: visual lines, pages and offsets.

Every loader ends here. Geometric loaders (PDF text layer, OCR) hand in :class:`Segment` s,
pieces of text with a box, and :func:`group_lines` turns them into visual lines: segments
that overlap vertically form one line, ordered left to right, a TAB between segments (the
convention of the SROIE ``.txt`` files). :func:`build_document` then lays the pages out as
one text, pages separated by a form-feed line (``"\\n\\f\\n"``) so that
:meth:`LoadedDocument.from_text` of the result finds the same page numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from myloware.documents.model import LoadedDocument, TextLine

Box = tuple[float, float, float, float]  # x0, y0, x1, y1; y grows downwards

PAGE_BREAK = "\n\f\n"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text on a page; ``box`` is ``None`` where the source has no geometry."""

    text: str
    box: Box | None = None


_CONTROL = {code: " " for code in range(32)} | {0xFFFE: " ", 0xFFFF: " ", 0x7F: " "}


def clean_text(text: str) -> str:
    """One line's text without TABs, newlines or control characters, outer spaces trimmed."""
    return text.translate(_CONTROL).strip()


def scale_box(box: Box, factor: float) -> Box:
    """``box`` with every coordinate divided by ``factor`` (pixels back to page units)."""
    x0, y0, x1, y1 = box
    return (x0 / factor, y0 / factor, x1 / factor, y1 / factor)


def _union(boxes: Iterable[Box]) -> Box:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))


@dataclass(slots=True)
class _Band:
    """A visual line under construction: its members and their mean vertical extent."""

    members: list[tuple[str, Box]]
    top: float
    bottom: float

    def overlap(self, box: Box) -> float:
        """Vertical overlap with ``box`` as a fraction of the smaller of the two heights."""
        inter = min(self.bottom, box[3]) - max(self.top, box[1])
        smaller = min(self.bottom - self.top, box[3] - box[1])
        if smaller <= 0:
            return 1.0 if inter >= 0 and box[1] >= self.top and box[3] <= self.bottom else 0.0
        return inter / smaller

    def stacks_on(self, box: Box) -> bool:
        """Whether ``box`` covers more than half the width of a member (text above/below it)."""
        for _, member in self.members:
            inter = min(member[2], box[2]) - max(member[0], box[0])
            narrower = min(member[2] - member[0], box[2] - box[0])
            if inter > 0.5 * narrower:
                return True
        return False

    def add(self, text: str, box: Box) -> None:
        self.members.append((text, box))
        n = len(self.members)
        self.top += (box[1] - self.top) / n
        self.bottom += (box[3] - self.bottom) / n


def group_lines(segments: Iterable[Segment], *, min_overlap: float = 0.5) -> list[Segment]:
    """Group boxed segments into visual lines, top to bottom, TAB between left-to-right parts.

    A segment joins the line whose mean vertical band it overlaps most, when that overlap is at
    least ``min_overlap`` of the smaller height; comparing against the mean band (not the union)
    keeps a slightly skewed scan from chaining neighbouring lines together. A segment never joins
    a line in which a member already occupies most of its width: two pieces of text stacked in
    the same column are two lines, however much their (OCR-padded) boxes overlap vertically.
    Segments without a box or without text are dropped.
    """
    pieces = [
        (text, seg.box)
        for seg in segments
        if seg.box is not None and (text := clean_text(seg.text))
    ]
    pieces.sort(key=lambda item: ((item[1][1] + item[1][3]) / 2, item[1][0]))
    bands: list[_Band] = []
    for text, box in pieces:
        # pieces come in order of their vertical centre: only the newest bands can match
        open_bands = [band for band in bands[-4:] if not band.stacks_on(box)]
        best = max(open_bands, key=lambda band: band.overlap(box), default=None)
        if best is not None and best.overlap(box) >= min_overlap:
            best.add(text, box)
        else:
            bands.append(_Band([(text, box)], box[1], box[3]))
    bands.sort(key=lambda band: (band.top + band.bottom) / 2)
    lines = []
    for band in bands:
        members = sorted(band.members, key=lambda item: item[1][0])
        lines.append(
            Segment("\t".join(text for text, _ in members), _union(box for _, box in members))
        )
    return lines


def build_document(
    pages: Sequence[Sequence[Segment]],
    *,
    media_type: str,
    name: str | None = None,
    attachments: tuple[LoadedDocument, ...] = (),
) -> LoadedDocument:
    """Lay out pages of lines as one text with offsets; empty pages keep their page number."""
    parts: list[str] = []
    lines: list[TextLine] = []
    offset = 0
    for number, page in enumerate(pages, start=1):
        if number > 1:
            parts.append(PAGE_BREAK)
            offset += len(PAGE_BREAK)
        for index, segment in enumerate(page):
            if index:
                parts.append("\n")
                offset += 1
            parts.append(segment.text)
            lines.append(
                TextLine(segment.text, offset, offset + len(segment.text), number, segment.box)
            )
            offset += len(segment.text)
    return LoadedDocument(
        text="".join(parts),
        lines=tuple(lines),
        media_type=media_type,
        pages=max(1, len(pages)),
        name=name,
        attachments=attachments,
    )


def text_lines(text: str) -> list[Segment]:
    """Split plain text into box-less line segments (the text must already use ``\\n``)."""
    return [Segment(line) for line in text.split("\n")]


def has_text(pages: Iterable[Iterable[Segment]]) -> bool:
    """Whether any line of any page has a non-blank character."""
    return any(seg.text.strip() for page in pages for seg in page)
