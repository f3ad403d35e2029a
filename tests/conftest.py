"""Shared fixtures: one set of real embedded servers per test session, clean state per test.

The services start once (in a temporary directory outside /root, since PostgreSQL runs as the
``pgserver`` user when we are root) and every test that needs the database gets empty tables.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from myloware.db.engine import create_engine
from myloware.db.migrate import upgrade
from myloware.settings import Environment, Settings

if TYPE_CHECKING:  # the fixtures import these lazily; only their types are needed here
    import redis.asyncio as aioredis
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from myloware.runtime.embedded import EmbeddedServices, ServiceEndpoints
    from tests.auth_support import TokenFor
    from tests.model_emulator import ModelEmulator
    from tests.pipeline_support import AppClient
    from tests.slack_support import SlackHarness

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.fixture(scope="session", autouse=True)
def _connector_secrets_key() -> None:
    """Connector secrets are sealed as in a running platform (with the development key)."""
    from myloware import secretbox

    secretbox.configure(Settings(_env_file=None))  # type: ignore[call-arg]  # pydantic-settings' _env_file


@pytest.fixture(autouse=True)
def _cli_keeps_the_session_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI commands run in-process (typer's CliRunner) would configure logging onto the
    runner's stderr, which is closed after each run: later tests would then log to a closed
    file. Tests keep the session's logging configuration instead."""
    monkeypatch.setattr("myloware.cli._common.configure_logging", lambda *a, **k: None)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="myloware-test-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path


@pytest.fixture(scope="session")
def embedded(data_dir: Path) -> Iterator[EmbeddedServices]:
    """Real PostgreSQL + Redis + Temporal started once for the whole session."""
    from myloware.runtime.embedded import EmbeddedServices

    settings = Settings(
        data_dir=data_dir, redis_port=0, temporal_port=0, temporal_ui_port=0, temporal_ui=False
    )
    services = EmbeddedServices(settings)
    services.start()
    yield services
    services.stop()


def _endpoints(embedded: EmbeddedServices) -> ServiceEndpoints:
    endpoints = embedded.endpoints
    assert endpoints is not None, "the embedded services are not running"
    return endpoints


@pytest.fixture(scope="session")
def database_url(embedded: EmbeddedServices) -> str:
    url = _endpoints(embedded).database_url
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url(embedded: EmbeddedServices) -> str:
    return _endpoints(embedded).redis_url


@pytest.fixture(scope="session")
def temporal_address(embedded: EmbeddedServices) -> str:
    return _endpoints(embedded).temporal_address


TRUNCATE_SKIP = {"alembic_version", "schemas", "capabilities", "workflow_templates"}
AUTO_APPROVE_POLICY = """
name: test-auto-approve
version: "1"
description: Tests that are not about governance approve everything automatically.
default_action: AUTO_APPROVE
approver_groups: {}
rules: []
"""


