"""/v1/api-keys: a tenant's API keys — create (the key is shown once), list, revoke (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from myloware.auth.principal import TENANT_CAPABILITIES, parse_capabilities
from myloware.services import api_keys as svc
from myloware.storable import StorableModel
from myloware.web.deps import Admin, SessionDep, StateDep, client_info
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/api-keys", tags=["api keys"], responses=error_responses(*AUTHENTICATED)
)


class ApiKeyIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, description="what the key is for")
    capabilities: list[
        Annotated[str, Field(json_schema_extra={"enum": list(TENANT_CAPABILITIES)})]
    ] = Field(default_factory=lambda: ["work_orders:read", "work_orders:write"], min_length=1)
    groups: list[str] = Field(default_factory=list, description="approver groups")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("capabilities")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return sorted(parse_capabilities(value, known=TENANT_CAPABILITIES))


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    capabilities: list[str]
    groups: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the API key, shown only in this answer")


@router.post(
    "",
    response_model=ApiResponse[ApiKeyCreated],
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
    responses=error_responses(*WITH_BODY),
)
async def create_key(
    payload: ApiKeyIn, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[ApiKeyCreated]:
    row, key = await svc.create_api_key(
        session,
        tenant_id=principal.tenant_id,
        name=payload.name,
        capabilities=payload.capabilities,
        groups=payload.groups,
        expires_in_days=payload.expires_in_days,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    out = ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)
    return ApiResponse(data=out, message="store the key now: it is not shown again")


@router.get("", response_model=ListResponse[ApiKeyOut], summary="List the tenant's API keys")
async def list_keys(
    principal: Admin, session: SessionDep, include_revoked: bool = False
) -> ListResponse[ApiKeyOut]:
    rows = await svc.list_api_keys(
        session, tenant_id=principal.tenant_id, include_revoked=include_revoked
    )
    return ListResponse(data=[ApiKeyOut.model_validate(r) for r in rows])


@router.post(
    "/{key}/revoke",
    response_model=ApiResponse[ApiKeyOut],
    summary="Revoke an API key (by id or prefix)",
    responses=error_responses(404),
)
async def revoke_key(
    key: str, principal: Admin, session: SessionDep, state: StateDep, request: Request
) -> ApiResponse[ApiKeyOut]:
    row = await svc.revoke_api_key(
        session,
        tenant_id=principal.tenant_id,
        key=key,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    state.api_keys.pop(row.key_hash, None)  # this process refuses it at once
    return ApiResponse(
        data=ApiKeyOut.model_validate(row),
        message="revoked; other API processes refuse it within 30 s (their key cache)",
    )
