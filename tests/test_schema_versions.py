"""Schema versions: published (checked), activated one per type, listed by the API; the
newest active one is what SchemaGuard reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.models import DocumentSchema
from myloware.errors import ConflictError, NotFoundError, ValidationFailed
from myloware.records import DocumentType
from myloware.schemas import builtin_schema_rows, load_builtin_schema
from myloware.services import schemas_registry as registry
from tests.auth_support import TokenFor


@pytest.fixture
async def registry_session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """The ``schemas`` table is shared by the whole suite: put the seeded state back."""
    async with sessions() as session:
        yield session
    async with sessions() as session, session.begin():
        await session.execute(delete(DocumentSchema).where(DocumentSchema.version.like("t-%")))
        for row in builtin_schema_rows():
            await session.execute(
                update(DocumentSchema)
                .where(DocumentSchema.name == row.name, DocumentSchema.version == row.version)
                .values(is_active=True)
            )


def _with_po() -> dict[str, Any]:
    schema = load_builtin_schema(DocumentType.INVOICE)
    schema["properties"]["po_number"] = {"type": ["string", "null"]}
    return schema


async def test_publish_activates_one_version_per_type_and_rolls_back(
    registry_session: AsyncSession, api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    session = registry_session
    async with session.begin():
        row = await registry.publish_schema(
            session,
            document_type=DocumentType.INVOICE,
            name="invoice",
            version="t-2",
            definition=_with_po(),
        )
    assert row.is_active
    listed = await api.get("/v1/schemas?document_type=INVOICE", headers=token_for("acme"))
    versions = {(s["version"], s["is_active"]) for s in listed.json()["data"]}
    assert ("t-2", True) in versions and sum(active for _, active in versions) == 1
    seeded = next(r for r in builtin_schema_rows() if r.document_type is DocumentType.INVOICE)
    async with session.begin():
        back = await registry.activate_schema(session, name=seeded.name, version=seeded.version)
    assert back.is_active
    listed = await api.get("/v1/schemas?document_type=INVOICE", headers=token_for("acme"))
    assert [s["version"] for s in listed.json()["data"] if s["is_active"]] == [seeded.version]


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"type": 5}, "not a valid JSON Schema"),
        ({"type": "array"}, "'properties'"),
        ({"type": "object", "properties": {"po_number": {"type": "string"}}}, "drops canonical"),
        ([1, 2], "JSON object"),
    ],
)
async def test_unusable_schemas_are_refused(
    registry_session: AsyncSession, definition: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await registry.publish_schema(
            registry_session,
            document_type=DocumentType.INVOICE,
            name="invoice",
            version="t-bad",
            definition=definition,
        )


async def test_versions_are_unique_and_must_exist_to_activate(
    registry_session: AsyncSession,
) -> None:
    session = registry_session
    async with session.begin():
        await registry.publish_schema(
            session,
            document_type=DocumentType.INVOICE,
            name="invoice",
            version="t-3",
            definition=_with_po(),
        )
    with pytest.raises(ConflictError):
        await registry.publish_schema(
            session,
            document_type=DocumentType.INVOICE,
            name="invoice",
            version="t-3",
            definition=_with_po(),
        )
    await session.rollback()
    with pytest.raises(NotFoundError):
        await registry.activate_schema(session, name="invoice", version="t-none")
