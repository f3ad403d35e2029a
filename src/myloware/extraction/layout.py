"""The extractor's view of a document: visual lines with their cells and source offsets.

Every :class:`Line` remembers where each of its characters lies in ``LoadedDocument.text``,
so a value found at ``line.text[i:j]`` reports the exact source span even when the line text
was repaired: letter-spaced PDF text (``I n v o i c e  n u m b e r``) is collapsed to
``Invoice number``, and a word that PDF text extraction split in two (``Br uttosumme``,
kerning read as a space) is joined again when the two pieces make a word of the label
lexicon and neither piece is one. On pages read by OCR, the few words the rules anchor on are
spelled right where one character was misread (``Tota|`` → ``Total``,
:func:`~myloware.extraction.ocr_repair.fix_label_misreads`). Cells are the TAB-separated
parts of a line (OCR boxes on one line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from myloware.documents.model import LoadedDocument
from myloware.extraction import labels
from myloware.extraction.ocr_repair import fix_label_misreads
from myloware.records import FieldValue

_TOKEN_RE = re.compile(r"\S+")
_LINE_END_HYPHEN = "\ufffe"  # pdfium's mark for a hyphen it printed where a word was split


@dataclass(frozen=True, slots=True)
class Line:
    """One visual line: its (repaired) text and where each character came from."""

    index: int
    text: str
    offsets: tuple[int, ...]  # offsets[i] = position of text[i] in the document text
    page: int = 1
    box: tuple[float, float, float, float] | None = None

    @property
    def start(self) -> int:
        return self.offsets[0] if self.offsets else 0

    @property
    def end(self) -> int:
        return self.offsets[-1] + 1 if self.offsets else 0

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Document offsets of ``text[i:j]``."""
        if not self.offsets:
            return (0, 0)
        i = max(0, min(i, len(self.text) - 1))
        j = max(i + 1, min(j, len(self.text)))
        return (self.offsets[i], self.offsets[j - 1] + 1)

    def cells(self) -> list[tuple[str, int, int]]:
        """The TAB-separated cells as ``(text, start, end)`` with offsets into ``text``."""
        out: list[tuple[str, int, int]] = []
        pos = 0
        for part in self.text.split("\t"):
            stripped = part.strip()
            if stripped:
                lead = len(part) - len(part.lstrip())
                out.append((stripped, pos + lead, pos + lead + len(stripped)))
            pos += len(part) + 1
        return out

    @property
    def flat(self) -> str:
        """The text with TABs as single spaces."""
        return self.text.replace("\t", " ")


def is_letter_spaced(text: str) -> bool:
    """True for text printed with a space between letters (``T o t a l  d u e``)."""
    tokens = _TOKEN_RE.findall(text)
    if len(tokens) < 6:
        return False
    singles = sum(1 for t in tokens if len(t) == 1)
    return singles / len(tokens) >= 0.75


def _collapse(text: str, base: int) -> tuple[str, tuple[int, ...]]:
    """Collapse letter spacing: single spaces vanish, runs of two or more become one space."""
    chars: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == " ":
            j = i
            while j < len(text) and text[j] == " ":
                j += 1
            if j - i >= 2 and chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(base + i)
            i = j
            continue
        chars.append(ch)
        offsets.append(base + i)
        i += 1
    return "".join(chars), tuple(offsets)


def _join_split_words(text: str, offsets: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """``text`` with the single spaces removed that split a label word in two pieces."""
    tokens = list(_TOKEN_RE.finditer(text))
    drop: set[int] = set()
    for left, right in pairwise(tokens):
        if right.start() - left.end() != 1:
            continue
        a, b = left.group().lower(), right.group().lower().rstrip(":.")
        pieces_are_words = labels.is_label_word(a) or labels.is_label_word(b)
        if len(a + b) >= 4 and labels.is_label_word(a + b) and not pieces_are_words:
            drop.add(left.end())
    return _without(text, offsets, drop)


def _without(text: str, offsets: tuple[int, ...], drop: set[int]) -> tuple[str, tuple[int, ...]]:
    """``text`` and its ``offsets`` without the characters at the indexes in ``drop``."""
    if not drop:
        return text, offsets
    keep = [i for i in range(len(text)) if i not in drop]
    return "".join(text[i] for i in keep), tuple(offsets[i] for i in keep)


_SPLIT_AMOUNT_RE = re.compile(r"(?<![\d.,])\d{1,6}(\s+)\.\d{2}(?![\d.,])")


def _join_split_amounts(text: str, offsets: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """``text`` with an amount OCR split before its decimal point joined (``15 .15``)."""
    return _without(
        text, offsets, {i for m in _SPLIT_AMOUNT_RE.finditer(text) for i in range(*m.span(1))}
    )


def _make_line(index: int, text: str, start: int, page: int, box: object) -> Line:
    stripped = text.replace(_LINE_END_HYPHEN, "-").rstrip()
    lead = len(stripped) - len(stripped.lstrip())
    stripped, start = stripped[lead:], start + lead
    if is_letter_spaced(stripped):
        repaired, offsets = _collapse(stripped, start)
    else:
        repaired, offsets = stripped, tuple(range(start, start + len(stripped)))
    repaired, offsets = _join_split_words(repaired, offsets)
    layout_box = box if isinstance(box, tuple) and len(box) == 4 else None
    return Line(index, repaired, offsets, page, layout_box)


def document_lines(doc: LoadedDocument) -> list[Line]:
    """The non-empty lines of ``doc`` in reading order, repaired and indexed from 0."""
    source = doc.lines or LoadedDocument.from_text(doc.text).lines
    lines: list[Line] = []
    for text_line in source:
        text = text_line.text
        if text_line.page in doc.ocr_pages:
            text = fix_label_misreads(text)
        line = _make_line(len(lines), text, text_line.start, text_line.page, text_line.box)
        if text_line.page in doc.ocr_pages:
            joined, offsets = _join_split_amounts(line.text, line.offsets)
            line = Line(line.index, joined, offsets, line.page, line.box)
        if line.text.strip():
            lines.append(line)
    return lines


def repaired_text(lines: list[Line]) -> str:
    """The document text as the extractor reads it: repaired lines joined by newlines."""
    return "\n".join(line.text for line in lines)


def field_from(
    value: object, confidence: float, line: Line, i: int, j: int, *, raw: str | None = None
) -> FieldValue:
    """A FieldValue for ``value`` read from ``line.text[i:j]``, with span, page and box."""
    return FieldValue(
        value=value,
        confidence=round(min(max(confidence, 0.0), 1.0), 3),
        span=line.span(i, j),
        page=line.page,
        box=line.box,
        raw=raw if raw is not None else line.text[i:j],
    )


def field_from_lines(
    value: object, confidence: float, lines: list[Line], *, raw: str | None = None
) -> FieldValue:
    """A FieldValue for a value that spans whole ``lines`` (e.g. a multi-line address)."""
    first, last = lines[0], lines[-1]
    return FieldValue(
        value=value,
        confidence=round(min(max(confidence, 0.0), 1.0), 3),
        span=(first.start, last.end),
        page=first.page,
        box=first.box if len(lines) == 1 else None,
        raw=raw if raw is not None else "\n".join(line.flat for line in lines),
    )
