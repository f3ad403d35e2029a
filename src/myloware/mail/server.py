"""The SMTP listener: a message sent to a tenant's inbox becomes a work order.

``aiosmtpd`` speaks SMTP on the API process's event loop (``MYLOWARE_SMTP_PORT``). Per
message:

* ``RCPT TO`` must name an active inbox (``<mailbox>@<MYLOWARE_SMTP_DOMAIN>``), one per
  message; anything else is refused with ``550`` before the data is sent;
* the data is refused with ``552`` over ``MYLOWARE_MAX_BODY_BYTES`` (``SIZE`` is announced),
  with ``550`` when the envelope sender does not match the inbox's ``allowed_senders``, and
  with ``552`` when it holds more documents than an order may;
* otherwise the message is stored whole and split like an uploaded ``.eml`` (its body and
  each attachment one item), submitted as ``email:<sender>`` with the inbox's document type,
  and the answer is ``250 Queued as work order <id>``. A message sent again (an SMTP client
  retrying after a lost answer) names the same order: the idempotency key is the inbox and
  the ``Message-ID``.
* Anything failing on our side answers ``451``: the sending server keeps the message and
  tries again later, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.mail.inbox import Inbox, inbox_for
from myloware.services.schemas import WorkOrderCreate
from myloware.services.uploads import UploadedFile, prepare_items
from myloware.services.work_orders import create_work_order
from myloware.settings import Settings

log = structlog.get_logger(__name__)

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
        if await self._inbox(address) is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        try:
            return await self._take(envelope)
        except Exception:
            log.exception("email_intake_failed", rcpt=envelope.rcpt_tos)
            return "451 4.3.0 Could not take the message now; try again later"

    async def _take(self, envelope: Envelope) -> str:
        [address] = envelope.rcpt_tos
        inbox = await self._inbox(address)
        if inbox is None:  # deactivated since RCPT
            return "550 5.1.1 No such mailbox here"
        sender = str(envelope.mail_from or "")
        if not inbox.config.allows(sender):
            return "550 5.7.1 This sender may not send to this mailbox"
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        subject = str(headers.get("subject") or "message").strip() or "message"
        prepared = await asyncio.to_thread(
            prepare_items,
            [UploadedFile(f"{subject[:120]}.eml", raw, "message/rfc822")],
            doc_type=inbox.config.document_type,
            put=self._blobs.put,
        )
        limit = self._settings.max_items_per_order
        if len(prepared) > limit:
            return f"552 5.3.4 {len(prepared)} documents in one message; at most {limit}"
        message_id = str(headers.get("message-id") or "").strip()
        origin = {"from": sender, "to": address, "subject": subject, "message_id": message_id}
        async with self._sessions() as session:
            order, created = await create_work_order(
                session,
                principal=inbox.submitter(sender),
                payload=WorkOrderCreate(
                    metadata={"source": "email", "email": origin},
                    work_items=[p.item for p in prepared],
                ),
                idempotency_key=f"email:{inbox.id}:{message_id}"[:255] if message_id else None,
                items_extra=[p.extra for p in prepared],
            )
        if created:
            await self._start(order.id, inbox.tenant_id)
            log.info("email_taken", work_order_id=str(order.id), documents=len(prepared))
        return f"250 2.0.0 Queued as work order {order.id}"


async def serve_smtp(handler: IntakeHandler, settings: Settings) -> asyncio.Server:
    """Listen on ``smtp_host:smtp_port`` (port 0: a free one) on the running loop."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=settings.max_body_bytes,
            hostname=settings.smtp_domain,
            ident="MyloWare",
        ),
        host=settings.smtp_host,
        port=settings.smtp_port,
    )
