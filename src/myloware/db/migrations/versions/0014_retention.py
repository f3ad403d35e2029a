"""retention: archive tables for attempts and audit rows; processed_events by age

Archived rows keep every column as one JSONB document (``row``, ``to_jsonb`` of the original
row), beside the few columns they are looked up by; ``jsonb_populate_record(NULL::attempts,
row)`` turns one back into a typed row. Columns added to ``attempts`` or ``audit_logs`` later
need no change here. The index on ``processed_events.processed_at`` lets retention delete old
marks in batches without scanning the table; it is built without blocking writes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def _archived() -> list[sa.Column[object]]:
    """When a row was archived, and the row itself."""
    return [
        sa.Column(
            "archived_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("row", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "attempts_archive",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_item_id", sa.UUID(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        *_archived(),
        _tenant_fk("attempts_archive"),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_attempts_archive_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts_archive")),
    )
    op.create_index(
        op.f("ix_attempts_archive_tenant_id"), "attempts_archive", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_attempts_archive_work_item_id"), "attempts_archive", ["work_item_id"], unique=False
    )
    op.create_table(
        "audit_logs_archive",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_archived(),
        _tenant_fk("audit_logs_archive"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs_archive")),
    )
    op.create_index(
        op.f("ix_audit_logs_archive_tenant_id_created_at"),
        "audit_logs_archive",
        ["tenant_id", "created_at"],
        unique=False,
    )
    with op.get_context().autocommit_block():
        op.create_index(
            op.f("ix_processed_events_processed_at"),
            "processed_events",
            ["processed_at"],
            unique=False,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    """Archived rows go back to their tables before the archive tables are dropped."""
    with op.get_context().autocommit_block():
        op.drop_index(
            op.f("ix_processed_events_processed_at"),
            table_name="processed_events",
            postgresql_concurrently=True,
        )
    op.execute(
        "INSERT INTO attempts SELECT (jsonb_populate_record(NULL::attempts, row)).* "
        "FROM attempts_archive ON CONFLICT (id) DO NOTHING"
    )
    op.execute(
        "INSERT INTO audit_logs SELECT (jsonb_populate_record(NULL::audit_logs, row)).* "
        "FROM audit_logs_archive ON CONFLICT (id) DO NOTHING"
    )
    op.drop_table("audit_logs_archive")
    op.drop_table("attempts_archive")
