"""/v1/tenants: platform operators (``tenants:admin``) create, list, rename, disable tenants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from myloware.db.base import TenantStatus
from myloware.services import tenants as svc
from myloware.storable import StorableModel
from myloware.web.deps import (
    Limit,
    Offset,
    Operator,
    SessionDep,
    StateDep,
    client_info,
    forget_tenant,
)
from myloware.web.envelope import ApiResponse, PageResponse, Pagination
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses
from myloware.web.paths import id_param

router = APIRouter(
    prefix="/v1/tenants", tags=["tenants"], responses=error_responses(*AUTHENTICATED)
)
TENANT_ID = id_param("tenant_id")


class TenantIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(
        min_length=1, max_length=63, pattern=svc.SLUG_PATTERN, description="unique, URL-safe"
    )
    name: str = Field(min_length=1, max_length=255)


class TenantPatch(StorableModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: TenantStatus | None = Field(
        default=None, description="DISABLED refuses the tenant's tokens and API keys"
    )


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    status: TenantStatus
    created_at: datetime


@router.post(
    "",
    response_model=ApiResponse[TenantOut],
    status_code=status.HTTP_201_CREATED,
    summary="Create a tenant",
    responses=error_responses(*WITH_BODY, 409),
)
async def create_tenant(
    payload: TenantIn, principal: Operator, session: SessionDep, request: Request
) -> ApiResponse[TenantOut]:
    row = await svc.create_tenant(
        session,
        slug=payload.slug,
        name=payload.name,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=TenantOut.model_validate(row))


@router.get("", response_model=PageResponse[TenantOut], summary="List tenants")
async def list_tenants(
    principal: Operator,
    session: SessionDep,
    status_: Annotated[TenantStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageResponse[TenantOut]:
    rows, total = await svc.list_tenants(session, status=status_, limit=limit, offset=offset)
    return PageResponse(
        data=[TenantOut.model_validate(r) for r in rows],
        pagination=Pagination(total=total, limit=limit, offset=offset),
    )


@router.get(
    f"/{TENANT_ID}",
    response_model=ApiResponse[TenantOut],
    summary="Get one",
    responses=error_responses(404),
)
async def get_tenant(
    tenant_id: uuid.UUID, principal: Operator, session: SessionDep
) -> ApiResponse[TenantOut]:
    row = await svc.get_tenant(session, tenant=str(tenant_id))
    return ApiResponse(data=TenantOut.model_validate(row))


@router.patch(
    f"/{TENANT_ID}",
    response_model=ApiResponse[TenantOut],
    summary="Rename, disable or enable a tenant",
    responses=error_responses(*WITH_BODY, 404, 409),
)
async def update_tenant(
    tenant_id: uuid.UUID,
    payload: TenantPatch,
    principal: Operator,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[TenantOut]:
    row = await svc.update_tenant(
        session,
        tenant=str(tenant_id),
        name=payload.name,
        status=payload.status,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    forget_tenant(state, row.id)  # this process refuses (or accepts) its credentials at once
    return ApiResponse(
        data=TenantOut.model_validate(row),
        message="other API processes apply a status change within 30 s (their tenant cache)",
    )
