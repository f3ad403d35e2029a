"""/v1/costs: what the tenant's model calls cost, per UTC day, per model and per order."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel

from myloware.services import costs
from myloware.web.deps import PeriodDep, Reader, SessionDep
from myloware.web.envelope import ApiResponse, PeriodOut
from myloware.web.errors import AUTHENTICATED, error_responses

router = APIRouter(prefix="/v1/costs", tags=["costs"], responses=error_responses(*AUTHENTICATED))


class CostOut(BaseModel):
    runs: int  # agent attempts, retries included
    model_calls: int  # attempts that asked a model
    retries: int  # attempts that were retries (attempt number > 1)
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal

    @classmethod
    def of(cls, cost: costs.Cost) -> CostOut:
        return cls.model_validate(cost.as_dict())


class DayCostOut(CostOut):
    day: date


class ModelCostOut(CostOut):
    model: str


class OrderCostOut(CostOut):
    work_order_id: uuid.UUID


class CostReportOut(PeriodOut):
    total: CostOut
    days: list[DayCostOut]  # every day of the period, idle days at zero
    models: list[ModelCostOut]  # costliest first
    orders: list[OrderCostOut]  # the costliest orders (at most 10)


@router.get(
    "",
    response_model=ApiResponse[CostReportOut],
    summary="Model cost of the tenant's work, per day, model and order",
)
async def cost_report(
    principal: Reader, session: SessionDep, asked: PeriodDep
) -> ApiResponse[CostReportOut]:
    report = await costs.cost_report(session, tenant_id=principal.tenant_id, period=asked)
    out = CostReportOut.of(
        principal,
        asked,
        total=CostOut.of(report.total),
        days=[DayCostOut(day=d, **c.as_dict()) for d, c in report.days],
        models=[ModelCostOut(model=m, **c.as_dict()) for m, c in report.models],
        orders=[OrderCostOut(work_order_id=o, **c.as_dict()) for o, c in report.orders],
    )
    return ApiResponse(data=out)
