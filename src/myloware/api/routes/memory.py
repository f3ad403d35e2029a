"""/v1/memory: find a tenant's documents by meaning (embedding similarity)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from myloware.records import DocumentType
from myloware.services import memory as svc
from myloware.services.lessons import ForgottenLesson, forget_lesson
from myloware.services.memory import MemoryHit
from myloware.web.deps import Admin, Reader, SessionDep, StateDep, client_info
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, error_responses

router = APIRouter(tags=["memory"], responses=error_responses(*AUTHENTICATED, 503))

HitLimit = Annotated[int, Query(ge=1, le=50, description="how many documents")]


@router.get(
    "/v1/memory/search",
    response_model=ListResponse[MemoryHit],
    summary="Documents nearest a text",
    description="The tenant's documents whose text is nearest in meaning to `q` (cosine "
    "similarity of all-MiniLM-L6-v2 embeddings, 1 = the same), the nearest first. Documents "
    "are searchable once the relay's memory indexer has embedded them (about 30 ms each, in "
    "the background). 503 when memory embeddings are off.",
)
async def search(
    principal: Reader,
    session: SessionDep,
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=4000, description="what to look for")],
    document_type: DocumentType | None = None,
    limit: HitLimit = 10,
) -> ListResponse[MemoryHit]:
    vector = await svc.embed_query(state.embedder, q)
    hits = await svc.nearest(
        session,
        tenant_id=principal.tenant_id,
        vector=vector,
        limit=limit,
        document_type=document_type,
    )
    return ListResponse(data=hits)


@router.get(
    "/v1/work-items/{work_item_id}/similar",
    response_model=ListResponse[MemoryHit],
    summary="Documents like this one",
    description="The tenant's other documents of the same type nearest this item's text.",
    responses=error_responses(404),
)
async def similar(
    work_item_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    state: StateDep,
    limit: HitLimit = 5,
) -> ListResponse[MemoryHit]:
    hits = await svc.similar_items(
        session,
        state.embedder,
        tenant_id=principal.tenant_id,
        work_item_id=work_item_id,
        limit=limit,
    )
    return ListResponse(data=hits)


@router.delete(
    "/v1/memory/lessons/{work_item_id}",
    response_model=ApiResponse[ForgottenLesson],
    summary="Forget what an approval taught",
    description="The approved record of this work item no longer teaches later extractions "
    "(vendor identity, ticket routing) nor is shown to a model as an example. The record, "
    "its approval and the audit trail stay. Idempotent; audited as "
    "`memory.lesson_forgotten`.",
    responses=error_responses(404),
)
async def forget(
    work_item_id: uuid.UUID, principal: Admin, session: SessionDep, request: Request
) -> ApiResponse[ForgottenLesson]:
    done = await forget_lesson(
        session, principal=principal, work_item_id=work_item_id, client=client_info(request)
    )
    await session.commit()
    return ApiResponse(data=done)