#: the public tables, each quoted, with its size and whether it has an HNSW index
_TABLES_SQL = """
SELECT format('%I', c.relname), pg_relation_size(c.oid),
       EXISTS (SELECT 1 FROM pg_indexes i WHERE i.schemaname = 'public'
               AND i.tablename = c.relname AND i.indexdef ILIKE '%USING hnsw%')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""
#: for each foreign key, the table it points at and the table that holds it
_REFERENCES_SQL = """
SELECT format('%I', t.relname), format('%I', r.relname)
FROM pg_constraint k
JOIN pg_class t ON t.oid = k.confrelid JOIN pg_class r ON r.oid = k.conrelid
JOIN pg_namespace n ON n.oid = k.connamespace
WHERE k.contype = 'f' AND n.nspname = 'public'
"""
#: a table past this many bytes is truncated rather than emptied row by row
_DELETE_UP_TO_BYTES = 1 << 20


@pytest.fixture
async def clean_db(database_url: str) -> AsyncIterator[str]:
    """Empty every tenant-owned table before the test.

    The rows go as ``TRUNCATE … CASCADE`` of those tables would take them — with them the
    tables that reference one (a seeded catalogue too: ``workflow_templates`` holds tenants'
    templates) — but by ``DELETE`` with foreign-key checks off: a test's few rows go in
    milliseconds, where truncating some 60 tables took about a second a test. A table past
    a megabyte (a bulk test's) is still truncated, so that the planner sees no pages of
    dead rows in the next test, and so is one with an HNSW index, which keeps deleted rows
    until a vacuum and counts them against a scan's ``ef_search``."""
    engine = create_engine(database_url, pool_size=1)
    async with engine.begin() as conn:
        tables = {name: (size, hnsw) for name, size, hnsw in await conn.execute(text(_TABLES_SQL))}
        referencing: dict[str, set[str]] = {}
        for referenced, by in await conn.execute(text(_REFERENCES_SQL)):
            referencing.setdefault(referenced, set()).add(by)
        emptied, todo = set(), [t for t in tables if t not in TRUNCATE_SKIP]
        while todo:
            table = todo.pop()
            if table not in emptied:
                emptied.add(table)
                todo.extend(referencing.get(table, ()))
        truncated = sorted(t for t in emptied if tables[t][1] or tables[t][0] > _DELETE_UP_TO_BYTES)
        deletes = " ".join(f"DELETE FROM {t};" for t in sorted(emptied - set(truncated)))
        await conn.execute(
            text(f"DO $$ BEGIN SET LOCAL session_replication_role = replica; {deletes} END $$")
        )
        if truncated:
            await conn.execute(text(f"TRUNCATE {', '.join(truncated)} CASCADE"))
    await engine.dispose()
    yield database_url


@pytest.fixture
async def clean_redis(redis_url: str) -> AsyncIterator[str]:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
    yield redis_url


@pytest.fixture
async def sessions(clean_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on the emptied database."""
    from myloware.db.engine import session_factory

    engine = create_engine(clean_db, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def redis(clean_redis: str) -> AsyncIterator[aioredis.Redis]:
    """An asyncio Redis client on the flushed embedded Redis."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(clean_redis)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"datasets not available at {DATASETS}")
    return DATASETS


# --- API -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        rate_limit_per_minute=10_000,
        task_queue="api-tests-unpolled",  # workflows started by API tests wait, unprocessed
        max_body_bytes=256 * 1024,
        log_json=True,
        workflow_sandbox=True,  # every workflow the tests run is checked for determinism
        slack_socket_refresh_s=3600,  # Socket Mode tests pick their own; never reach slack.com
    )


@pytest.fixture
async def tenants(clean_db: str) -> dict[str, uuid.UUID]:
    """Two tenants, 'acme' and 'globex', in an otherwise empty database (catalogues seeded).

    Both start with an auto-approve policy; governance tests publish their own on top.
    """
    from myloware.db.models import Tenant
    from myloware.runtime.bootstrap import seed

    engine = create_engine(clean_db, pool_size=1)
    ids = {"acme": uuid.uuid4(), "globex": uuid.uuid4()}
    from myloware.db.engine import session_factory
    from myloware.policy import load_policy
    from myloware.services.policies import store_policy

    async with session_factory(engine)() as session, session.begin():
        await seed(session)
        for slug, tid in ids.items():
            session.add(Tenant(id=tid, slug=slug, name=slug.title()))
        await session.flush()
        for tid in ids.values():
            await store_policy(
                session, policy=load_policy(AUTO_APPROVE_POLICY), tenant_id=tid, principal=None
            )
    await engine.dispose()
    return ids


@pytest.fixture
async def api(
    settings: Settings, database_url: str, clean_redis: str, temporal_address: str
) -> AsyncIterator[AppClient]:
    """An httpx client on the real app (lifespan run), backed by the embedded services."""
    from tests.pipeline_support import app_client

    async with app_client(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        yield client


@pytest.fixture
def token_for(settings: Settings, tenants: dict[str, uuid.UUID]) -> TokenFor:
    """Make Authorization headers for a tenant with the given capabilities."""
    from myloware.auth.tokens import issue_token

    def make(
        tenant: str = "acme", *caps: str, ttl: int | None = None, groups: tuple[str, ...] = ()
    ) -> dict[str, str]:
        caps = caps or ("work_orders:read", "work_orders:write")
        token = issue_token(
            settings,
            tenant_id=tenants[tenant],
            capabilities=caps,
            subject=f"user@{tenant}",
            ttl_seconds=ttl,
            groups=groups,
        )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
async def stack(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[AppClient]:
    """The API and a worker on a task queue of their own (a fresh one per test)."""
    from tests.pipeline_support import api_with_worker

    async with api_with_worker(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        yield client


@pytest.fixture
async def slack(
    stack: AppClient,
    tenants: dict[str, uuid.UUID],
    database_url: str,
    clean_redis: str,
    token_for: TokenFor,
) -> AsyncIterator[SlackHarness]:
    """Acme's Slack workspace on the emulator, connected, with the relay and consumers."""
    from tests.slack_support import slack_harness

    async with slack_harness(stack, tenants, database_url, clean_redis, token_for) as harness:
        yield harness


@pytest.fixture
def model_emulator() -> Iterator[ModelEmulator]:
    """The OpenAI/Anthropic wire-protocol emulator, on a free port for this test."""
    from tests.model_emulator import ModelEmulator

    with ModelEmulator() as server:
        yield server


@pytest.fixture
def emu() -> Iterator[ModelEmulator]:
    """A local server speaking the OpenAI and Anthropic wire protocols (tests/model_emulator)."""
    from tests.model_emulator import ModelEmulator

    with ModelEmulator() as server:
        yield server


@pytest.fixture
def agent_settings(settings: Settings, emu: ModelEmulator) -> Settings:
    """The `agent` extractor on the emulated OpenAI, the whole run in the ExtractorLLM
    activity (tests/test_agent_in_workflow.py: in the workflow)."""
    from pydantic import SecretStr

    from tests.pipeline_support import unique_queue

    return settings.model_copy(
        update={
            "task_queue": unique_queue(),
            "extractor": "agent",
            "model_providers": ["openai"],
            "openai_api_key": SecretStr("sk-test"),
            "openai_base_url": emu.openai_url,
            "model_max_retries": 0,
            "agent_in_workflow": False,
        }
    )


@pytest.fixture
async def aapi(
    agent_settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[AppClient]:
    """The API app with the agent's settings (no worker)."""
    from tests.pipeline_support import app_client

    async with app_client(
        agent_settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        yield client
