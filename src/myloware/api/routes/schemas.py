"""/v1/schemas: the versions of the document types' JSON Schemas (read; operators publish
them with ``myloware schema publish``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from myloware.records import DocumentType
from myloware.services.schemas_registry import list_schemas
from myloware.web.deps import Reader, SessionDep
from myloware.web.envelope import ListResponse
from myloware.web.errors import AUTHENTICATED, error_responses

router = APIRouter(
    prefix="/v1/schemas", tags=["schemas"], responses=error_responses(*AUTHENTICATED)
)


class SchemaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    version: str
    document_type: str
    is_active: bool
    created_at: datetime
    schema_definition: dict[str, Any]


@router.get(
    "",
    response_model=ListResponse[SchemaOut],
    summary="Schema versions (the active one of each type is what SchemaGuard checks)",
)
async def get_schemas(
    principal: Reader, session: SessionDep, document_type: DocumentType | None = None
) -> ListResponse[SchemaOut]:
    rows = await list_schemas(session, document_type=document_type)
    return ListResponse(data=[SchemaOut.model_validate(r) for r in rows])
