"""mem_docs: partial index on the docs still waiting for an embedding (the memory indexer)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# docs marked unembeddable leave the queue (and its index) for good
UNEMBEDDED = "embedding IS NULL AND NOT (metadata ? 'embedding_error')"


def upgrade() -> None:
    # the indexer's "newest docs without an embedding" stays a short index scan; built
    # without blocking writes (every existing doc is unembedded: the index starts large)
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_mem_docs_unembedded",
            "mem_docs",
            ["created_at"],
            unique=False,
            postgresql_where=sa.text(UNEMBEDDED),
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_mem_docs_unembedded",
            table_name="mem_docs",
            postgresql_where=sa.text(UNEMBEDDED),
            postgresql_concurrently=True,
        )
