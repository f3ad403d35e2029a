"""A tenant's e-mail inbox: a connector of type EMAIL, and what its config means.

The config (JSONB) of an EMAIL connector::

    {
      "mailbox": "in-3k9x0q7m2f8w1c5a",        # generated: <mailbox>@<MYLOWARE_SMTP_DOMAIN>
      "allowed_senders": ["*@acme.example", "billing@vendor.example"],
      "document_type": "INVOICE"               # optional: what every document is
    }

The mailbox name is generated (80 random bits) and is what lets mail in: anybody who knows
the address can send documents to the tenant, as with any receipt-forwarding address, so it
is shown to admins only. ``allowed_senders`` narrows it to envelope senders matching one of
the patterns (``fnmatch``, case-insensitive); SMTP senders can be forged, so this is a
filter against strays, not authentication.
"""

from __future__ import annotations

import fnmatch
import re
import secrets
import string
import uuid
from dataclasses import dataclass

import structlog
from pydantic import ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Capability, Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.base import ConnectorStatus, ConnectorType, TenantStatus
from myloware.db.models import Connector, Tenant
from myloware.errors import ConfigurationError, ConflictError, NotFoundError
from myloware.records import DocumentType
from myloware.services.connectors import add_connector, get_connector
from myloware.storable import StorableModel

log = structlog.get_logger(__name__)

MAILBOX_PATTERN = r"^in-[a-z0-9]{16}$"
_ALPHABET = string.ascii_lowercase + string.digits


def new_mailbox() -> str:
    """``in-`` and 16 random letters and digits (about 82 bits)."""
    return "in-" + "".join(secrets.choice(_ALPHABET) for _ in range(16))


class EmailConfig(StorableModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mailbox: str = Field(pattern=MAILBOX_PATTERN)
    allowed_senders: list[str] = Field(default_factory=list, max_length=100)
    document_type: DocumentType | None = None

    def allows(self, sender: str) -> bool:
        """Whether the envelope sender may submit (everyone when no pattern is set)."""
        if not self.allowed_senders:
            return True
        sender = sender.lower()
        return any(fnmatch.fnmatchcase(sender, p.lower()) for p in self.allowed_senders)


@dataclass(frozen=True, slots=True)
class Inbox:
    """An active EMAIL connector with its validated config."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    config: EmailConfig
    tenant_active: bool = True  # False: its tenant is disabled, and mail to it is refused

    def submitter(self, sender: str) -> Principal:
        """Who a message's documents are submitted as: the sender, with write access only."""
        return Principal(
            subject=f"email:{sender or 'unknown'}"[:255],
            tenant_id=self.tenant_id,
            capabilities=frozenset({Capability.WORK_ORDERS_WRITE.value}),
            kind="email",
        )


class DamagedInbox(ConfigurationError):
    """An inbox whose stored config no longer validates (edited by hand, say)."""


async def inbox_for(session: AsyncSession, mailbox: str) -> Inbox | None:
    """The active inbox a mailbox name (the address's local part) belongs to;
    :class:`DamagedInbox` when its stored config does not validate (mail to it must wait,
    not bounce)."""
    found = (
        await session.execute(
            select(Connector, Tenant.status)
            .join(Tenant, Tenant.id == Connector.tenant_id)
            .where(
                Connector.type == ConnectorType.EMAIL,
                Connector.status == ConnectorStatus.ACTIVE,
                Connector.config["mailbox"].astext == mailbox.lower(),
            )
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    row, tenant_status = found
    try:
        config = EmailConfig.model_validate(row.config)
    except ValidationError as exc:
        log.warning("email_inbox_invalid", connector_id=str(row.id), errors=exc.error_count())
        raise DamagedInbox(f"inbox {row.id} has a config that does not validate") from exc
    return Inbox(
        id=row.id,
        tenant_id=row.tenant_id,
        config=config,
        tenant_active=tenant_status is TenantStatus.ACTIVE,
    )


async def create_inbox(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    allowed_senders: list[str],
    document_type: DocumentType | None,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> Connector:
    """A new inbox (EMAIL connector) with a freshly generated mailbox name; audited, and
    left for the caller to commit."""
    config = EmailConfig(
        mailbox=new_mailbox(), allowed_senders=allowed_senders, document_type=document_type
    )
    return await add_connector(
        session,
        tenant_id=tenant_id,
        name=name,
        type_=ConnectorType.EMAIL,
        config=config.model_dump(mode="json"),
        principal=principal,
        client=client,
    )


async def change_inbox(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    connector_id: uuid.UUID,
    allowed_senders: list[str],
    document_type: DocumentType | None,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> Connector:
    """Replace an inbox's senders and document type; its address stays. Audited; the caller
    commits. Another tenant's connector, or one that is not an inbox, is not found."""
    row = await get_connector(session, tenant_id=tenant_id, connector_id=connector_id)
    if row.type is not ConnectorType.EMAIL:  # as PUT …/slack answers for a non-Slack one
        raise NotFoundError(f"connector {connector_id} is not an e-mail inbox")
    mailbox = row.config.get("mailbox") if isinstance(row.config, dict) else None
    if not isinstance(mailbox, str) or not re.match(MAILBOX_PATTERN, mailbox):
        raise ConflictError(f"inbox {connector_id} has lost its address: open a new one")
    changed = EmailConfig(
        mailbox=mailbox, allowed_senders=allowed_senders, document_type=document_type
    )
    row.config = changed.model_dump(mode="json")
    await session.flush()
    await session.refresh(row)
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="connector.update",
        resource_type="connector",
        resource_id=row.id,
        details={"allowed_senders": allowed_senders, "document_type": document_type},
        client=client,
    )
    return row
