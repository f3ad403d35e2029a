"""records: indexes on the exact keys learning from approvals matches (tax id, IBAN, e-mail)

Every document whose record has such a key looks up the tenant's approved records sharing
it (myloware.memory.lessons). Without an index that was a scan of the tenant's records per
document, growing with every approval. One partial expression index per key field, on the
key as it is compared (lower case; letters and digits only, or the trimmed e-mail), led by
the tenant; only records that have the field are in it. Built without blocking writes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kept here, not imported: a migration stays as it was written (myloware.db.models.work
# declares the same indexes, tests/test_migrations.py checks they agree)
KEYS = {
    "vendor_tax_id": "regexp_replace(lower(data ->> 'vendor_tax_id'), '[^0-9a-z]', '', 'g')",
    "vendor_iban": "regexp_replace(lower(data ->> 'vendor_iban'), '[^0-9a-z]', '', 'g')",
    "sender_email": "btrim(lower(data ->> 'sender_email'))",
    "customer_email": "btrim(lower(data ->> 'customer_email'))",
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
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
        for name in KEYS:
            op.drop_index(
                f"ix_records_key_{name}", table_name="records", postgresql_concurrently=True
            )
