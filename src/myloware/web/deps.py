"""FastAPI dependencies: state, DB sessions, the authenticated principal, capability checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Capability, Principal
from myloware.auth.tokens import API_KEY_PREFIX, hash_api_key
from myloware.db import direct
from myloware.db.audit import ClientInfo
from myloware.db.base import TenantStatus
from myloware.db.models import ApiKey, Tenant
from myloware.errors import AuthError
from myloware.services.periods import Period, period
from myloware.web.errors import RateLimited
from myloware.web.state import AppState

T = TypeVar("T")


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.myloware
    return state


async def _state(request: Request) -> AppState:
    # Dependencies are coroutines: FastAPI runs a plain ``def`` dependency in its thread
    # pool, a thread hand-off per request (measured: a sixth of a read's CPU).
    return get_state(request)


StateDep = Annotated[AppState, Depends(_state)]


# The dependencies below take the request, not StateDep: each level of dependencies costs
# FastAPI a resolution per request, and these run on every one.


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_state(request).sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for routes that only read (``db.engine.read_session_factory``): no
    transaction round trips. Writes, and memory look-ups, take :data:`SessionDep`."""
    async with get_state(request).read_sessions() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def get_read_connection(request: Request) -> AsyncIterator[direct.Connection]:
    """A pooled psycopg connection in autocommit, for the hottest reads
    (``services.order_reads``)."""
    async with direct.autocommit(get_state(request).engine) as pg:
        yield pg


ReadConnectionDep = Annotated[direct.Connection, Depends(get_read_connection)]


