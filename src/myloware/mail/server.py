"""The SMTP listener: a message sent to a tenant's inbox becomes a work order.

``aiosmtpd`` speaks SMTP on the API process's event loop (``MYLOWARE_SMTP_PORT``). Per
message:

* ``RCPT TO`` must name an active inbox (``<mailbox>@<MYLOWARE_SMTP_DOMAIN>``), one per
  message, and the envelope sender must match its ``allowed_senders`` (never the null
  sender of bounces); anything else is refused with ``550`` before the data is sent;
* the data is refused with ``552`` over ``MYLOWARE_MAX_BODY_BYTES`` (``SIZE`` is announced),
  and when it holds more documents than an order may; with ``554`` when it cannot be read;
* otherwise it is split like an uploaded ``.eml`` (its body and each attachment one item),
  submitted as ``email:<sender>`` with the inbox's document type, and the answer is
  ``250 Queued as work order <id>``. A message sent again (an SMTP client retrying after a
  lost answer sends the same bytes) names the same order: the idempotency key is a hash of
  the inbox, the sender and the message.
* a disabled tenant's inbox refuses mail at ``RCPT`` (and at ``DATA``, when the tenant was
  disabled in between) with ``550 5.2.1``, logged as ``email_refused``
  (``reason=tenant_disabled``): nothing is stored or created;
* A failure on our side (database, storage) answers ``451``: the sending server keeps the
  message and tries again later, so nothing is lost.

The inbox's address is not copied into the order (its metadata names the inbox's connector
id): the address is what lets mail in, and order readers are not all admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.errors import ConfigurationError
from myloware.mail.inbox import DamagedInbox, Inbox, inbox_for
from myloware.services.schemas import WorkOrderCreate
from myloware.services.uploads import PreparedItem, UploadedFile, prepare_items, split_email
from myloware.services.work_orders import create_work_order
from myloware.settings import Settings

log = structlog.get_logger(__name__)

TENANT_DISABLED = "550 5.2.1 This mailbox is disabled and takes no mail"

Starter = Callable[[uuid.UUID, uuid.UUID], Awaitable[None]]


class IntakeHandler:
    """aiosmtpd's handler: the ``RCPT`` and ``DATA`` hooks."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        blobs: Any,
        start: Starter,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._blobs = blobs
        self._start = start

    async def _inbox(self, address: str) -> Inbox | None:
        mailbox, _, domain = address.rpartition("@")
        if not mailbox or domain.lower() != self._settings.smtp_domain.lower():
            return None
        async with self._sessions() as session:
            return await inbox_for(session, mailbox)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if envelope.rcpt_tos:
            return "452 4.5.3 One inbox per message, please"
        try:
            inbox = await self._inbox(address)
        except DamagedInbox:  # an operator must repair it: mail waits at the sender meanwhile
            return "451 4.3.0 This mailbox cannot take mail right now; try again later"
        if inbox is None:
            return "550 5.1.1 No such mailbox here"
        if not inbox.tenant_active:
            return _tenant_disabled(inbox)
        if not _may_send(inbox, envelope.mail_from):  # refused before any data is sent
            return "550 5.7.1 This sender may not send to this mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        [address] = envelope.rcpt_tos
        try:
            inbox = await self._inbox(address)
        except DamagedInbox:
            return "451 4.3.0 This mailbox cannot take mail right now; try again later"
        if inbox is None:  # deactivated since RCPT
            return "550 5.1.1 No such mailbox here"
        if not inbox.tenant_active:  # disabled since RCPT
            return _tenant_disabled(inbox)
        sender = str(envelope.mail_from or "")
        if not _may_send(inbox, sender):
            return "550 5.7.1 This sender may not send to this mailbox"
        raw = envelope.original_content or b""
        raw = raw.encode() if isinstance(raw, str) else raw
        try:
            read = await asyncio.to_thread(_read, raw)
        except Exception as exc:  # the message itself: sending it again would fail again
            log.warning("email_unreadable", inbox_id=str(inbox.id), error=repr(exc))
            return "554 5.6.0 The message could not be read"
        limit = self._settings.max_items_per_order
        if len(read.parts) > limit:
            return f"552 5.3.4 {len(read.parts)} documents in one message; at most {limit}"
        try:  # storing and recording: our side, so a failure asks the sender to retry
            prepared = await asyncio.to_thread(
                prepare_items,
                read.parts,
                doc_type=inbox.config.document_type,
                put=self._blobs.put,
                split=False,
            )
            return await self._submit(inbox, sender, raw, read, prepared)
        except Exception:
            log.exception("email_intake_failed", inbox_id=str(inbox.id))
            return "451 4.3.0 Could not take the message now; try again later"

    async def _submit(
        self, inbox: Inbox, sender: str, raw: bytes, read: _Read, prepared: list[PreparedItem]
    ) -> str:
        digest = hashlib.sha256(f"{inbox.id}\n{sender}\n".encode() + raw).hexdigest()
        origin = {
            "inbox_id": str(inbox.id),
            "from": sender,
            "subject": read.subject,
            "message_id": read.message_id,
        }
        async with self._sessions() as session:
            order, created = await create_work_order(
                session,
                principal=inbox.submitter(sender),
                payload=WorkOrderCreate(
                    metadata={"source": "email", "email": origin},
                    work_items=[p.item for p in prepared],
                ),
                idempotency_key=f"email:{digest}",
                items_extra=[p.extra for p in prepared],
            )
            await session.commit()
        if created:
            await self._start(order.id, inbox.tenant_id)
            log.info("email_taken", work_order_id=str(order.id), documents=len(prepared))
        return f"250 2.0.0 Queued as work order {order.id}"


