"""What the tenant's work cost: SQL sums over the ``attempts`` rows, per day, model and order.

The attempt recorder copies each model call's usage onto its attempt (``model``, tokens,
``cost_usd``; ``tokens_in`` is NULL when the stage asked no model), so every figure here is a
``GROUP BY`` over attempts. The period reports read the index ``ix_attempts_tenant_started``
(tenant, started_at, with the summed columns included: migration 0013); an order's figures
read its items' attempts through ``work_item_id``. Days are UTC days.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import Attempt, WorkItem
from myloware.services.periods import Period

TOP_ORDERS = 10


@dataclass(frozen=True, slots=True)
class Cost:
    """Sums over some attempts: agent runs, model calls, retries, tokens and USD."""

    runs: int = 0  # attempts of any stage
    calls: int = 0  # attempts that asked a model (their usage was recorded)
    retries: int = 0  # attempts that were retries (attempt number > 1)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.runs + other.runs,
            self.calls + other.calls,
            self.retries + other.retries,
            self.tokens_in + other.tokens_in,
            self.tokens_out + other.tokens_out,
            self.cost_usd + other.cost_usd,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "model_calls": self.calls,
            "retries": self.retries,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": self.cost_usd,
        }


def _sums() -> tuple[ColumnElement[Any], ...]:
    return (
        func.count(),
        func.count().filter(Attempt.tokens_in.is_not(None)),
        func.count().filter(Attempt.attempt_number > 1),
        func.coalesce(func.sum(Attempt.tokens_in), 0),
        func.coalesce(func.sum(Attempt.tokens_out), 0),
        func.coalesce(func.sum(Attempt.cost_usd), 0),
    )


def _cost(row: Sequence[Any]) -> Cost:
    """A :class:`Cost` from the last six columns of a row selected with :func:`_sums`."""
    runs, calls, retries, tokens_in, tokens_out, usd = row[-6:]
    return Cost(int(runs), int(calls), int(retries), int(tokens_in), int(tokens_out), Decimal(usd))


@dataclass(frozen=True, slots=True)
class CostReport:
    """A tenant's costs over a period: in all, per UTC day (every day, idle ones at zero),
    per model (costliest first) and its costliest orders."""

    period: Period
    total: Cost
    days: list[tuple[date, Cost]]
    models: list[tuple[str, Cost]] = field(default_factory=list)
    orders: list[tuple[uuid.UUID, Cost]] = field(default_factory=list)


async def cost_report(
    session: AsyncSession, *, tenant_id: uuid.UUID, period: Period, top: int = TOP_ORDERS
) -> CostReport:
    within = (
        Attempt.tenant_id == tenant_id,
        Attempt.started_at >= period.since,
        Attempt.started_at < period.until,
    )
    day = func.date(func.timezone("UTC", Attempt.started_at))
    by_day = await session.execute(select(day, *_sums()).where(*within).group_by(day))
    found = {row[0]: _cost(row) for row in by_day.all()}
    days = [(d, found.get(d, Cost())) for d in period.days]
    by_model = await session.execute(
        select(Attempt.model, *_sums())
        .where(*within, Attempt.tokens_in.is_not(None))
        .group_by(Attempt.model)
        .order_by(func.sum(Attempt.cost_usd).desc().nulls_last(), Attempt.model)
    )
    models = [(row[0] or "no model", _cost(row)) for row in by_model.all()]
    spent = func.coalesce(func.sum(Attempt.cost_usd), 0)
    by_order = await session.execute(
        select(WorkItem.work_order_id, *_sums())
        .join(WorkItem, WorkItem.id == Attempt.work_item_id)
        .where(*within, WorkItem.tenant_id == tenant_id)
        .group_by(WorkItem.work_order_id)
        .having(func.count().filter(Attempt.tokens_in.is_not(None)) > 0)
        .order_by(spent.desc(), func.sum(Attempt.tokens_in).desc(), WorkItem.work_order_id)
        .limit(top)
    )
    orders = [(row[0], _cost(row)) for row in by_order.all()]
    total = sum((c for _, c in days), Cost())
    return CostReport(period=period, total=total, days=days, models=models, orders=orders)


async def order_costs(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_order_id: uuid.UUID
) -> tuple[dict[uuid.UUID, Cost], Cost]:
    """Per item of the order, and for the whole order, what its attempts cost.

    The caller loads the order first (a foreign id is not found there)."""
    rows = await session.execute(
        select(Attempt.work_item_id, *_sums())
        .join(WorkItem, WorkItem.id == Attempt.work_item_id)
        .where(
            WorkItem.work_order_id == work_order_id,
            WorkItem.tenant_id == tenant_id,
            Attempt.tenant_id == tenant_id,
        )
        .group_by(Attempt.work_item_id)
    )
    items = {row[0]: _cost(row) for row in rows.all()}
    return items, sum(items.values(), Cost())


def cost_of(attempts: Iterable[Attempt]) -> Cost:
    """The same sums as the SQL above, over attempts already loaded (one trace's)."""
    total = Cost()
    for a in attempts:
        total = total + Cost(
            runs=1,
            calls=int(a.tokens_in is not None),
            retries=int(a.attempt_number > 1),
            tokens_in=a.tokens_in or 0,
            tokens_out=a.tokens_out or 0,
            cost_usd=a.cost_usd or Decimal(0),
        )
    return total
