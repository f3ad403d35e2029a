"""Response envelopes shared by every endpoint (blueprint ``ApiResponse``) and the error format."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, Field

from myloware.auth.principal import Principal
from myloware.services.periods import Period

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


class ApiResponse(BaseModel, Generic[T]):
    success: bool = True
    data: T
    message: str | None = None
    timestamp: datetime = Field(default_factory=utcnow)


class Pagination(BaseModel):
    total: int
    limit: int
    offset: int
    #: false where the count stopped at a cap: at least ``total`` match (the work-order list
    #: counts up to 10,000)
    total_exact: bool = True


class PageResponse(BaseModel, Generic[T]):
    success: bool = True
    data: list[T]
    pagination: Pagination
    timestamp: datetime = Field(default_factory=utcnow)


class ListResponse(BaseModel, Generic[T]):
    success: bool = True
    data: list[T]
    timestamp: datetime = Field(default_factory=utcnow)


class ErrorBody(BaseModel):
    code: str = Field(description="machine-readable error code, e.g. not_found")
    message: str
    details: dict[str, Any] | list[Any] | None = None


class ErrorResponse(BaseModel):
    success: bool = False
    error: ErrorBody
    request_id: str | None = None
    timestamp: datetime = Field(default_factory=utcnow)


class PeriodOut(BaseModel):
    """The head of a report over days: whose figures and which days (both inclusive, UTC)."""

    tenant_id: uuid.UUID
    from_: date = Field(serialization_alias="from")
    to: date

    @classmethod
    def of(cls, principal: Principal, period: Period, **fields: Any) -> Self:
        return cls(tenant_id=principal.tenant_id, from_=period.first, to=period.last, **fields)
