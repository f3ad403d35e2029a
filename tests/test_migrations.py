"""Alembic migrations run forward on an empty database, backward, and forward again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine.interfaces import ReflectedIndex

from myloware.db.engine import to_sqlalchemy_url
from myloware.db.migrate import current_revision, downgrade, include_object, upgrade

BLUEPRINT_TABLES = {
    "work_orders",
    "work_items",
    "attempts",
    "mem_docs",
    "approval_events",
    "dead_letters",
    "connectors",
    "tools",
    "capabilities",
    "tool_capabilities",
    "schemas",
    "workflow_templates",
    "eval_results",
    "audit_logs",
}
DESIGN_TABLES = {"tenants", "api_keys", "outbox", "records", "record_versions", "processed_events"}


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A brand-new, empty database on the embedded server, dropped afterwards."""
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        to_sqlalchemy_url(database_url), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = database_url.replace("/myloware?", f"/{name}?")
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _inspect(url: str) -> tuple[set[str], dict[str, list[ReflectedIndex]], set[str]]:
    engine = create_engine(to_sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        insp = inspect(conn)
        tables = set(insp.get_table_names())
        indexes = {t: insp.get_indexes(t) for t in tables}
        exts = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
    engine.dispose()
    return tables, indexes, exts


def test_upgrade_from_empty_creates_every_table_and_index(empty_database: str) -> None:
    """Head has the blueprint's tables, the design's tables, pgvector and an HNSW index."""
    assert current_revision(empty_database) is None
    upgrade(empty_database)
    assert current_revision(empty_database) is not None
    tables, indexes, exts = _inspect(empty_database)
    assert BLUEPRINT_TABLES | DESIGN_TABLES <= tables
    assert "vector" in exts
    mem_indexes = {i["name"] for i in indexes["mem_docs"]}
    assert "ix_mem_docs_embedding_hnsw" in mem_indexes
    assert "ix_mem_docs_content_fts" in mem_indexes
    [hnsw] = [i for i in indexes["mem_docs"] if i["name"] == "ix_mem_docs_embedding_hnsw"]
    # migration 0019: a denser graph than pgvector's defaults (recall at a million docs)
    assert hnsw.get("dialect_options", {}).get("postgresql_with") == {
        "m": "24",
        "ef_construction": "128",
    }
    assert "ix_work_orders_tenant_status_created" in {i["name"] for i in indexes["work_orders"]}


def test_downgrade_to_base_and_upgrade_again(empty_database: str) -> None:
    """Every revision can be undone and re-applied (enum types included)."""
    upgrade(empty_database)
    downgrade(empty_database, "base")
    tables, _, _ = _inspect(empty_database)
    assert tables <= {"alembic_version"}
    upgrade(empty_database)
    tables, _, _ = _inspect(empty_database)
    assert BLUEPRINT_TABLES <= tables


def test_upgrade_from_each_previous_revision(empty_database: str) -> None:
    """A database left at any earlier revision upgrades to head."""
    from alembic.script import ScriptDirectory

    from myloware.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(empty_database))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for index, revision in enumerate(revisions):
        downgrade(empty_database, "base") if index else None
        upgrade(empty_database, revision)
        upgrade(empty_database, "head")
        assert current_revision(empty_database) == revisions[-1]


def test_models_and_migrations_agree(empty_database: str) -> None:
    """Autogenerate finds nothing to change at head: the ORM models match the migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import myloware.db.models  # noqa: F401
    from myloware.db.base import Base

    upgrade(empty_database)
    engine = create_engine(to_sqlalchemy_url(empty_database), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_decision_statuses_upgrade_keeps_rows_and_downgrade_maps_them_back(
    empty_database: str,
) -> None:
    """0010 adds REJECTED (items, orders) and AWAITING_APPROVAL (orders): rows written before
    it read the same after it; going back turns a rejection into FAILED and a waiting order
    into PROCESSING, the statuses 0009 had for them."""
    upgrade(empty_database, "0009")
    engine = create_engine(to_sqlalchemy_url(empty_database), poolclass=pool.NullPool)
    tenant, order, item = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, name, slug) VALUES (:t, 'Acme', 'acme')"), {"t": tenant}
        )
        conn.execute(
            text(
                "INSERT INTO work_orders (id, tenant_id, status, priority, workflow_id, "
                "created_by) VALUES (:o, :t, 'FAILED', 'MEDIUM', 'wf', 'me')"
            ),
            {"o": order, "t": tenant},
        )
        conn.execute(
            text(
                "INSERT INTO work_items (id, tenant_id, work_order_id, position, content, "
                "status) VALUES (:i, :t, :o, 0, 'x', 'FAILED')"
            ),
            {"i": item, "t": tenant, "o": order},
        )
    upgrade(empty_database)
    statuses = text(
        "SELECT o.status::text, i.status::text FROM work_orders o "
        "JOIN work_items i ON i.work_order_id = o.id"
    )
    with engine.begin() as conn:
        assert conn.execute(statuses).one() == ("FAILED", "FAILED")
        conn.execute(text("UPDATE work_orders SET status = 'AWAITING_APPROVAL'"))
        conn.execute(text("UPDATE work_items SET status = 'REJECTED'"))
    downgrade(empty_database, "0009")
    with engine.begin() as conn:
        assert conn.execute(statuses).one() == ("PROCESSING", "FAILED")
    upgrade(empty_database)
    engine.dispose()
