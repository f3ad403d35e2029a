"""Reading what an approval card shows from the database.

The record a person is asked about is the one the Policy agent saw: the input of the item's
latest completed ``Policy`` attempt (the persisted record only exists after the decision).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.agents.names import AgentName
from myloware.auth.page_links import link_key, signed_page_path
from myloware.db.base import AttemptStatus
from myloware.db.models import ApprovalRequest, Attempt, WorkItem
from myloware.documents.pages import renderable
from myloware.errors import ValidationFailed
from myloware.records import DocumentType
from myloware.services import schemas_registry
from myloware.services.work_orders import get_work_item
from myloware.settings import Settings
from myloware.slack.cards import CardAction, CardFacts


def run_trace_url(settings: Settings, work_item_id: uuid.UUID) -> str:
    return f"{settings.base_url}/ui/work-items/{work_item_id}"


async def policy_record(session: AsyncSession, work_item_id: uuid.UUID) -> dict[str, Any]:
    """The canonical record (as JSON) the Policy agent last evaluated; {} when unknown."""
    attempt_input = await session.scalar(
        select(Attempt.input)
        .where(
            Attempt.work_item_id == work_item_id,
            Attempt.agent_id == AgentName.POLICY,
            Attempt.status == AttemptStatus.COMPLETED,
        )
        .order_by(Attempt.started_at.desc())
        .limit(1)
    )
    record = (attempt_input or {}).get("record")
    return record if isinstance(record, dict) else {}


def plain_values(record: dict[str, Any]) -> dict[str, Any]:
    """``{field: value}`` from a dumped CanonicalRecord."""
    fields = record.get("fields") or {}
    return {name: field.get("value") for name, field in fields.items() if isinstance(field, dict)}


def rule_lines(reasons: dict[str, Any]) -> list[str]:
    """The fired rules stored on an approval request (``reasons["rules"]``)."""
    rules = reasons.get("rules") or []
    return [str(rule) for rule in rules] if isinstance(rules, list) else []


def thumbnail_url(settings: Settings, item: WorkItem) -> str | None:
    """A signed link to the item's first page picture, for Slack to fetch: only for a PDF
    or an image, and only when the platform's public URL is configured (Slack cannot
    reach ``http://127.0.0.1``)."""
    public = settings.public_url or settings.api_url
    if not public or item.blob_ref is None or not renderable(item.media_type or ""):
        return None
    path = signed_page_path(
        link_key(settings.jwt_secret), tenant_id=item.tenant_id, work_item_id=item.id
    )
    return public.rstrip("/") + path


async def load_card_facts(
    session: AsyncSession, request: ApprovalRequest, settings: Settings
) -> CardFacts:
    """Everything the card of ``request`` shows, as the database has it now."""
    record = await policy_record(session, request.work_item_id)
    item = await session.get(WorkItem, request.work_item_id)
    item_type = item.type if item is not None else None
    document_type = record.get("document_type") or (item_type.value if item_type else None)
    return CardFacts(
        action=CardAction(
            work_item_id=request.work_item_id, request_id=request.id, tier=request.tier
        ),
        document_type=document_type,
        values=plain_values(record),
        explanation=request.explanation,
        reasons=rule_lines(request.reasons),
        approver_group=request.approver_group,
        tier=request.tier,
        due_at=request.due_at,
        policy=f"{request.policy_name} v{request.policy_version}",
        link=run_trace_url(settings, request.work_item_id),
        image_url=thumbnail_url(settings, item) if item is not None else None,
    )


async def correction_inputs(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the active schema of the item's type, the record's values) the correction modal shows;
    ``NotFound`` for an item of another tenant, ``ValidationFailed`` when it has no type."""
    item = await get_work_item(session, tenant_id=tenant_id, work_item_id=work_item_id)
    record = await policy_record(session, item.id)
    type_name = str(record.get("document_type") or (item.type.value if item.type else ""))
    if type_name not in DocumentType.__members__:
        raise ValidationFailed("the document has no type yet: correct it in the Run Trace")
    schema = await schemas_registry.active_definition(session, DocumentType(type_name))
    return schema, plain_values(record)
