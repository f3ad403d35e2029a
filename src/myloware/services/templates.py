"""Stored workflow templates: versions per tenant and document type, which one is active.

Mirrors the policies (:mod:`myloware.services.policies`): a version is immutable, publishing
one makes it the active one (unless asked not to), the same name+version twice is 409; a
tenant sees its own versions and the platform's (``tenant_id`` NULL) and changes only its own.
An older version is made active again with :func:`activate_template`; at most one is active
per tenant and document type. Where a tenant has none for a type, the platform's active one
applies, then the built-in template (today's pipeline).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.models import WorkflowTemplate
from myloware.errors import ConflictError, NotFoundError, ValidationFailed
from myloware.pipeline_template import (
    ANY_TYPE,
    BUILTIN_TOOL_NAMES,
    TemplateRef,
    TemplateSettings,
    allowed_tools,
    builtin_template,
    template_digest,
)
from myloware.records import DocumentType
from myloware.services.tools import enabled_tool_names


def check_settings(settings: TemplateSettings) -> None:
    unknown = sorted(set(settings.extractor.tools or ()) - set(BUILTIN_TOOL_NAMES))
    if unknown:
        raise ValidationFailed(
            f"unknown tools {', '.join(unknown)}; known: {', '.join(BUILTIN_TOOL_NAMES)}"
        )


def check_document_type(document_type: str) -> str:
    if document_type != ANY_TYPE and document_type not in {t.value for t in DocumentType}:
        known = ", ".join([ANY_TYPE, *(t.value for t in DocumentType)])
        raise ValidationFailed(f"unknown document type {document_type!r}; known: {known}")
    return document_type


async def publish_template(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    name: str,
    version: str,
    document_type: str,
    settings: TemplateSettings,
    description: str | None = None,
    activate: bool = True,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> WorkflowTemplate:
    check_document_type(document_type)
    check_settings(settings)
    row = WorkflowTemplate(
        tenant_id=tenant_id,
        name=name,
        version=version,
        description=description,
        document_type=document_type,
        workflow_definition=settings.model_dump(mode="json"),
        is_active=False,
        created_by=principal.subject if principal else "system",
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ConflictError(
            f"template '{name}' version {version} already exists; publish a new version instead"
        ) from None
    if tenant_id is not None:
        record_audit(
            session,
            principal=principal,
            tenant_id=tenant_id,
            action="template.publish",
            resource_type="workflow_template",
            resource_id=row.id,
            details={
                "name": name,
                "version": version,
                "document_type": document_type,
                "digest": template_digest(settings),
            },
            client=client,
        )
    if activate:
        await _make_active(session, row)
    return row


async def list_templates(
    session: AsyncSession, *, tenant_id: uuid.UUID, document_type: str | None = None
) -> Sequence[WorkflowTemplate]:
    query = select(WorkflowTemplate).where(
        or_(WorkflowTemplate.tenant_id == tenant_id, WorkflowTemplate.tenant_id.is_(None))
    )
    if document_type is not None:
        query = query.where(WorkflowTemplate.document_type == document_type)
    return (
        await session.scalars(
            query.order_by(WorkflowTemplate.document_type, WorkflowTemplate.created_at.desc())
        )
    ).all()


async def get_template(
    session: AsyncSession, *, tenant_id: uuid.UUID, template_id: uuid.UUID
) -> WorkflowTemplate:
    """A version this tenant may see (its own or the platform's); another tenant's is 404."""
    row = await session.get(WorkflowTemplate, template_id)
    if row is None or row.tenant_id not in (tenant_id, None):
        raise NotFoundError(f"workflow template {template_id} not found")
    return row


async def _own(
    session: AsyncSession, *, tenant_id: uuid.UUID, template_id: uuid.UUID
) -> WorkflowTemplate:
    row = await get_template(session, tenant_id=tenant_id, template_id=template_id)
    if row.tenant_id is None:
        raise ConflictError("a platform template cannot be changed by a tenant")
    return row


async def activate_template(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> WorkflowTemplate:
    """Make this version the tenant's active one for its document type."""
    return await _switch(session, tenant_id, template_id, principal, client, active=True)


async def deactivate_template(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> WorkflowTemplate:
    """Stop using this version (the platform's or the built-in template applies again)."""
    return await _switch(session, tenant_id, template_id, principal, client, active=False)


async def _switch(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    principal: Principal | None,
    client: ClientInfo | None,
    *,
    active: bool,
) -> WorkflowTemplate:
    """(De)activate one of the tenant's versions, audited."""
    row = await _own(session, tenant_id=tenant_id, template_id=template_id)
    if active:
        await _make_active(session, row)
    else:
        row.is_active = False
        await session.flush()
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="template.activate" if active else "template.deactivate",
        resource_type="workflow_template",
        resource_id=row.id,
        details={"name": row.name, "version": row.version, "document_type": row.document_type},
        client=client,
    )
    return row


async def delete_template(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> None:
    """Delete a version that is not active (work items keep the version they ran with)."""
    row = await _own(session, tenant_id=tenant_id, template_id=template_id)
    if row.is_active:
        raise ConflictError("the active version cannot be deleted; activate another first")
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="template.delete",
        resource_type="workflow_template",
        resource_id=row.id,
        details={"name": row.name, "version": row.version},
        client=client,
    )
    await session.delete(row)
    await session.flush()


async def _make_active(session: AsyncSession, row: WorkflowTemplate) -> None:
    owner = (
        WorkflowTemplate.tenant_id.is_(None)
        if row.tenant_id is None
        else WorkflowTemplate.tenant_id == row.tenant_id
    )
    await session.execute(
        update(WorkflowTemplate)
        .where(
            owner,
            WorkflowTemplate.document_type == row.document_type,
            WorkflowTemplate.id != row.id,
            WorkflowTemplate.is_active.is_(True),
        )
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    row.is_active = True
    await session.flush()


async def active_template(
    session: AsyncSession, *, tenant_id: uuid.UUID, document_type: DocumentType
) -> TemplateRef:
    """What a work item of this type starts with now (as RecordGen resolves it)."""
    row = await session.scalar(
        select(WorkflowTemplate)
        .where(
            or_(WorkflowTemplate.tenant_id == tenant_id, WorkflowTemplate.tenant_id.is_(None)),
            WorkflowTemplate.document_type.in_([document_type.value, ANY_TYPE]),
            WorkflowTemplate.is_active.is_(True),
        )
        .order_by(WorkflowTemplate.tenant_id.is_(None), WorkflowTemplate.document_type == ANY_TYPE)
        .limit(1)
    )
    enabled = await enabled_tool_names(session, tenant_id=tenant_id)
    if row is None:
        return builtin_template(document_type, allowed_tools(None, enabled))
    settings = TemplateSettings.model_validate(row.workflow_definition)
    return TemplateRef(
        id=row.id,
        name=row.name,
        version=row.version,
        document_type=row.document_type,
        scope="platform" if row.tenant_id is None else "tenant",
        settings=settings,
        tools=allowed_tools(settings.extractor.tools, enabled),
    )
