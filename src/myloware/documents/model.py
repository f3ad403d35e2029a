"""What a loaded document looks like to the rest of the pipeline.

Loaders (text, PDF, image OCR, e-mail, HTML, DOCX, e-invoice XML) all produce a
:class:`LoadedDocument`: the normalised text plus its line layout, so extractors can report
source spans with page and box, and use geometry for reading order where the input had it.
A document that carries its own structured data (an e-invoice: a PDF with the XML attached,
or the XML alone) has it in ``einvoice``; ``warnings`` says what a loader had to leave out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from myloware.einvoice import EInvoice


@dataclass(frozen=True, slots=True)
class TextLine:
    """One visual line; ``start``/``end`` are offsets into ``LoadedDocument.text``.

    ``box`` units depend on the source: PDF points (top-left origin), image pixels, or None
    for text, HTML, DOCX and e-mail.
    """

    text: str
    start: int
    end: int
    page: int = 1
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 in page units


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """Text and layout of one document (an e-mail's attachments are separate documents)."""

    text: str
    lines: tuple[TextLine, ...]
    media_type: str = "text/plain"
    pages: int = 1
    name: str | None = None
    attachments: tuple[LoadedDocument, ...] = field(default=())
    einvoice: EInvoice | None = None
    warnings: tuple[str, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # the pages read by OCR (1-based), not from a text layer

    @property
    def read_by_ocr(self) -> bool:
        """Whether any of the text was read by OCR (its characters may be misread)."""
        return bool(self.ocr_pages)

    @classmethod
    def from_text(cls, text: str, *, name: str | None = None) -> LoadedDocument:
        """Build a document from plain text, one TextLine per line (page breaks: form feed)."""
        lines: list[TextLine] = []
        offset = 0
        page = 1
        for raw in text.split("\n"):
            if "\f" in raw:
                page += raw.count("\f")
            lines.append(TextLine(raw, offset, offset + len(raw), page))
            offset += len(raw) + 1
        return cls(text=text, lines=tuple(lines), pages=page, name=name)
