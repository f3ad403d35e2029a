"""/v1/policies: publish versions (admin), show the active one, dry-run a policy on a record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from myloware.errors import ConflictError, ValidationFailed
from myloware.policy import (
    Decision,
    Policy,
    PolicyContext,
    ValidationSummary,
    dry_run,
    load_policy,
    policy_digest,
    policy_from_dict,
    policy_to_dict,
)
from myloware.records import DocumentType
from myloware.services import policies as svc
from myloware.services.work_orders import get_work_item
from myloware.storable import StorableModel
from myloware.web.deps import Admin, Reader, SessionDep, client_info
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/policies", tags=["policies"], responses=error_responses(*AUTHENTICATED)
)


class PolicySource(StorableModel):
    """A policy document, either as a JSON object or as YAML text."""

    model_config = ConfigDict(
        extra="forbid",
        # what _exactly_one checks, so that the OpenAPI document says it too
        json_schema_extra={
            "oneOf": [
                {"required": ["document"], "properties": {"document": {"type": "object"}}},
                {"required": ["yaml"], "properties": {"yaml": {"type": "string"}}},
            ]
        },
    )

    document: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=200_000)

    @model_validator(mode="after")
    def _exactly_one(self) -> PolicySource:
        if (self.document is None) == (self.yaml is None):
            raise ValueError("give exactly one of 'document' (JSON) or 'yaml' (text)")
        return self

    def load(self) -> Policy:
        return (
            load_policy(self.yaml)
            if self.yaml is not None
            else policy_from_dict(self.document or {})
        )


class PolicyOut(BaseModel):
    id: uuid.UUID | None
    name: str
    version: str
    digest: str
    scope: str  # "tenant" or "platform"
    is_active: bool
    created_at: datetime | None
    created_by: str | None
    document: dict[str, Any]


class DryRunIn(StorableModel):
    model_config = ConfigDict(
        extra="forbid",
        # what _context needs: a work item's id, or a record's type and values
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["work_item_id"],
                    "properties": {"work_item_id": {"type": "string", "format": "uuid"}},
                },
                {
                    "required": ["document_type", "values"],
                    "properties": {
                        "document_type": {"type": "string"},
                        "values": {"type": "object"},
                    },
                },
            ]
        },
    )

    work_item_id: uuid.UUID | None = Field(
        default=None, description="use this item's stored record and validation"
    )
    document_type: DocumentType | None = None
    values: dict[str, Any] | None = None
    confidences: dict[str, float] = Field(default_factory=dict)
    validation: dict[str, Any] | None = None
    known_vendor: StrictBool | None = None
    policy: PolicySource | None = Field(default=None, description="a draft; default: the active")


@router.get("", response_model=ListResponse[PolicyOut], summary="List policy versions")
async def list_policies(principal: Reader, session: SessionDep) -> ListResponse[PolicyOut]:
    rows = await svc.list_policies(session, tenant_id=principal.tenant_id)
    return ListResponse(
        data=[
            PolicyOut(
                id=r.id,
                name=r.name,
                version=r.version,
                digest=r.digest,
                scope="platform" if r.tenant_id is None else "tenant",
                is_active=r.is_active,
                created_at=r.created_at,
                created_by=r.created_by,
                document=r.document,
            )
            for r in rows
        ]
    )


@router.get("/active", response_model=ApiResponse[PolicyOut], summary="The policy in force")
async def active(principal: Reader, session: SessionDep) -> ApiResponse[PolicyOut]:
    policy, row_id = await svc.active_policy(session, tenant_id=principal.tenant_id)
    return ApiResponse(data=_out(policy, row_id))


@router.post(
    "",
    response_model=ApiResponse[PolicyOut],
    status_code=201,
    summary="Publish a version",
    responses=error_responses(*WITH_BODY, 409),
)
async def publish(
    source: PolicySource, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[PolicyOut]:
    policy = source.load()
    row = await svc.store_policy(
        session,
        policy=policy,
        tenant_id=principal.tenant_id,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=_out(policy, row.id), message="published and active")


@router.post(
    "/dry-run",
    response_model=ApiResponse[Decision],
    summary="What would the policy decide?",
    responses=error_responses(*WITH_BODY, 404, 409),
)
async def dry_run_policy(
    payload: DryRunIn, principal: Reader, session: SessionDep
) -> ApiResponse[Decision]:
    if payload.policy is not None:
        policy = payload.policy.load()
    else:
        policy, _ = await svc.active_policy(session, tenant_id=principal.tenant_id)
    ctx = await _context(session, principal.tenant_id, payload)
    return ApiResponse(data=dry_run(policy, ctx), message="dry run: nothing was changed")


async def _context(session: SessionDep, tenant_id: uuid.UUID, payload: DryRunIn) -> PolicyContext:
    values, confidences, validation = payload.values, payload.confidences, payload.validation
    doc_type = payload.document_type
    item_id = str(payload.work_item_id or uuid.uuid4())
    if payload.work_item_id is not None and values is None:
        item = await get_work_item(session, tenant_id=tenant_id, work_item_id=payload.work_item_id)
        stored = item.result or {}
        values = stored.get("fields") or {}
        confidences = confidences or stored.get("confidence") or {}
        validation = validation or stored.get("validation")
        doc_type = doc_type or (DocumentType(item.type.value) if item.type else None)
        if doc_type is None:  # the item's state, not the request, is what is missing
            raise ConflictError(
                f"work item {payload.work_item_id} has no document type yet (not processed); "
                "give document_type and values"
            )
    if doc_type is None or values is None:
        raise ValidationFailed("give document_type and values, or the id of a processed work item")
    return PolicyContext(
        document_type=doc_type,
        values=values,
        confidences=confidences,
        validation=ValidationSummary.model_validate(validation or {}),
        work_item_id=item_id,
        known_vendor=payload.known_vendor,
    )


def _out(policy: Policy, row_id: uuid.UUID | None) -> PolicyOut:
    return PolicyOut(
        id=row_id,
        name=policy.name,
        version=policy.version,
        digest=policy_digest(policy),
        scope="tenant" if row_id else "platform",
        is_active=True,
        created_at=None,
        created_by=None,
        document=policy_to_dict(policy),
    )
