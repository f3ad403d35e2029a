"""attempts: partial index for model usage per tenant and time (token budgets)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # only attempts that called a model: the daily budget check reads a handful of rows
    op.create_index(
        "ix_attempts_model_usage",
        "attempts",
        ["tenant_id", "started_at"],
        unique=False,
        postgresql_where=sa.text("tokens_in IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_attempts_model_usage",
        table_name="attempts",
        postgresql_where=sa.text("tokens_in IS NOT NULL"),
    )
