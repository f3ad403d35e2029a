"""Plain text: decoding bytes of unknown encoding, newline normalisation, loading.

Decoding order: a byte-order mark wins (UTF-8, UTF-16/32); then strict UTF-8; then
Windows-1252, which is what "latin-1" text from Windows tools really is; bytes undefined in
cp1252 fall back to ISO-8859-1, which never fails.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import replace

from myloware.documents.layout import has_text, text_lines
from myloware.documents.model import LoadedDocument
from myloware.errors import DocumentError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029|\x85")


def bom_encoding(data: bytes) -> str | None:
    """The encoding announced by a byte-order mark at the start of ``data``, if any."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def decode_text(data: bytes) -> str:
    """Decode text bytes (BOM, else UTF-8, else cp1252, else latin-1) with ``\\n`` newlines."""
    encoding = bom_encoding(data)
    if encoding is not None:
        text = data.decode(encoding, errors="replace")
    else:
        text = _decode_guess(data)
    return normalize_newlines(text)


def _decode_guess(data: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def normalize_newlines(text: str) -> str:
    """CRLF, lone CR and Unicode line separators become ``\\n``; NULs are dropped."""
    return _NEWLINES.sub("\n", text).replace("\x00", "")


def load_text(
    data: bytes, *, media_type: str = "text/plain", name: str | None = None
) -> LoadedDocument:
    """A text file as a document, one line per text line; form feeds start new pages."""
    text = decode_text(data)
    if not has_text([text_lines(text)]):
        raise DocumentError("no text found: the file contains only whitespace")
    return replace(LoadedDocument.from_text(text, name=name), media_type=media_type)
