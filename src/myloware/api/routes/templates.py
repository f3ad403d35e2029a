"""/v1/workflow-templates: per document type, how the pipeline's stages run (versioned like
policies; admins publish and activate), and /v1/tools: the tools agents may call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from myloware.db.models import WorkflowTemplate
from myloware.pipeline_template import TemplateRef, TemplateSettings, template_digest
from myloware.records import DocumentType
from myloware.services import templates as svc
from myloware.services import tools as tools_svc
from myloware.storable import StorableModel
from myloware.web.deps import Admin, Reader, SessionDep, client_info
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/workflow-templates",
    tags=["workflow-templates"],
    responses=error_responses(*AUTHENTICATED),
)
tools_router = APIRouter(
    prefix="/v1/tools", tags=["tools"], responses=error_responses(*AUTHENTICATED)
)


class TemplateIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")
    version: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    document_type: DocumentType | Literal["*"] = Field(
        default="*", description="a document type, or * for any"
    )
    description: str | None = Field(default=None, max_length=2000)
    settings: TemplateSettings = Field(default_factory=TemplateSettings)
    activate: StrictBool = Field(default=True, description="make it the active version at once")


class TemplateOut(BaseModel):
    id: uuid.UUID | None
    name: str
    version: str
    document_type: str
    scope: str  # builtin | platform | tenant
    is_active: bool
    description: str | None = None
    digest: str
    created_at: datetime | None = None
    created_by: str | None = None
    settings: TemplateSettings
    tools: list[str] | None = None  # resolved: the tools the extractor agent gets


class ToolOut(BaseModel):
    name: str
    description: str | None
    capabilities: list[str]
    builtin: bool
    enabled: bool


class ToolSwitch(StorableModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool


def _out(row: WorkflowTemplate) -> TemplateOut:
    settings = TemplateSettings.model_validate(row.workflow_definition)
    return TemplateOut(
        id=row.id,
        name=row.name,
        version=row.version,
        document_type=row.document_type,
        scope="platform" if row.tenant_id is None else "tenant",
        is_active=row.is_active,
        description=row.description,
        digest=template_digest(settings),
        created_at=row.created_at,
        created_by=row.created_by,
        settings=settings,
    )


def _resolved(ref: TemplateRef) -> TemplateOut:
    return TemplateOut(
        id=ref.id,
        name=ref.name,
        version=ref.version,
        document_type=ref.document_type,
        scope=ref.scope,
        is_active=True,
        digest=template_digest(ref.settings),
        settings=ref.settings,
        tools=ref.tools,
    )


@router.get("", response_model=ListResponse[TemplateOut], summary="List template versions")
async def list_templates(
    principal: Reader,
    session: SessionDep,
    document_type: str | None = Query(default=None, max_length=64),
) -> ListResponse[TemplateOut]:
    rows = await svc.list_templates(
        session, tenant_id=principal.tenant_id, document_type=document_type
    )
    return ListResponse(data=[_out(r) for r in rows])


@router.get(
    "/active",
    response_model=ApiResponse[TemplateOut],
    summary="The template a new document of this type runs with",
)
async def active(
    principal: Reader, session: SessionDep, document_type: DocumentType
) -> ApiResponse[TemplateOut]:
    ref = await svc.active_template(
        session, tenant_id=principal.tenant_id, document_type=document_type
    )
    return ApiResponse(data=_resolved(ref))


@router.get(
    "/{template_id:uuid}",
    response_model=ApiResponse[TemplateOut],
    summary="One template version",
    responses=error_responses(404),
)
async def get_template(
    template_id: uuid.UUID, principal: Reader, session: SessionDep
) -> ApiResponse[TemplateOut]:
    row = await svc.get_template(session, tenant_id=principal.tenant_id, template_id=template_id)
    return ApiResponse(data=_out(row))


@router.post(
    "",
    response_model=ApiResponse[TemplateOut],
    status_code=201,
    summary="Publish a version",
    responses=error_responses(*WITH_BODY, 409),
)
async def publish(
    payload: TemplateIn, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[TemplateOut]:
    row = await svc.publish_template(
        session,
        tenant_id=principal.tenant_id,
        name=payload.name,
        version=payload.version,
        document_type=str(payload.document_type),
        settings=payload.settings,
        description=payload.description,
        activate=payload.activate,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(
        data=_out(row), message="published and active" if row.is_active else "published"
    )


@router.post(
    "/{template_id:uuid}/activate",
    response_model=ApiResponse[TemplateOut],
    summary="Make this version the active one for its document type",
    responses=error_responses(404, 409),
)
async def activate(
    template_id: uuid.UUID, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[TemplateOut]:
    row = await svc.activate_template(
        session,
        tenant_id=principal.tenant_id,
        template_id=template_id,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=_out(row), message="active")


@router.post(
    "/{template_id:uuid}/deactivate",
    response_model=ApiResponse[TemplateOut],
    summary="Stop using this version (the platform's or the built-in template applies)",
    responses=error_responses(404, 409),
)
async def deactivate(
    template_id: uuid.UUID, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[TemplateOut]:
    row = await svc.deactivate_template(
        session,
        tenant_id=principal.tenant_id,
        template_id=template_id,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=_out(row), message="inactive")


@router.delete(
    "/{template_id:uuid}",
    response_model=ApiResponse[dict[str, Any]],
    summary="Delete a version that is not active",
    responses=error_responses(404, 409),
)
async def delete(
    template_id: uuid.UUID, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[dict[str, Any]]:
    await svc.delete_template(
        session,
        tenant_id=principal.tenant_id,
        template_id=template_id,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data={"id": str(template_id)}, message="deleted")


@tools_router.get("", response_model=ListResponse[ToolOut], summary="The tools agents may call")
async def list_tools(principal: Reader, session: SessionDep) -> ListResponse[ToolOut]:
    views = await tools_svc.list_tools(session, tenant_id=principal.tenant_id)
    return ListResponse(data=[ToolOut(**v.__dict__) for v in views])


@tools_router.put(
    "/{name}",
    response_model=ApiResponse[ToolOut],
    summary="Allow or refuse a tool for this tenant",
    responses=error_responses(*WITH_BODY, 404),
)
async def switch_tool(
    name: str, payload: ToolSwitch, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[ToolOut]:
    view = await tools_svc.set_tool_enabled(
        session,
        tenant_id=principal.tenant_id,
        name=name,
        enabled=payload.enabled,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(
        data=ToolOut(**view.__dict__), message="allowed" if view.enabled else "refused"
    )
