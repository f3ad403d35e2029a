"""/ui/costs and /ui/accuracy — the tenant's model cost per day, model and order, and its
extraction accuracy per dataset and extractor (the pages of ``GET /v1/costs`` and
``GET /v1/accuracy``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from myloware.errors import ValidationFailed
from myloware.services import accuracy, costs
from myloware.services.periods import Period, period
from myloware.ui import charts
from myloware.ui.deps import UiReader, UiRoute
from myloware.ui.rendering import render
from myloware.web.deps import SessionDep

router = APIRouter(route_class=UiRoute, include_in_schema=False)


def _day(value: str, name: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"'{name}' must be a day written like 2026-12-01, not {text[:40]!r}"
        ) from None


async def _typed(
    first: Annotated[str, Query(alias="from", max_length=40)] = "",
    last: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> tuple[str, str]:
    """``?from=&to=`` as typed (checked by :func:`_report_page`, which shows them again)."""
    return first, last


Typed = Annotated[tuple[str, str], Depends(_typed)]
Build = Callable[[Period], Awaitable[dict[str, Any]]]


async def _report_page(request: Request, page: str, typed: Typed, build: Build) -> Response:
    """The page for the period asked; a bad period gives the page with its form as it was
    sent and the reason, 422: nothing typed is lost."""
    first, last = typed
    try:
        asked = period(_day(first, "from"), _day(last, "to"))
    except ValidationFailed as exc:
        context: dict[str, Any] = {"first": first, "last": last, "problem": exc.message}
        return render(request, page, {**context, "report": None}, status_code=422)
    context = await build(asked)
    return render(
        request,
        page,
        {"first": asked.first.isoformat(), "last": asked.last.isoformat(), **context},
    )


@router.get("/costs")
async def cost_page(
    request: Request, principal: UiReader, session: SessionDep, typed: Typed
) -> Response:
    async def build(asked: Period) -> dict[str, Any]:
        report = await costs.cost_report(session, tenant_id=principal.tenant_id, period=asked)
        spent = [c.cost_usd for _, c in report.days]
        by_tokens = not any(spent)  # local models cost nothing: show their tokens instead
        widths = charts.shares(
            [c.tokens_in + c.tokens_out for _, c in report.days] if by_tokens else spent
        )
        days = list(zip(report.days, widths, strict=True))[::-1]  # newest first
        return {"report": report, "days": days, "by_tokens": by_tokens}

    return await _report_page(request, "costs.html", typed, build)


@router.get("/accuracy")
async def accuracy_page(
    request: Request, principal: UiReader, session: SessionDep, typed: Typed
) -> Response:
    async def build(asked: Period) -> dict[str, Any]:
        tenant = principal.tenant_id
        groups = await accuracy.accuracy_report(session, tenant_id=tenant, period=asked)
        sparks = [charts.sparkline([d.mean_score for d in g.days]) for g in groups]
        return {"report": groups, "sparks": sparks}

    return await _report_page(request, "accuracy.html", typed, build)
