"""Who is calling, for which tenant, allowed to do what."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from myloware.errors import ForbiddenError


class Capability(StrEnum):
    WORK_ORDERS_READ = "work_orders:read"
    WORK_ORDERS_WRITE = "work_orders:write"
    APPROVALS_DECIDE = "approvals:decide"
    ADMIN = "admin"
    TENANTS_ADMIN = "tenants:admin"


#: Capabilities of a platform operator, above any one tenant: granted only by name (a tenant's
#: ``admin`` does not imply them) and only by an operator (``myloware token create -c …``).
PLATFORM_CAPABILITIES: tuple[str, ...] = (Capability.TENANTS_ADMIN.value,)
#: What a tenant's admin may grant through the API (an API key's capabilities).
TENANT_CAPABILITIES: tuple[str, ...] = tuple(
    c.value for c in Capability if c.value not in PLATFORM_CAPABILITIES
)
#: Every known capability.
CAPABILITIES: tuple[str, ...] = tuple(c.value for c in Capability)


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    tenant_id: uuid.UUID
    capabilities: frozenset[str]
    kind: str = "jwt"  # "jwt" | "api_key"
    groups: frozenset[str] = frozenset()  # approver groups this principal decides for

    @property
    def is_admin(self) -> bool:
        return Capability.ADMIN.value in self.capabilities

    def has(self, capability: Capability | str) -> bool:
        """Granted by name, or by ``admin`` — except a platform capability: by name only."""
        if str(capability) in self.capabilities:
            return True
        return str(capability) not in PLATFORM_CAPABILITIES and self.is_admin

    def require(self, capability: Capability | str) -> None:
        if not self.has(capability):
            raise ForbiddenError(
                f"this credential lacks the '{capability}' capability",
                details={"required": str(capability)},
            )


def parse_capabilities(
    values: list[str] | tuple[str, ...], *, known: tuple[str, ...] = CAPABILITIES
) -> frozenset[str]:
    """Validate capability names against ``known``; others are an error, not silently dropped."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; known: {list(known)}")
    return frozenset(values)
