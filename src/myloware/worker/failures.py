"""How an activity's failure is retried: the error's own semantics, decided in one place.

* A :class:`~myloware.errors.MylowareError` says whether it is transient. A permanent one (an
  unreadable document, a missing item) becomes a non-retryable ``ApplicationError`` carrying
  its message, so the item fails at once with its reason; a transient one is retried.
* Infrastructure failures from libraries — the database, Redis, a socket, a file system, an
  HTTP transport — are transient: the stage's retry policy retries them, with capped
  backoff, for as long as the outage lasts.
* Anything else is a defect. An agent stage retries it a few times (it may be a race), then
  fails the item with the error named, instead of retrying a bug for ever. Bookkeeping
  activities (settling items and orders) are retried for ever whatever the error, since
  an order must always be settled.
"""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import redis.exceptions
import sqlalchemy.exc
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from myloware.agents.names import AgentName
from myloware.errors import MylowareError

UNEXPECTED_ATTEMPTS = 5  # an agent's unexpected error: this many tries, then the item fails
INFRASTRUCTURE: tuple[type[BaseException], ...] = (
    OSError,  # sockets, files, TimeoutError, ConnectionError
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    httpx.TransportError,
)
_AGENTS = frozenset(AgentName)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying later may succeed: a transient MylowareError or an infrastructure
    failure (a library's error wrapped in ours counts by its cause)."""
    if isinstance(exc, MylowareError):
        return exc.transient
    return isinstance(exc, INFRASTRUCTURE)


def translate(exc: BaseException, *, agent: bool, attempt: int) -> BaseException:
    """The exception an activity should raise to Temporal for ``exc``."""
    if isinstance(exc, ApplicationError):
        return exc  # already says what it is
    if isinstance(exc, MylowareError):
        return ApplicationError(
            exc.message, type=type(exc).__name__, non_retryable=not exc.transient
        )
    if is_transient(exc) or not agent or attempt < UNEXPECTED_ATTEMPTS:
        return exc
    return ApplicationError(
        f"unexpected {type(exc).__name__}: {exc}", type=type(exc).__name__, non_retryable=True
    )


class ErrorSemantics(Interceptor):
    """The worker's first interceptor: every activity's errors, translated by :func:`translate`."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception as exc:
            info = activity.info()
            translated = translate(exc, agent=info.activity_type in _AGENTS, attempt=info.attempt)
            if translated is exc:
                raise
            raise translated from exc
