"""GET /health (real checks of PostgreSQL, Redis and Temporal) and GET /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

import myloware
from myloware.api.deps import StateDep
from myloware.api.state import AppState

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 2.0


class Health(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class HealthReport(BaseModel):
    status: Health
    timestamp: datetime
    version: str
    checks: dict[str, Health]
    errors: dict[str, str] = {}


async def _check(probe: Awaitable[Any]) -> tuple[Health, str | None]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
        return Health.HEALTHY, None
    except TimeoutError:
        return Health.UNHEALTHY, f"no answer within {CHECK_TIMEOUT_S} s"
    except Exception as exc:
        return Health.UNHEALTHY, f"{type(exc).__name__}: {exc}"[:300]


async def _database(state: AppState) -> None:
    async with state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _temporal(state: AppState) -> None:
    from myloware.api.temporal import temporal_client

    client = await temporal_client(state)
    await client.service_client.check_health()


async def health_report(state: AppState) -> HealthReport:
    names = ("database", "redis", "temporal")
    results = await asyncio.gather(
        _check(_database(state)), _check(state.redis.ping()), _check(_temporal(state))
    )
    checks = {name: result[0] for name, result in zip(names, results, strict=True)}
    errors = {name: result[1] for name, result in zip(names, results, strict=True) if result[1]}
    if checks["database"] is Health.UNHEALTHY:
        overall = Health.UNHEALTHY
    elif any(v is not Health.HEALTHY for v in checks.values()):
        overall = Health.DEGRADED
    else:
        overall = Health.HEALTHY
    return HealthReport(
        status=overall,
        timestamp=datetime.now(UTC),
        version=myloware.__version__,
        checks=checks,
        errors=errors,
    )


@router.get(
    "/health",
    response_model=HealthReport,
    summary="Health of the API and its dependencies",
    responses={503: {"model": HealthReport}},
)
async def health(state: StateDep) -> JSONResponse:
    report = await health_report(state)
    code = 503 if report.status is Health.UNHEALTHY else 200
    return JSONResponse(report.model_dump(mode="json"), status_code=code)


@router.get("/metrics", include_in_schema=False)
async def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
