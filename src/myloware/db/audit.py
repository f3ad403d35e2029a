"""Audit trail: one row per state-changing action, in the same transaction as the change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.models import AuditLog


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip_address: str | None = None
    user_agent: str | None = None


def record_audit(
    session: AsyncSession,
    *,
    principal: Principal | None,
    tenant_id: uuid.UUID,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
    client: ClientInfo | None = None,
    user_id: str | None = None,
) -> None:
    """Stage one audit row; ``user_id`` names the actor when there is no Principal object."""
    client = client or ClientInfo()
    session.add(
        AuditLog(
            tenant_id=tenant_id,
            user_id=principal.subject if principal else user_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details or {},
            ip_address=client.ip_address,
            user_agent=(client.user_agent or None) and client.user_agent[:1000],
        )
    )
