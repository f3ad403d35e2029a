"""records: an index on the vendor name, for the policy's "was this vendor approved before?"

Every invoice's Policy stage asks whether the tenant approved a record of the same vendor
before (myloware.db.hot_sql.KNOWN_VENDOR: the name lower-cased and trimmed, or the tax id).
The tax id had its index (0015); the name had none, so each document scanned the tenant's
records: the Policy stage took 0.3 s at 100,000 documents and 2 s at 1,000,000 (p50, the
scale benchmark's pipeline on the full database, docs/benchmarks.md). A partial expression
index on the name as it is compared, led by the tenant; built without blocking writes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_records_vendor_name"
# kept here, not imported: a migration stays as it was written (myloware.db.models.work
# declares the same index, tests/test_migrations.py checks they agree)
EXPRESSION = "lower(btrim(data ->> 'vendor_name'))"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            NAME,
            "records",
            [sa.text("tenant_id"), sa.text(EXPRESSION)],
            unique=False,
            postgresql_where=sa.text("data ? 'vendor_name'"),
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name="records", postgresql_concurrently=True)
