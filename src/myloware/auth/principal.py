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
        return str(capability) in self.capabilities or Capability.ADMIN.value in self.capabilities

    def require(self, capability: Capability | str) -> None:
        if not self.has(capability):
            raise ForbiddenError(
                f"this credential lacks the '{capability}' capability",
                details={"required": str(capability)},
            )


def parse_capabilities(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Validate capability names; unknown ones are an error, not silently dropped."""
    unknown = sorted(set(values) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; known: {list(CAPABILITIES)}")
    return frozenset(values)
