"""Translate every failure into the one error format.

``{"success": false, "error": {"code", "message", "details"}, "request_id", "timestamp"}``
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from myloware.errors import (
    AuthError,
    ConflictError,
    DependencyError,
    DocumentError,
    ForbiddenError,
    MylowareError,
    NotFoundError,
    ServiceUnavailable,
    ValidationFailed,
)
from myloware.web.envelope import ErrorBody, ErrorResponse

log = structlog.get_logger(__name__)

STATUS_BY_ERROR: list[tuple[type[MylowareError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (ForbiddenError, 403),
    (AuthError, 401),
    (ValidationFailed, 422),
    (DocumentError, 422),
    (ServiceUnavailable, 503),
    (DependencyError, 503),  # the blob store failing for now: the client may retry
]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


#: What each error status means, as the OpenAPI document describes it.
DESCRIPTIONS = {
    400: "The body is not JSON (malformed_json) or cannot be parsed (bad_request)",
    401: "No credential, or one that does not verify (WWW-Authenticate: Bearer)",
    403: "The credential lacks the capability this operation needs",
    404: "The resource, or one the request refers to, does not exist in this tenant",
    409: "The request conflicts with the resource's current state",
    413: "The body exceeds the configured size limit",
    422: "The request is invalid; details name each field and what is wrong with it",
    429: "Too many requests (or failed authentications); retry after Retry-After seconds",
    503: "A dependency is unavailable for now; retry after Retry-After seconds if given",
}

_RETRY_AFTER = {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 0}}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "the scheme to use", "schema": {"type": "string"}}},
    429: {"Retry-After": {**_RETRY_AFTER, "required": True}},
    503: {"Retry-After": _RETRY_AFTER},
}

#: The errors any authenticated operation can answer (router-level ``responses=``).
AUTHENTICATED = (401, 403, 422, 429)
#: The errors of an operation with a request body, besides those.
WITH_BODY = (400, 413)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` declaring the error answers ``statuses`` in the one format."""
    return {
        status: {
            "model": ErrorResponse,
            "description": DESCRIPTIONS[status],
            **({"headers": _HEADERS[status]} if status in _HEADERS else {}),
        }
        for status in statuses
    }


#: Retry-After of the 503 a request gets when Redis, which it needed, is unreachable.
REDIS_RETRY_AFTER_S = 5


class RateLimited(MylowareError):
    code = "rate_limited"
    transient = True

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after} s")
        self.retry_after = retry_after


def error_response(
    request: Request | None,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    body = ErrorResponse(
        error=ErrorBody(code=code, message=message, details=details), request_id=request_id
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _status_for(exc: MylowareError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500


def _clean_validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for err in errors:
        cleaned.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return cleaned


def allowed_methods(request: Request) -> str:
    """The methods of every route at the request's path, for a 405's ``Allow``.

    Starlette answers 405 with the methods of the first route whose path matches only; a
    path served by several routes (``GET`` and ``POST /v1/work-orders``) needs them all."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.PARTIAL:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        return error_response(
            request, 429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}
        )

    async def _redis_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("redis_unavailable", error_type=type(exc).__name__, path=request.url.path)
        return error_response(
            request,
            503,
            "service_unavailable",
            "a dependency is unavailable; retry shortly",
            headers={"Retry-After": str(REDIS_RETRY_AFTER_S)},
        )

    app.add_exception_handler(RedisConnectionError, _redis_down)
    app.add_exception_handler(RedisTimeoutError, _redis_down)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # The request models refuse what PostgreSQL cannot store (myloware.storable); this
        # catches what reaches the database another way (a query parameter, a path, text
        # made from the input) so it is the client's 422, not a 500.
        log.warning("database_refused_input", error=str(exc.orig)[:200], path=request.url.path)
        return error_response(
            request,
            422,
            "validation_error",
            "the request holds a value the database cannot store (e.g. a NUL character)",
        )

    @app.exception_handler(MylowareError)
    async def _domain(request: Request, exc: MylowareError) -> JSONResponse:
        status = _status_for(exc)
        if status == 500:
            log.error("unhandled_domain_error", error=str(exc), error_type=type(exc).__name__)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return error_response(request, status, exc.code, exc.message, exc.details or None, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation_errors(list(exc.errors()))
        malformed = any(e["type"] == "json_invalid" for e in errors)
        if malformed:
            return error_response(request, 400, "malformed_json", "request body is not valid JSON")
        return error_response(request, 422, "validation_error", "request validation failed", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return error_response(request, exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return error_response(request, 500, "internal_error", "internal server error")
