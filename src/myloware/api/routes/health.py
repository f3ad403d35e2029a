"""GET /health (real checks of PostgreSQL, Redis, Temporal and a local model server) and
GET /metrics.

Without a credential /health says only the overall status (and answers 503 when unhealthy):
the per-component checks, their errors (which name hosts, paths and library internals) and
the version are for callers with a valid credential (any principal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

import myloware
from myloware.errors import AuthError
from myloware.web.deps import SessionDep, StateDep, get_principal
from myloware.web.errors import RateLimited, error_responses
from myloware.web.state import AppState
from myloware.web.temporal import temporal_client

log = structlog.get_logger(__name__)
router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 2.0


class Health(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class HealthReport(BaseModel):
    """The whole report; ``version``, ``checks`` and ``errors`` only for a credential."""

    status: Health
    timestamp: datetime
    version: str | None = None
    checks: dict[str, Health] | None = None
    errors: dict[str, str] | None = None
    # under `myloware up`: each embedded server's status (up/restarting) and restarts so far
    embedded: dict[str, dict[str, object]] | None = None


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
    client = await temporal_client(state)
    await client.service_client.check_health()


async def _local_model(base_url: str) -> None:
    """The local model server lists its models (hosted providers are not called from here)."""
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S) as client:
        (await client.get(f"{base_url.rstrip('/')}/models")).raise_for_status()


def _checks(state: AppState) -> dict[str, Awaitable[Any]]:
    probes: dict[str, Awaitable[Any]] = {
        "database": _database(state),
        "redis": state.redis.ping(),
        "temporal": _temporal(state),
    }
    settings = state.settings
    if settings.extractor != "rules" and "local" in settings.model_providers:
        probes["model"] = _local_model(settings.local_model_base_url)
    return probes


async def health_report(state: AppState) -> HealthReport:
    probes = _checks(state)
    results = await asyncio.gather(*(_check(probe) for probe in probes.values()))
    checks = {name: result[0] for name, result in zip(probes, results, strict=True)}
    errors = {name: result[1] for name, result in zip(probes, results, strict=True) if result[1]}
    if checks.get("model") is Health.UNHEALTHY:  # the rules still answer: degraded, not down
        checks["model"] = Health.DEGRADED
    embedded = state.supervision() if state.supervision else None
    restarting = sorted(name for name, s in (embedded or {}).items() if s.get("status") != "up")
    if restarting:
        checks["embedded"] = Health.DEGRADED
        errors["embedded"] = f"being restarted by the watchdog: {', '.join(restarting)}"
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
        embedded=embedded,
    )


@router.get(
    "/health",
    response_model=HealthReport,
    summary="Health of the API and its dependencies",
    responses={
        503: {"model": HealthReport, "description": "Unhealthy: the database is unreachable"},
        **error_responses(401, 429),
    },
)
async def health(request: Request, state: StateDep, session: SessionDep) -> JSONResponse:
    """The overall status for anyone; the details with ``Authorization`` or ``X-API-Key``
    (a credential that does not verify is a 401, like elsewhere)."""
    report = await health_report(state)
    code = 503 if report.status is Health.UNHEALTHY else 200
    body = report.model_dump(mode="json", include={"status", "timestamp"})
    if "authorization" in request.headers or "x-api-key" in request.headers:
        try:
            await get_principal(request, session)
        except (AuthError, RateLimited):
            raise
        except Exception as exc:  # the database is down: credentials cannot be checked
            log.warning("health_details_unavailable", error_type=type(exc).__name__)
        else:
            body = report.model_dump(mode="json")
    return JSONResponse(body, status_code=code)


@router.get("/metrics", include_in_schema=False)
async def metrics(state: StateDep) -> Response:
    """The API's request metrics and the platform's figures (refreshed at most every 10 s)."""
    await state.metrics.platform.refresh(state.sessions, state.redis, state.settings.events_stream)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
