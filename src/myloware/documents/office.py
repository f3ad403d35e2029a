"""Word documents (DOCX) via python-docx: paragraphs in order, table rows as TAB-joined cells.

Headers come first and footers last (each distinct one once), the body in between. Merged
cells appear once per row; a table inside a cell is flattened into that cell's text.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from myloware.documents.layout import has_text, text_lines
from myloware.documents.limits import DocumentLimits
from myloware.documents.model import LoadedDocument
from myloware.errors import DocumentError

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XML_EXPANSION = 10  # unpacked XML may be at most this many times the size limit


def load_docx(data: bytes, *, limits: DocumentLimits, name: str | None = None) -> LoadedDocument:
    """A DOCX file as a document: header, body paragraphs and tables, footer."""
    _check_expansion(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_document_lines(document))
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        ValueError,
        SyntaxError,
    ):
        raise DocumentError("the Word document is corrupt or not a DOCX file") from None
    text = "\n".join(lines)
    if not has_text([text_lines(text)]):
        raise DocumentError("no text found in the Word document")
    return replace(LoadedDocument.from_text(text, name=name), media_type=MEDIA_TYPE)


def _check_expansion(data: bytes, limits: DocumentLimits) -> None:
    """Refuse zip bombs: the XML parts may not unpack to more than 10x the size limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist() if i.filename.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentError("the Word document is corrupt or not a DOCX file") from None
    if unpacked > XML_EXPANSION * limits.max_bytes:
        raise DocumentError("the Word document is too large to read once unpacked")


def _document_lines(document: DocxDocument) -> Iterator[str]:
    headers: list[str] = []
    footers: list[str] = []
    for section in document.sections:
        for part, bucket in ((section.header, headers), (section.footer, footers)):
            if part.is_linked_to_previous:
                continue
            block = list(_blocks(part.iter_inner_content()))
            if block and block != bucket[-len(block) :]:
                bucket.extend(block)
    yield from headers
    yield from _blocks(document.iter_inner_content())
    yield from footers


def _blocks(content: Iterable[Paragraph | Table]) -> Iterator[str]:
    for block in content:
        if isinstance(block, Paragraph):
            yield block.text.replace("\n", " ").rstrip()
        else:
            yield from _table_rows(block)


def _table_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell repeats across the columns it spans
                continue
            previous = cell._tc
            cells.append(_cell_text(cell.iter_inner_content()))
        if any(cells):
            yield "\t".join(cells).rstrip("\t")


def _cell_text(content: Iterable[Paragraph | Table]) -> str:
    parts = []
    for block in content:
        if isinstance(block, Paragraph):
            parts.append(block.text)
        else:
            parts.extend(_table_rows(block))
    return " ".join(" ".join(parts).split())