def _tenant_disabled(inbox: Inbox) -> str:
    log.warning(
        "email_refused",
        reason="tenant_disabled",
        tenant_id=str(inbox.tenant_id),
        inbox_id=str(inbox.id),
    )
    return TENANT_DISABLED


def _may_send(inbox: Inbox, sender: str | None) -> bool:
    """Not the null sender (a bounce), and one the inbox allows."""
    return bool(sender) and sender != "<>" and inbox.config.allows(str(sender))


@dataclass(frozen=True, slots=True)
class _Read:
    subject: str
    message_id: str
    parts: list[UploadedFile]  # the body and each attachment


def _clean(value: object, limit: int) -> str:
    """A header value fit for a filename and JSON: no control characters (NUL included)."""
    return "".join(ch for ch in str(value) if ch >= " " and ch != "\x7f").strip()[:limit]


def _read(raw: bytes) -> _Read:
    """The message's subject and Message-ID (from its header block only; odd values read
    as nothing rather than failing) and its documents (CPU-bound: run in a thread)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = BytesHeaderParser(policy=default_policy).parsebytes(head)
    subject = message_id = ""
    with contextlib.suppress(Exception):
        subject = _clean(headers.get("subject") or "", 120)
    with contextlib.suppress(Exception):
        message_id = _clean(headers.get("message-id") or "", 255)
    upload = UploadedFile(f"{subject or 'message'}.eml", raw, "message/rfc822")
    parts = split_email(upload)  # the body and each attachment, whatever sniffing would say
    return _Read(subject=subject, message_id=message_id, parts=parts)


class SmtpListener:
    """The listening server and its open sessions (closed together at shutdown: a client
    idling in a session must not outlive the API's database pool)."""

    def __init__(self, handler: IntakeHandler, settings: Settings) -> None:
        self._handler = handler
        self._settings = settings
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self._server: asyncio.Server | None = None

    def _protocol(self) -> SMTP:
        protocol = SMTP(
            self._handler,
            data_size_limit=self._settings.max_body_bytes,
            hostname=self._settings.smtp_domain,
            ident="MyloWare",
        )
        self._sessions.add(protocol)
        return protocol

    async def start(self) -> int:
        """Listen on ``smtp_host:smtp_port`` (0: a free port); the port."""
        settings = self._settings
        try:
            self._server = await asyncio.get_running_loop().create_server(
                self._protocol, host=settings.smtp_host, port=settings.smtp_port
            )
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen for e-mail on {settings.smtp_host}:{settings.smtp_port} "
                f"({exc.strerror}): choose another MYLOWARE_SMTP_PORT"
            ) from exc
        port = int(self._server.sockets[0].getsockname()[1])
        log.info("smtp_listening", host=settings.smtp_host, port=port)
        return port

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for protocol in list(self._sessions):
            if protocol.transport is not None:
                protocol.transport.close()
        await self._server.wait_closed()
