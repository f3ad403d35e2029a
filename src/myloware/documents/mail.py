"""E-mail messages (.eml): a header summary and the body as text, attachments as documents.

The text starts with the headers a reader needs (From, To, Cc, Date, Subject, and the list of
attachments), then a blank line, then the body: the text/plain part if there is one, else the
HTML part as text. Every attachment is loaded with the same limits by the loader passed in;
one that cannot be read is listed in the ``Attachments:`` line with the reason, and the
message is still loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser

import structlog

from myloware.documents.layout import has_text, text_lines
from myloware.documents.markup import html_to_text
from myloware.documents.model import LoadedDocument
from myloware.documents.plain import decode_text, normalize_newlines
from myloware.errors import DocumentError

log = structlog.get_logger(__name__)

MEDIA_TYPE = "message/rfc822"
MAX_ATTACHMENTS = 20
SUMMARY_HEADERS = ("From", "To", "Cc", "Date", "Subject")

PartLoader = Callable[[bytes, str | None, str | None], LoadedDocument]
"""Loads one attachment: ``(data, filename, declared media type)``."""


def load_email(data: bytes, *, load_part: PartLoader, name: str | None = None) -> LoadedDocument:
    """Parse an RFC 5322 message; attachments are loaded through ``load_part``."""
    message = _parse(data)
    attachments: list[LoadedDocument] = []
    listed: list[str] = []
    for index, part in enumerate(message.iter_attachments(), start=1):
        filename = _filename(part)
        label = filename or f"attachment {index} ({part.get_content_type()})"
        if len(attachments) >= MAX_ATTACHMENTS:
            listed.append(f"{label} (not read: more than {MAX_ATTACHMENTS} attachments)")
            continue
        try:
            attachments.append(load_part(_payload(part), filename, part.get_content_type()))
            listed.append(label)
        except DocumentError as exc:
            log.info("email_attachment_skipped", attachment=index, reason=exc.message)
            listed.append(f"{label} (not read: {exc.message})")
    header = _summary(message, listed)
    body = _body(message)
    text = "\n\n".join(part for part in ("\n".join(header), body) if part)
    if not has_text([text_lines(body)]) and not attachments and not header:
        raise DocumentError("no text found in the e-mail")
    document = LoadedDocument.from_text(text, name=name)
    return replace(document, media_type=MEDIA_TYPE, attachments=tuple(attachments))


def _parse(data: bytes) -> EmailMessage:
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
    except (ValueError, TypeError, LookupError, IndexError):
        raise DocumentError("the e-mail message could not be parsed") from None
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default guarantees
        raise DocumentError("the e-mail message could not be parsed")
    return message


def _summary(message: EmailMessage, attachments: list[str]) -> list[str]:
    lines = []
    for header in SUMMARY_HEADERS:
        value = _header(message, header)
        if value:
            lines.append(f"{header}: {value}")
    if attachments:
        lines.append("Attachments: " + "; ".join(attachments))
    return lines


def _header(message: Message, header: str) -> str:
    try:
        value = message.get(header)
    except (ValueError, TypeError, IndexError, LookupError):  # malformed header
        value = message.get_all(header, [""])[0] if header in message else ""
    return " ".join(str(value or "").split())


def _filename(part: MIMEPart) -> str | None:
    try:
        return part.get_filename()
    except (ValueError, TypeError, IndexError, LookupError):
        return None


def _body(message: EmailMessage) -> str:
    """The preferred body part as text: text/plain, else HTML converted to text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        if message.get_content_maintype() == "text" and not message.is_multipart():
            part = message
        else:
            return ""
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    return normalize_newlines(text).strip("\n")


def _part_text(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, TypeError, AssertionError):  # unknown charset etc.
        content = part.get_payload(decode=True)
    if isinstance(content, bytes):
        return decode_text(content)
    return str(content)


def _payload(part: MIMEPart) -> bytes:
    """The attachment's bytes; an attached message comes back as its own RFC 5322 bytes."""
    if part.get_content_type() == MEDIA_TYPE:
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return bytes(inner[0].as_bytes(policy=policy.default))
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return b""
