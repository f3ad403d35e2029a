"""Short-timeout checks that a PostgreSQL, Redis or Temporal endpoint answers.

Used for external services (a URL set in Settings) before anything relies on them, and for
the embedded Temporal's readiness. Library errors become ``StartupError`` with the endpoint
(password masked) and the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from myloware.errors import StartupError

T = TypeVar("T")


def mask_password(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username or ''}:***@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def probe_postgres(url: str, *, timeout: float = 5) -> None:
    """Connect with psycopg 3 and run ``SELECT 1``."""
    where = mask_password(url)
    try:
        sa_url = make_url(url)
        sa_url = sa_url.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(
            sa_url, poolclass=NullPool, connect_args={"connect_timeout": max(2, int(timeout))}
        )
    except (ArgumentError, ValueError) as exc:
        raise StartupError(f"invalid database URL {where}: {exc}") from None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartupError(f"could not reach PostgreSQL at {where}: {reason}") from None
    finally:
        engine.dispose()


def probe_redis(url: str, *, timeout: float = 5) -> None:
    """Connect and PING."""
    where = mask_password(url)
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:
        raise StartupError(f"invalid Redis URL {where}: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StartupError(f"could not reach Redis at {where}: {exc}") from None
    finally:
        client.close()


def describe_namespace(address: str, namespace: str, *, timeout: float = 5) -> None:
    """Connect a temporalio client and describe ``namespace``."""

    async def check() -> None:
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
        from temporalio.client import Client

        client = await asyncio.wait_for(Client.connect(address, namespace=namespace), timeout)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=timeout)
        )

    try:
        run_coroutine(check)
    except Exception as exc:  # temporalio raises RuntimeError, RPCError, TimeoutError...
        reason = str(exc) or type(exc).__name__
        raise StartupError(
            f"could not reach Temporal at {address} (namespace {namespace!r}): {reason}"
        ) from None


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
