"""/ui/search — find documents by meaning (the memory search of ``GET /v1/memory/search``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from myloware.errors import MylowareError
from myloware.records import DocumentType
from myloware.services import memory
from myloware.ui.deps import UiReader, UiRoute
from myloware.ui.rendering import render
from myloware.web.deps import SessionDep, get_state

router = APIRouter(route_class=UiRoute, include_in_schema=False)

SHOWN = 20


@router.get("/search")
async def search(
    request: Request,
    principal: UiReader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=4000)] = "",
    type: str = "",
) -> Response:
    document_type = DocumentType(type) if type in DocumentType.__members__ else None
    hits: list[memory.MemoryHit] | None = None
    problem = None
    if q.strip():
        try:
            vector = await memory.embed_query(get_state(request).embedder, q)
            hits = await memory.nearest(
                session,
                tenant_id=principal.tenant_id,
                vector=vector,
                limit=SHOWN,
                document_type=document_type,
            )
        except MylowareError as exc:  # memory off, or its model cannot load
            problem = exc.message
    context = {
        "q": q,
        "type": document_type.value if document_type else "",
        "types": [t.value for t in DocumentType],
        "hits": hits,
        "problem": problem,
    }
    return render(request, "search.html", context, status_code=503 if problem else 200)
