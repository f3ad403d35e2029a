"""/v1/accuracy: extraction accuracy from the tenant's evaluation results, per dataset and
extractor, overall, per field and per UTC day."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from myloware.services import accuracy
from myloware.web.deps import PeriodDep, Reader, SessionDep
from myloware.web.envelope import ApiResponse, PeriodOut
from myloware.web.errors import AUTHENTICATED, error_responses

router = APIRouter(
    prefix="/v1/accuracy", tags=["evaluation"], responses=error_responses(*AUTHENTICATED)
)


class DayScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    documents: int
    mean_score: float
    passed: int


class FieldScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    documents: int  # documents whose ground truth has the field
    correct: int
    accuracy: float
    f1: float | None


class AccuracyGroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evaluation_type: str  # "dataset:<set>" (against ground truth) or "verifier"
    dataset: str
    extractor: str  # the record's extractor, e.g. "rules", "model:openai", "hybrid:anthropic"
    model: str | None  # the model(s) the extraction paid for
    documents: int
    mean_score: float
    passed: int
    fields: list[FieldScoreOut]
    days: list[DayScoreOut]


class AccuracyReportOut(PeriodOut):
    groups: list[AccuracyGroupOut]


@router.get(
    "",
    response_model=ApiResponse[AccuracyReportOut],
    summary="Extraction accuracy per dataset and extractor, per field and per day",
)
async def accuracy_report(
    principal: Reader, session: SessionDep, asked: PeriodDep
) -> ApiResponse[AccuracyReportOut]:
    groups = await accuracy.accuracy_report(session, tenant_id=principal.tenant_id, period=asked)
    out = [AccuracyGroupOut.model_validate(g) for g in groups]
    return ApiResponse(data=AccuracyReportOut.of(principal, asked, groups=out))
