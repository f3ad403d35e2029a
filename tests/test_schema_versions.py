"""Schema versions: published (checked), activated one per type, listed by the API; the
newest active one is what SchemaGuard reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.models import DocumentSchema
from myloware.errors import ConflictError, NotFoundError, ValidationFailed
from myloware.records import DocumentType
from myloware.schemas import (
    builtin_schema_rows,
    current_version,
    load_builtin_schema,
    schema_name,
)
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
        await registry.seed_builtin_schemas(session)  # rows a test deleted come back
        for doc_type in DocumentType:
            name, version = schema_name(doc_type), current_version(doc_type)
            await registry.activate_schema(session, name=name, version=version)


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
    seeded = [r for r in builtin_schema_rows() if r.document_type is DocumentType.INVOICE][-1]
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


async def _active_invoice_versions(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(DocumentSchema.name, DocumentSchema.version).where(
            DocumentSchema.document_type == "INVOICE", DocumentSchema.is_active.is_(True)
        )
    )
    return [(r.name, r.version) for r in rows]


async def _as_before_version_2(session: AsyncSession) -> None:
    """The table as a database seeded before INVOICE version 2 left it."""
    await session.execute(
        delete(DocumentSchema).where(
            DocumentSchema.name == "invoice", DocumentSchema.version == "2"
        )
    )
    await registry.activate_schema(session, name="invoice", version="1")


async def test_upgrading_activates_invoice_version_2_over_the_built_in_version_1(
    registry_session: AsyncSession,
) -> None:
    """Seeding a database whose active INVOICE schema is the built-in version 1 adds version 2
    and makes it the one active version; seeding again changes nothing."""
    session = registry_session
    async with session.begin():
        await _as_before_version_2(session)
        assert await _active_invoice_versions(session) == [("invoice", "1")]
        activated = await registry.seed_builtin_schemas(session)
        assert [(r.name, r.version) for r in activated] == [("invoice", "2")]
        assert await _active_invoice_versions(session) == [("invoice", "2")]
        assert await registry.seed_builtin_schemas(session) == []
    definition = await registry.active_definition(session, DocumentType.INVOICE)
    assert definition["x-schema-version"] == "2" and "iban" in definition["properties"]


async def test_upgrading_leaves_an_operators_active_version_active(
    registry_session: AsyncSession,
) -> None:
    """A version an operator published and activated stays active; version 2 is added,
    inactive, for them to activate when they choose."""
    session = registry_session
    async with session.begin():
        await _as_before_version_2(session)
        await registry.publish_schema(
            session,
            document_type=DocumentType.INVOICE,
            name="invoice-ours",
            version="t-ours",
            definition=load_builtin_schema(DocumentType.INVOICE),
        )
        assert await registry.seed_builtin_schemas(session) == []
        assert await _active_invoice_versions(session) == [("invoice-ours", "t-ours")]
        listed = await registry.list_schemas(session, document_type=DocumentType.INVOICE)
        assert ("invoice", "2", False) in {(r.name, r.version, r.is_active) for r in listed}
