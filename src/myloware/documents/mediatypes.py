"""What kind of file is this? Content first (magic bytes), then the name and declared type.

:func:`sniff` returns a media type. Binary formats are recognised by their signatures only: a
file called ``invoice.pdf`` that does not start like a PDF is not a PDF. For text, the content
decides between e-mail, HTML and plain text where it can; otherwise the extension or the
declared type chooses among the text kinds (CSV, Markdown, JSON, XML ...). Text that names
a CII or UBL invoice namespace near its start is XML (an e-invoice) whatever its name.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from myloware.documents.plain import bom_encoding
from myloware.einvoice import looks_like_einvoice

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
GIF = "image/gif"
BMP = "image/bmp"
WEBP = "image/webp"
TEXT = "text/plain"
HTML = "text/html"
EMAIL = "message/rfc822"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OCTET = "application/octet-stream"
XML = "application/xml"

IMAGE_TYPES = frozenset({PNG, JPEG, TIFF, GIF, BMP, WEBP})
TEXT_TYPES = frozenset(
    {TEXT, "text/csv", "text/markdown", "text/tab-separated-values", "application/json",
     XML}
)  # fmt: skip
SUPPORTED_TYPES = frozenset({PDF, HTML, EMAIL, DOCX}) | IMAGE_TYPES | TEXT_TYPES

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\x7fELF", "application/x-executable"),
    (b"{\\rtf", "application/rtf"),
    (b"\x00\x00\x00\x0cjP  ", "image/jp2"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
)
_WEAK_SIGNATURES = ((b"BM", BMP), (b"MZ", "application/x-msdownload"))  # only if not text
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_BY_SUFFIX = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".msg": "application/vnd.ms-outlook",
}
_ZIP_MEMBERS = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/presentation.xml",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)  # fmt: skip
_TEXT_BY_SUFFIX = {
    ".txt": TEXT,
    ".text": TEXT,
    ".log": TEXT,
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".json": "application/json",
    ".xml": XML,
    ".htm": HTML,
    ".html": HTML,
    ".xhtml": HTML,
    ".eml": EMAIL,
}
_DECLARED_ALIASES = {"application/xhtml+xml": HTML, "text/xml": XML}
_LABELS = {
    PDF: "a PDF",
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    TIFF: "a TIFF image",
    GIF: "a GIF image",
    BMP: "a BMP image",
    WEBP: "a WebP image",
    TEXT: "plain text",
    HTML: "an HTML page",
    EMAIL: "an e-mail message",
    DOCX: "a Word document (DOCX)",
    XML: "an XML document",
    OCTET: "binary data of an unknown kind",
    "application/zip": "a ZIP archive",
    "application/msword": "a legacy Word document (.doc)",
    "application/x-ole-storage": "a legacy Microsoft Office file",
}
_HEADER_LINE = re.compile(r"^[!-9;-~]+:", re.ASCII)
_KNOWN_HEADERS = frozenset(
    {"from", "to", "cc", "subject", "date", "received", "return-path", "message-id",
     "mime-version", "content-type", "delivered-to", "reply-to", "sender", "x-mailer",
     "content-transfer-encoding", "in-reply-to", "references", "user-agent"}
)  # fmt: skip
_STRONG_HEADERS = frozenset(
    {"from", "received", "return-path", "message-id", "mime-version", "delivered-to"}
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAG = re.compile(rb"<(html|body|table|div|p|br)\b[^>]*>", re.I)


def sniff(data: bytes, filename: str | None = None, media_type: str | None = None) -> str:
    """The media type of ``data``: magic bytes first, then the file name and declared type."""
    suffix = PurePath(filename).suffix.lower() if filename else ""
    binary = _binary_type(data, suffix)
    if binary is not None:
        return binary
    if not looks_like_text(data):
        return OCTET
    return _text_type(data, suffix, _declared(media_type))


def describe(media_type: str) -> str:
    """A short human phrase for a media type, for error messages ("a ZIP archive")."""
    return _LABELS.get(media_type, media_type)


def is_supported(media_type: str) -> bool:
    """Whether :func:`~myloware.documents.load_document` can read this media type."""
    return media_type in SUPPORTED_TYPES


def _declared(media_type: str | None) -> str | None:
    if not media_type:
        return None
    base = media_type.split(";", 1)[0].strip().lower()
    return _DECLARED_ALIASES.get(base, base)


def _binary_type(data: bytes, suffix: str) -> str | None:
    head = data[:64]
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if head.startswith(_OLE):
        return _OLE_BY_SUFFIX.get(suffix, "application/x-ole-storage")
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    for signature, kind in _WEAK_SIGNATURES:
        if head.startswith(signature) and not looks_like_text(data):
            return kind
    return None


def _zip_type(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared.startswith("application/"):
                    return declared
    except Exception:  # any damage: it is still a ZIP, just not one we can look into
        return "application/zip"
    for member, kind in _ZIP_MEMBERS:
        if member in names:
            return kind
    return "application/zip"


def looks_like_text(data: bytes) -> bool:
    """Heuristic: no NUL bytes and few control characters in the first 8 KiB (or a BOM)."""
    if bom_encoding(data) is not None:
        return True
    sample = data[:8192]
    if b"\x00" in sample:
        return False
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f\b\x1b")
    return controls <= 0.02 * len(sample)


def _text_type(data: bytes, suffix: str, declared: str | None) -> str:
    hinted = _TEXT_BY_SUFFIX.get(suffix) or (declared if declared in SUPPORTED_TYPES else None)
    head = data[:16384].lstrip(b"\xef\xbb\xbf")
    if looks_like_email(head, lenient=hinted == EMAIL):
        return EMAIL
    if _HTML_START.match(head) or (hinted != HTML and _looks_like_xhtml(head)):
        return HTML
    if hinted == HTML and _HTML_TAG.search(head):
        return HTML
    if head.lstrip().startswith(b"<") and looks_like_einvoice(head):
        return XML
    if hinted in TEXT_TYPES:
        return hinted
    return TEXT


def _looks_like_xhtml(head: bytes) -> bool:
    return head.lstrip().startswith(b"<?xml") and b"<html" in head[:2048].lower()


def looks_like_email(head: bytes, *, lenient: bool = False) -> bool:
    """Whether the text starts with an RFC 5322 header block naming known e-mail headers.

    Without a hint, at least two known headers, one of them typical of a real message (From,
    Received, Message-ID ...); with a hint (``.eml``), one known header is enough.
    """
    text = head.decode("latin-1")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    names: set[str] = set()
    for line in lines[:200]:
        if not line.strip():
            break
        if line[0] in " \t":
            if not names:
                return False
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(":", 1)[0].lower())
    known = names & _KNOWN_HEADERS
    if lenient:
        return bool(known)
    return len(known) >= 2 and bool(known & _STRONG_HEADERS)
