"""/v1/dead-letters: list failed events and replay one (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from myloware.db.audit import record_audit
from myloware.events.dead_letters import list_dead_letters, replay
from myloware.web.deps import Admin, Limit, Offset, SessionDep, StateDep, client_info
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, error_responses

router = APIRouter(
    prefix="/v1/dead-letters",
    tags=["dead letters"],
    responses=error_responses(*AUTHENTICATED),
)


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    event_type: str
    event_id: uuid.UUID | None
    payload: dict[str, Any]
    error: str
    retry_count: int
    created_at: datetime
    processed_at: datetime | None


@router.get("", response_model=ListResponse[DeadLetterOut], summary="List dead letters")
async def list_letters(
    principal: Admin,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    include_processed: bool = False,
) -> ListResponse[DeadLetterOut]:
    rows = await list_dead_letters(
        session,
        tenant_id=principal.tenant_id,
        limit=limit,
        offset=offset,
        include_processed=include_processed,
    )
    return ListResponse(data=[DeadLetterOut.model_validate(r) for r in rows])


@router.post(
    "/{dead_letter_id}/replay",
    response_model=ApiResponse[dict[str, str]],
    summary="Publish a dead letter's event again",
    responses=error_responses(404, 409, 503),
)
async def replay_letter(
    dead_letter_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[dict[str, str]]:
    entry_id = await replay(
        session,
        state.redis,
        dead_letter_id,
        tenant_id=principal.tenant_id,
        stream=state.settings.events_stream,
    )
    record_audit(
        session,
        principal=principal,
        tenant_id=principal.tenant_id,
        action="dead_letter.replay",
        resource_type="dead_letter",
        resource_id=dead_letter_id,
        details={"stream_entry": entry_id},
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data={"id": str(dead_letter_id), "stream_entry": entry_id})
