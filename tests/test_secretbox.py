"""Connector secrets sealed at rest: the database holds ciphertext, code sees the secret; old
plain rows are read and resealed; keys rotate; a wrong or missing key is a clear error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware import secretbox
from myloware.db.base import ConnectorStatus, ConnectorType
from myloware.db.models import Connector
from myloware.errors import ConfigurationError
from myloware.runtime.bootstrap import reseal_connectors
from myloware.settings import Environment, Settings

CONFIG = {"url": "https://hooks.example.com/x", "events": ["*"], "secret": "whsec_topsecret123"}


@pytest.fixture
def keys() -> Iterator[list[str]]:
    """Two fresh keys; the process's own key comes back after the test."""
    saved = secretbox._box
    yield [Fernet.generate_key().decode() for _ in range(2)]
    secretbox._box = saved


def _use(*keys: str) -> None:
    secretbox.configure(Settings(_env_file=None, secrets_key=SecretStr(",".join(keys))))  # type: ignore[call-arg]  # pydantic-settings' _env_file


async def _raw_secret(sessions: async_sessionmaker[AsyncSession], row_id: uuid.UUID) -> str:
    async with sessions() as session:
        query = text("SELECT config->>'secret' FROM connectors WHERE id = :id")
        return str(await session.scalar(query, {"id": row_id}))


async def _read_secret(sessions: async_sessionmaker[AsyncSession], row_id: uuid.UUID) -> str:
    async with sessions() as session:
        row = await session.scalar(select(Connector).where(Connector.id == row_id))
        assert row is not None
        return str(row.config["secret"])


async def test_secrets_are_ciphertext_in_the_database_and_keys_rotate(
    sessions: async_sessionmaker[AsyncSession], tenants: dict[str, uuid.UUID], keys: list[str]
) -> None:
    old, new = keys
    _use(old)
    async with sessions() as session, session.begin():
        row = Connector(
            tenant_id=tenants["acme"],
            name="hook",
            type=ConnectorType.API,
            status=ConnectorStatus.ACTIVE,
            config=dict(CONFIG),
        )
        session.add(row)
    stored = await _raw_secret(sessions, row.id)
    assert stored.startswith("enc:v1:") and "topsecret" not in stored
    assert await _read_secret(sessions, row.id) == CONFIG["secret"]
    tricky = "enc:v1:looks-sealed-but-is-the-secret"  # sealed like any other value
    assert secretbox.unseal(secretbox.seal(tricky)) == tricky

    _use(new, old)  # rotation: the new key seals, the old one still opens
    assert await _read_secret(sessions, row.id) == CONFIG["secret"]
    async with sessions() as session, session.begin():
        assert await reseal_connectors(session) >= 1
    _use(new)  # the old key retired: everything was resealed under the new one
    assert await _read_secret(sessions, row.id) == CONFIG["secret"]
    assert await _raw_secret(sessions, row.id) != stored

    _use(old)  # a key that never sealed it
    with pytest.raises(ConfigurationError, match="cannot be opened with MYLOWARE_SECRETS_KEY"):
        await _read_secret(sessions, row.id)


async def test_plain_rows_from_before_are_read_and_resealed(
    sessions: async_sessionmaker[AsyncSession], tenants: dict[str, uuid.UUID], keys: list[str]
) -> None:
    _use(keys[0])
    row_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO connectors (id, tenant_id, name, type, config, status) VALUES "
                "(:id, :tenant, 'legacy', 'API', CAST(:config AS jsonb), 'ACTIVE')"
            ),
            {"id": row_id, "tenant": tenants["acme"], "config": '{"secret": "plain-old-secret"}'},
        )
    assert await _raw_secret(sessions, row_id) == "plain-old-secret"
    assert await _read_secret(sessions, row_id) == "plain-old-secret"
    async with sessions() as session, session.begin():
        await reseal_connectors(session)
    assert (await _raw_secret(sessions, row_id)).startswith("enc:v1:")
    assert await _read_secret(sessions, row_id) == "plain-old-secret"


def test_keys_are_checked_and_required_where_it_matters(keys: list[str]) -> None:
    with pytest.raises(ConfigurationError, match="Fernet keys"):
        _use("not-a-key")
    production = Settings.model_construct(env=Environment.PRODUCTION, secrets_key=None)
    with pytest.raises(ConfigurationError, match="must be set in production"):
        secretbox.keys_for(production)
    # development: derived, so no bulk reseal
    secretbox.configure(Settings(_env_file=None))  # type: ignore[call-arg]  # pydantic-settings' _env_file
    assert secretbox.configured() and not secretbox.explicitly_keyed()
    _use(keys[0])
    assert secretbox.explicitly_keyed()
    secretbox._box = None  # a process that never configured a key refuses, not guesses
    with pytest.raises(ConfigurationError, match="no key configured"):
        secretbox.seal("x")
