"""Versions of the document-type JSON Schemas (table ``schemas``): list, publish, activate.

The table is platform-wide (every tenant reads the same schemas), so publishing is an
operator task (``myloware schema publish``), not a tenant admin's; everyone can read them
(``GET /v1/schemas``). SchemaGuard validates against, and the model is asked for, the newest
active version of a type; workers cache it for 30 s.

The built-in versions (:mod:`myloware.schemas`) are seeded by :func:`seed_builtin_schemas`:
a built-in version new to the table becomes active when its type's active schema is an
older built-in one (or none is), so an upgrade moves INVOICE from version 1 to 2 by
itself, while a version an operator published and activated stays active until they
choose (``myloware schema activate invoice 2``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import DocumentSchema
from myloware.errors import ConflictError, NotFoundError, ValidationFailed
from myloware.records import DocumentType
from myloware.schemas import (
    BUILTIN_VERSIONS,
    builtin_schema_rows,
    current_version,
    load_builtin_schema,
    schema_name,
)


async def list_schemas(
    session: AsyncSession, *, document_type: DocumentType | None = None
) -> Sequence[DocumentSchema]:
    query = select(DocumentSchema)
    if document_type is not None:
        query = query.where(DocumentSchema.document_type == document_type.value)
    order = (DocumentSchema.document_type, DocumentSchema.created_at, DocumentSchema.id)
    return (await session.scalars(query.order_by(*order))).all()


def check_definition(document_type: DocumentType, definition: Any) -> dict[str, Any]:
    """A valid Draft 2020-12 JSON Schema of an object that keeps every canonical field."""
    if not isinstance(definition, dict):
        raise ValidationFailed("a schema must be a JSON object")
    try:
        Draft202012Validator.check_schema(definition)
    except SchemaError as exc:
        raise ValidationFailed(f"not a valid JSON Schema (Draft 2020-12): {exc.message}") from None
    properties = definition.get("properties")
    if definition.get("type") != "object" or not isinstance(properties, dict):
        raise ValidationFailed("the schema must describe an object with 'properties'")
    canonical = load_builtin_schema(document_type)["properties"]
    dropped = sorted(set(canonical) - set(properties))
    if dropped:
        raise ValidationFailed(
            f"the schema drops canonical fields of {document_type.value}: {', '.join(dropped)} "
            "(they are part of the public contract: API, Slack cards, evaluation)"
        )
    return definition


async def publish_schema(
    session: AsyncSession,
    *,
    document_type: DocumentType,
    name: str,
    version: str,
    definition: Any,
) -> DocumentSchema:
    """Store a new version and make it the active one of its type."""
    definition = check_definition(document_type, definition)
    taken = await session.scalar(
        select(DocumentSchema.id).where(
            DocumentSchema.name == name, DocumentSchema.version == version
        )
    )
    if taken is not None:
        raise ConflictError(f"schema {name} version {version} exists already")
    row = DocumentSchema(
        name=name,
        version=version,
        document_type=document_type.value,
        schema_definition=definition,
        is_active=False,
    )
    session.add(row)
    await session.flush()
    return await activate_schema(session, name=name, version=version)


async def activate_schema(session: AsyncSession, *, name: str, version: str) -> DocumentSchema:
    """Make ``name`` ``version`` its type's only active schema (rolling back is activating
    an earlier version)."""
    row = await session.scalar(
        select(DocumentSchema).where(DocumentSchema.name == name, DocumentSchema.version == version)
    )
    if row is None:
        raise NotFoundError(f"no schema {name} version {version}")
    await session.execute(
        update(DocumentSchema)
        .where(DocumentSchema.document_type == row.document_type, DocumentSchema.id != row.id)
        .values(is_active=False)
    )
    row.is_active = True
    await session.flush()
    return row


async def active_definition(session: AsyncSession, document_type: DocumentType) -> dict[str, Any]:
    """The schema SchemaGuard validates a type against now: the newest active version, or
    the built-in one when none was published."""
    definition = await session.scalar(
        select(DocumentSchema.schema_definition)
        .where(
            DocumentSchema.document_type == document_type.value,
            DocumentSchema.is_active.is_(True),
        )
        .order_by(DocumentSchema.created_at.desc())
        .limit(1)
    )
    return dict(definition) if definition else load_builtin_schema(document_type)


async def seed_builtin_schemas(session: AsyncSession) -> list[DocumentSchema]:
    """Insert the built-in versions the table lacks (never overwriting one) and activate
    each type's current version where it is new and a built-in version, or none, is active.
    Returns the rows activated."""
    inserted: set[tuple[str, str]] = set()
    for row in builtin_schema_rows():
        new_id = await session.scalar(
            insert(DocumentSchema)
            .values(
                id=uuid.uuid4(),
                name=row.name,
                version=row.version,
                document_type=row.document_type.value,
                schema_definition=row.definition,
                is_active=False,
            )
            .on_conflict_do_nothing(index_elements=["name", "version"])
            .returning(DocumentSchema.id)
        )
        if new_id is not None:
            inserted.add((row.name, row.version))
    activated = []
    for doc_type, versions in BUILTIN_VERSIONS.items():
        name, version = schema_name(doc_type), current_version(doc_type)
        if (name, version) not in inserted:
            continue
        active = await session.execute(
            select(DocumentSchema.name, DocumentSchema.version).where(
                DocumentSchema.document_type == doc_type.value,
                DocumentSchema.is_active.is_(True),
            )
        )
        if all(r.name == name and r.version in versions for r in active):
            activated.append(await activate_schema(session, name=name, version=version))
    return activated
