"""/v1/accounts: a tenant's local accounts (people who sign in to the UI with a password) —
create, list, disable/enable, a new set-password link, sign out everywhere (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from myloware.auth.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from myloware.auth.principal import TENANT_CAPABILITIES, Principal, parse_capabilities
from myloware.db.models import Account
from myloware.services import accounts as svc
from myloware.services.accounts import USERNAME_PATTERN
from myloware.settings import Settings
from myloware.storable import StorableModel
from myloware.web.deps import Admin, SessionDep, StateDep, client_info
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/accounts", tags=["accounts"], responses=error_responses(*AUTHENTICATED)
)


class AccountIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        min_length=1,
        max_length=255,
        pattern=USERNAME_PATTERN,
        description="what the person signs in with (compared without case)",
    )
    display_name: str = Field(default="", max_length=255)
    email: str | None = Field(default=None, max_length=320)
    capabilities: list[
        Annotated[str, Field(json_schema_extra={"enum": list(TENANT_CAPABILITIES)})]
    ] = Field(default_factory=lambda: ["work_orders:read"], min_length=1)
    groups: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, description="approver groups the person decides for"
    )
    password: SecretStr | None = Field(
        default=None,
        min_length=MIN_PASSWORD_CHARS,
        max_length=MAX_PASSWORD_CHARS,
        description="set now; without it the answer holds a one-time set-password link",
    )

    @field_validator("capabilities")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return sorted(parse_capabilities(value, known=TENANT_CAPABILITIES))


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    capabilities: list[str]
    groups: list[str]
    created_at: datetime
    password_set_at: datetime | None
    disabled_at: datetime | None
    last_sign_in_at: datetime | None


class AccountWithLink(AccountOut):
    set_password_url: str | None = Field(
        description="one-time link (72 h) to choose a password; shown only in this answer"
    )


def _with_link(settings: Settings, row: Account, token: str | None) -> AccountWithLink:
    link = svc.set_password_url(settings, token) if token else None
    return AccountWithLink(**AccountOut.model_validate(row).model_dump(), set_password_url=link)


@router.post(
    "",
    response_model=ApiResponse[AccountWithLink],
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    responses=error_responses(*WITH_BODY, 409),
)
async def create_account(
    payload: AccountIn, principal: Admin, session: SessionDep, state: StateDep, request: Request
) -> ApiResponse[AccountWithLink]:
    row, token = await svc.create_account(
        session,
        tenant_id=principal.tenant_id,
        username=payload.username,
        display_name=payload.display_name,
        email=payload.email,
        capabilities=payload.capabilities,
        groups=payload.groups,
        password=payload.password.get_secret_value() if payload.password else None,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    message = "send the person the set-password link" if token else "the account can sign in"
    return ApiResponse(data=_with_link(state.settings, row, token), message=message)


@router.get("", response_model=ListResponse[AccountOut], summary="List the tenant's accounts")
async def list_accounts(
    principal: Admin, session: SessionDep, include_disabled: bool = False
) -> ListResponse[AccountOut]:
    rows = await svc.list_accounts(
        session, tenant_id=principal.tenant_id, include_disabled=include_disabled
    )
    return ListResponse(data=[AccountOut.model_validate(r) for r in rows])


async def _switch(
    account: str, disabled: bool, principal: Principal, session: SessionDep, request: Request
) -> AccountOut:
    row = await svc.set_disabled(
        session,
        tenant_id=principal.tenant_id,
        account=account,
        disabled=disabled,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return AccountOut.model_validate(row)


@router.post(
    "/{account}/disable",
    response_model=ApiResponse[AccountOut],
    summary="Disable an account (by id or username): its UI sessions end at once",
    responses=error_responses(404),
)
async def disable_account(
    account: str, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[AccountOut]:
    return ApiResponse(data=await _switch(account, True, principal, session, request))


@router.post(
    "/{account}/enable",
    response_model=ApiResponse[AccountOut],
    summary="Enable a disabled account again",
    responses=error_responses(404),
)
async def enable_account(
    account: str, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[AccountOut]:
    return ApiResponse(data=await _switch(account, False, principal, session, request))


@router.post(
    "/{account}/password-link",
    response_model=ApiResponse[AccountWithLink],
    summary="A new one-time set-password link (the current password works until it is used)",
    responses=error_responses(404),
)
async def password_link(
    account: str, principal: Admin, session: SessionDep, state: StateDep, request: Request
) -> ApiResponse[AccountWithLink]:
    row, token = await svc.reset_password(
        session,
        tenant_id=principal.tenant_id,
        account=account,
        password=None,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=_with_link(state.settings, row, token))


class SignedOut(BaseModel):
    account: AccountOut
    sessions_ended: int


@router.post(
    "/{account}/sign-out",
    response_model=ApiResponse[SignedOut],
    summary="End every UI session of the account",
    responses=error_responses(404),
)
async def sign_out(
    account: str, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[SignedOut]:
    row, ended = await svc.sign_out_everywhere(
        session,
        tenant_id=principal.tenant_id,
        account=account,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=SignedOut(account=AccountOut.model_validate(row), sessions_ended=ended))
