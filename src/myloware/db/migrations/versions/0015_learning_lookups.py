"""learning look-ups: indexes on records' exact keys and on the tenant's embedded CONTEXT docs

Every document whose record has an exact key (tax id, IBAN, e-mail) looks up the tenant's
approved records sharing it (myloware.memory.lessons). Without an index that was a scan of
the tenant's records per document, growing with every approval. One partial expression
index per key field, on the key as it is compared (lower case; letters and digits only, or
the trimmed e-mail), led by the tenant; only records that have the field are in it.

A document without one is compared by similarity with the tenant's newest embedded CONTEXT
docs (myloware.memory.store.APPROVED_CONTEXT): a partial index on (tenant_id, created_at)
of those docs reads them newest first. Built without blocking writes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kept here, not imported: a migration stays as it was written (myloware.db.models.work
# declares the same indexes, tests/test_migrations.py checks they agree)
KEYS = {
    "vendor_tax_id": "regexp_replace(lower(data ->> 'vendor_tax_id'), '[^0-9a-z]', '', 'g')",
    "iban": "regexp_replace(lower(data ->> 'iban'), '[^0-9a-z]', '', 'g')",
    "sender_email": "btrim(lower(data ->> 'sender_email'))",
    "customer_email": "btrim(lower(data ->> 'customer_email'))",
}


EMBEDDED_CONTEXT = "type = 'CONTEXT' AND embedding IS NOT NULL"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_mem_docs_context_tenant_created",
            "mem_docs",
            ["tenant_id", "created_at"],
            unique=False,
            postgresql_where=sa.text(EMBEDDED_CONTEXT),
            postgresql_concurrently=True,
        )
        for name, expression in KEYS.items():
            op.create_index(
                f"ix_records_key_{name}",
                "records",
                [sa.text("tenant_id"), sa.text(expression)],
                unique=False,
                postgresql_where=sa.text(f"data ? '{name}'"),
                postgresql_concurrently=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_mem_docs_context_tenant_created",
            table_name="mem_docs",
            postgresql_concurrently=True,
        )
        for name in KEYS:
            op.drop_index(
                f"ix_records_key_{name}", table_name="records", postgresql_concurrently=True
            )
