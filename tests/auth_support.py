"""Credentials for tests: API keys stored the way `myloware apikey create` stores them."""

from __future__ import annotations

import uuid
from typing import Protocol

from myloware.auth.tokens import new_api_key
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import ApiKey


async def store_api_key(url: str, tenant_id: uuid.UUID, **fields: object) -> str:
    """Store an API key for ``tenant_id`` (read capability; ``fields`` override columns)."""
    key, prefix, digest = new_api_key()
    engine = create_engine(url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        session.add(
            ApiKey(
                tenant_id=tenant_id,
                name="t",
                prefix=prefix,
                key_hash=digest,
                capabilities=["work_orders:read"],
                **fields,
            )
        )
    await engine.dispose()
    return key


class TokenFor(Protocol):
    """The ``token_for`` fixture: Authorization headers for a tenant with some capabilities."""

    def __call__(
        self,
        tenant: str = "acme",
        *caps: str,
        ttl: int | None = None,
        groups: tuple[str, ...] = (),
    ) -> dict[str, str]: ...
