"""POST /v1/sessions/sign-out: an admin ends a person's UI sessions by the name they signed
in as — the way to sign out someone who came through the identity provider (OIDC) and has
no local account (accounts have POST /v1/accounts/{account}/sign-out)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from myloware.services import accounts as svc
from myloware.web.deps import Admin, SessionDep, client_info
from myloware.web.envelope import ApiResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/sessions", tags=["accounts"], responses=error_responses(*AUTHENTICATED)
)


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=255, description="who signed in, e.g. alice@acme")


class SubjectSignedOut(BaseModel):
    subject: str
    sessions_ended: int


@router.post(
    "/sign-out",
    response_model=ApiResponse[SubjectSignedOut],
    summary="End every UI session of a person in this tenant",
    responses=error_responses(*WITH_BODY),
)
async def sign_out_subject(
    body: SubjectIn, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[SubjectSignedOut]:
    ended = await svc.sign_out_subject(
        session,
        tenant_id=principal.tenant_id,
        subject=body.subject,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=SubjectSignedOut(subject=body.subject, sessions_ended=ended))