async def _tenant_status(state: AppState, session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's status (``ACTIVE``, ``DISABLED``), or ``""`` when there is none.

    Cached for ``state.tenants``' TTL (30 s); the API process that changes a tenant's status
    drops its entry at once (:func:`forget_tenant`), the others within the TTL."""
    cached = state.tenants.get(tenant_id)
    if cached is not None:
        return cached
    found = await session.scalar(select(Tenant.status).where(Tenant.id == tenant_id))
    status = "" if found is None else str(found)
    state.tenants[tenant_id] = status
    return status


def forget_tenant(state: AppState, tenant_id: uuid.UUID) -> None:
    """Drop a tenant from this process's cache: its next request reads the database."""
    state.tenants.pop(tenant_id, None)


async def _principal_from_api_key(state: AppState, session: AsyncSession, key: str) -> Principal:
    if not key.startswith(API_KEY_PREFIX):
        raise AuthError("invalid API key")
    digest = hash_api_key(key)
    cached = state.api_keys.get(digest)
    if cached is None:
        row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        if row is None:
            raise AuthError("invalid API key")
        cached = row
        state.api_keys[digest] = row
    now = datetime.now(UTC)
    if cached.revoked_at is not None:
        raise AuthError("this API key has been revoked")
    if cached.expires_at is not None and cached.expires_at <= now:
        raise AuthError("this API key has expired")
    return Principal(
        subject=f"apikey:{cached.prefix}",
        tenant_id=cached.tenant_id,
        capabilities=frozenset(cached.capabilities),
        kind="api_key",
        groups=frozenset(cached.groups or ()),
    )


async def authenticate_credential(
    state: AppState, session: AsyncSession, *, token: str | None = None, api_key: str | None = None
) -> Principal:
    """The principal of a JWT or an API key (one of them), its tenant checked; AuthError else.

    The one place credentials are verified: the API's headers and the UI's cookie both end
    here."""
    if token is not None:
        principal = state.tokens.principal(token)
    elif api_key is not None:
        principal = await _principal_from_api_key(state, session, api_key)
    else:
        raise AuthError("authentication required: send a Bearer token or an X-API-Key header")
    return await check_tenant(state, session, principal)


async def check_tenant(state: AppState, session: AsyncSession, principal: Principal) -> Principal:
    """``principal`` when its tenant exists and is active; AuthError else (every way of
    signing in ends here: tokens, API keys, accounts, an identity provider)."""
    status = await _tenant_status(state, session, principal.tenant_id)
    if not status:
        raise AuthError("the credential's tenant does not exist")
    if status != TenantStatus.ACTIVE:
        raise AuthError("the credential's tenant is disabled")
    return principal


async def throttled(state: AppState, request: Request, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run ``attempt`` (an authentication or a sign-in) unless the client address has
    failed too often.

    An address over ``auth_failures_per_minute`` gets RateLimited (429) before its
    credential is looked at, so guessing keys cannot go faster than that; each AuthError
    counts against it. Requests that authenticate are neither counted nor slowed."""
    address = request.client.host if request.client else "unknown"
    wait = state.auth_failures.blocked_for(address)
    if wait:
        raise RateLimited(wait)
    try:
        return await attempt()
    except AuthError:
        wait = await state.auth_failures.failed(address)
        if wait:
            raise RateLimited(wait) from None
        raise


async def enforce_rate_limit(state: AppState, principal: Principal) -> None:
    """Count one request of ``principal``; RateLimited (429) over the per-minute limit."""
    retry_after = await state.rate_limiter.hit(f"{principal.tenant_id}:{principal.subject}")
    if retry_after:
        raise RateLimited(retry_after)


def client_info(request: Request) -> ClientInfo:
    """Who is calling, for the audit log."""
    return ClientInfo(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _from_headers(request: Request, state: AppState, session: AsyncSession) -> Principal:
    authorization = request.headers.get("authorization")
    api_key = request.headers.get("x-api-key")
    token = None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
    return await authenticate_credential(
        state, session, token=token, api_key=None if token else (api_key or "").strip() or None
    )


async def get_principal(request: Request, session: ReadSessionDep) -> Principal:
    """Authenticate by ``Authorization: Bearer <JWT>`` or ``X-API-Key`` (failures throttled
    per client address), then rate-limit the principal."""
    state = get_state(request)
    if "authorization" in request.headers or "x-api-key" in request.headers:
        principal = await throttled(state, request, lambda: _from_headers(request, state, session))
    else:  # no credential at all is not a guess: 401 without counting
        principal = await _from_headers(request, state, session)
    await enforce_rate_limit(state, principal)
    request.state.principal = principal
    return principal


#: Page size and start of a list endpoint (``?limit=&offset=``), bounded the same everywhere.
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$"
)


def _date_time_text(value: object) -> object:
    # pydantic alone also reads a number ("0.5") as a Unix time, which the document's
    # format: date-time does not allow
    if isinstance(value, str) and not _DATE_TIME.match(value):
        raise ValueError("expected an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


def _utc_when_naive(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


#: A date-time query parameter: RFC 3339 text (without an offset: UTC), nothing else.
DateTimeParam = Annotated[
    datetime, BeforeValidator(_date_time_text), AfterValidator(_utc_when_naive)
]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day_text(value: object) -> object:
    # pydantic alone also reads a number ("0") as a Unix time, which format: date does not allow
    if isinstance(value, str) and not _DAY.match(value):
        raise ValueError("expected a day written YYYY-MM-DD, e.g. 2026-12-01")
    return value


#: A day query parameter: ``YYYY-MM-DD`` text, nothing else.
DayParam = Annotated[date, BeforeValidator(_day_text)]

#: The days a report covers (``?from=&to=``, YYYY-MM-DD, UTC, both inclusive):
#: ``services.periods.period`` fills in the defaults and refuses a reversed or too long one.
FromDay = Annotated[
    DayParam | None,
    Query(alias="from", description="first day (YYYY-MM-DD, UTC); default: 29 days before 'to'"),
]
ToDay = Annotated[
    DayParam | None,
    Query(alias="to", description="last day, inclusive (default: today, UTC; at most 366 days)"),
]


async def asked_period(first: FromDay = None, last: ToDay = None) -> Period:
    """The period of ``?from=&to=``; a reversed or too long one is refused (422)."""
    return period(first, last)


#: A report's period, from ``?from=&to=``.
PeriodDep = Annotated[Period, Depends(asked_period)]

PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(capability: Capability) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        principal.require(capability)
        return principal

    return check


Reader = Annotated[Principal, Depends(require(Capability.WORK_ORDERS_READ))]
Writer = Annotated[Principal, Depends(require(Capability.WORK_ORDERS_WRITE))]
Approver = Annotated[Principal, Depends(require(Capability.APPROVALS_DECIDE))]
Admin = Annotated[Principal, Depends(require(Capability.ADMIN))]
#: A platform operator (``tenants:admin``, never implied by a tenant's ``admin``).
Operator = Annotated[Principal, Depends(require(Capability.TENANTS_ADMIN))]
