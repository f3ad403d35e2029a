"""Turning uploaded files into work items: store each file content-addressed, split e-mails.

An ``.eml`` becomes one item for its body and one per attachment, so every document in it
goes through the pipeline on its own. Files are not parsed here beyond that: an empty,
corrupt or unsupported file still becomes an item, which RecordGen then fails with the reason.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart

from myloware.documents import sniff
from myloware.records import DocumentType
from myloware.services.schemas import WorkItemIn
from myloware.storable import storable_text

EML_TYPES = {"message/rfc822"}


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    data: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class PreparedItem:
    item: WorkItemIn
    extra: dict[str, str | None]


def split_email(upload: UploadedFile) -> list[UploadedFile]:
    """The body (as text/plain or text/html) and each attachment of an e-mail, in order."""
    message = email.message_from_bytes(upload.data, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        return [upload]
    parts: list[UploadedFile] = []
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = _text_of(body)
        if isinstance(content, str) and content.strip():
            subtype = body.get_content_subtype()
            header = f"Subject: {message.get('subject', '')}\nFrom: {message.get('from', '')}\n\n"
            text = header + content if subtype == "plain" else content
            parts.append(
                UploadedFile(
                    filename=f"{upload.filename} (body)",
                    data=text.encode(),
                    media_type="text/plain" if subtype == "plain" else "text/html",
                )
            )
    for index, attachment in enumerate(message.iter_attachments(), start=1):
        payload = attachment.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        parts.append(
            UploadedFile(
                filename=attachment.get_filename() or f"{upload.filename} attachment {index}",
                data=payload,
                media_type=attachment.get_content_type(),
            )
        )
    return parts or [upload]


def _text_of(part: MIMEPart) -> object:
    """A text part's content; with a charset Python does not know (``x-unknown``, a typo),
    its bytes read as UTF-8 with replacements rather than the whole e-mail refused."""
    try:
        content: object = part.get_content()
        return content
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def prepare_items(
    uploads: list[UploadedFile],
    *,
    doc_type: DocumentType | None,
    put: object,
    split: bool = True,
) -> list[PreparedItem]:
    """Store each file with ``put(bytes) -> ref`` and describe its work item; ``split``: an
    e-mail (by its content) first becomes its body and attachments."""
    prepared: list[PreparedItem] = []
    for upload in uploads:
        media_type = sniff(upload.data, upload.filename) if upload.data else upload.media_type
        parts = split_email(upload) if split and media_type in EML_TYPES else [upload]
        for part in parts:
            name = storable_text(part.filename) or "upload"  # no NUL: PostgreSQL refuses it
            ref = put(part.data)  # type: ignore[operator]
            part_type = sniff(part.data, part.filename) if part.data else part.media_type
            prepared.append(
                PreparedItem(
                    item=WorkItemIn(
                        type=doc_type,
                        content=f"blob:{ref}",
                        filename=name[:512],
                    ),
                    extra={"blob_ref": ref, "media_type": part_type, "filename": name},
                )
            )
    return prepared
