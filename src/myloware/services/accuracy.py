"""Extraction accuracy from ``eval_results``: per dataset and extractor, per field, per day.

An evaluation row is the score of one work item: ``evaluation_type`` ``dataset:<set>`` (scored
against ground truth by ``myloware eval --via-api``, ``metrics`` holding each field's
``{"correct", "f1"}``) or ``verifier`` (the pipeline's own grounding check). The extractor
that produced the item's values is read from its latest completed ExtractorLLM attempt (the
record's ``extractor``, e.g. ``rules``, ``model:openai``, ``hybrid:anthropic``, and the
attempt's ``model``), so an accuracy figure always names what earned it. Days are UTC days.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.services.periods import Period

#: the evaluations of the tenant in the period, each with the extractor of its item
_SCORED = """
WITH scored AS (
    SELECT e.evaluation_type, e.score, e.passed, e.metrics,
           date(timezone('UTC', e.created_at)) AS day,
           coalesce(x.extractor, 'unknown') AS extractor, x.model
    FROM eval_results e
    LEFT JOIN LATERAL (
        SELECT a.output -> 'record' ->> 'extractor' AS extractor, a.model
        FROM attempts a
        WHERE a.work_item_id = e.work_item_id AND a.tenant_id = e.tenant_id
          AND a.agent_id = 'ExtractorLLM' AND a.status = 'COMPLETED'
        ORDER BY a.started_at DESC
        LIMIT 1
    ) x ON true
    WHERE e.tenant_id = :tenant AND e.created_at >= :since AND e.created_at < :until
)
"""
_BY_DAY = (
    _SCORED
    + """
SELECT evaluation_type, extractor, model, day,
       count(*), avg(score)::float, count(*) FILTER (WHERE passed)
FROM scored GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
"""
)
_BY_FIELD = (
    _SCORED
    + """
SELECT evaluation_type, extractor, model, m.key,
       count(*), count(*) FILTER (WHERE m.value -> 'correct' = 'true'::jsonb),
       avg(CASE WHEN jsonb_typeof(m.value -> 'f1') = 'number'
                THEN (m.value ->> 'f1')::float END)
FROM scored CROSS JOIN LATERAL jsonb_each(scored.metrics) AS m(key, value)
WHERE jsonb_typeof(m.value) = 'object' AND jsonb_typeof(m.value -> 'correct') = 'boolean'
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
"""
)


@dataclass(frozen=True, slots=True)
class DayScore:
    day: date
    documents: int
    mean_score: float
    passed: int


@dataclass(frozen=True, slots=True)
class FieldScore:
    name: str
    documents: int  # documents whose ground truth had this field
    correct: int
    f1: float | None

    @property
    def accuracy(self) -> float:
        return round(self.correct / self.documents, 4) if self.documents else 0.0


@dataclass(slots=True)
class AccuracyGroup:
    """One evaluation type (a dataset, or the verifier) scored for one extractor."""

    evaluation_type: str
    extractor: str
    model: str | None
    days: list[DayScore] = field(default_factory=list)
    fields: list[FieldScore] = field(default_factory=list)

    @property
    def dataset(self) -> str:
        return self.evaluation_type.removeprefix("dataset:")

    @property
    def documents(self) -> int:
        return sum(d.documents for d in self.days)

    @property
    def passed(self) -> int:
        return sum(d.passed for d in self.days)

    @property
    def mean_score(self) -> float:
        total = sum(d.mean_score * d.documents for d in self.days)
        return round(total / self.documents, 4) if self.documents else 0.0


async def accuracy_report(
    session: AsyncSession, *, tenant_id: uuid.UUID, period: Period
) -> list[AccuracyGroup]:
    """The tenant's evaluations in ``period``, grouped by type and extractor (sorted)."""
    params = {"tenant": tenant_id, "since": period.since, "until": period.until}
    groups: dict[tuple[str, str, str | None], AccuracyGroup] = {}
    for kind, extractor, model, day, n, mean, passed in (
        await session.execute(text(_BY_DAY), params)
    ).all():
        group = groups.setdefault((kind, extractor, model), AccuracyGroup(kind, extractor, model))
        group.days.append(DayScore(day, int(n), round(float(mean), 4), int(passed)))
    for kind, extractor, model, name, n, correct, f1 in (
        await session.execute(text(_BY_FIELD), params)
    ).all():
        group = groups[(kind, extractor, model)]
        group.fields.append(
            FieldScore(name, int(n), int(correct), None if f1 is None else round(float(f1), 4))
        )
    return list(groups.values())
