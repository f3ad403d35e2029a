"""/v1/connectors/email: a tenant's e-mail inbox (documents sent to it become work orders)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import ConfigDict, Field

from myloware.api.routes.connectors import ConnectorOut
from myloware.mail.inbox import change_inbox, create_inbox
from myloware.records import DocumentType
from myloware.storable import StorableModel
from myloware.web.deps import Admin, SessionDep, StateDep, client_info
from myloware.web.envelope import ApiResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/connectors", tags=["connectors"], responses=error_responses(*AUTHENTICATED)
)

#: No white space (nor control characters): spelled out, as regex engines differ on ``\s``.
SenderPattern = Annotated[
    str,
    Field(
        min_length=1,
        max_length=320,
        pattern=r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$",
    ),
]


class InboxRules(StorableModel):
    """What an inbox lets in, and as what."""

    model_config = ConfigDict(extra="forbid")

    allowed_senders: list[SenderPattern] = Field(
        default_factory=list,
        max_length=100,
        description="envelope senders allowed, as patterns (*@acme.example); none: anyone "
        "who knows the address",
    )
    document_type: DocumentType | None = Field(
        default=None, description="what every document sent is (detected when not given)"
    )


class EmailInboxIn(InboxRules):
    name: str = Field(default="email", min_length=1, max_length=255)


@router.post(
    "/email",
    response_model=ApiResponse[ConnectorOut],
    status_code=status.HTTP_201_CREATED,
    summary="Open an e-mail inbox",
    description="A new inbox with a generated address: messages sent to it become work "
    "orders (the body and each attachment one document). See docs/email.md.",
    responses=error_responses(*WITH_BODY),
)
async def open_inbox(
    payload: EmailInboxIn,
    principal: Admin,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[ConnectorOut]:
    row = await create_inbox(
        session,
        tenant_id=principal.tenant_id,
        name=payload.name,
        allowed_senders=payload.allowed_senders,
        document_type=payload.document_type,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    address = f"{row.config['mailbox']}@{state.settings.smtp_domain}"
    listening = state.settings.smtp_port is not None
    return ApiResponse(
        data=ConnectorOut.of(row),
        message=f"send documents to {address}"
        + ("" if listening else " (the SMTP listener is off: set MYLOWARE_SMTP_PORT)"),
    )


@router.put(
    "/{connector_id}/email",
    response_model=ApiResponse[ConnectorOut],
    summary="Change an e-mail inbox's senders and document type (its address stays)",
    responses=error_responses(*WITH_BODY, 404, 409),
)
async def change_inbox_rules(
    connector_id: uuid.UUID,
    payload: InboxRules,
    principal: Admin,
    session: SessionDep,
    request: Request,
) -> ApiResponse[ConnectorOut]:
    row = await change_inbox(
        session,
        tenant_id=principal.tenant_id,
        connector_id=connector_id,
        allowed_senders=payload.allowed_senders,
        document_type=payload.document_type,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=ConnectorOut.of(row))
