"""tenant_status: a tenant can be disabled (its credentials are refused)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_STATUS = postgresql.ENUM("ACTIVE", "DISABLED", name="tenant_status")


def upgrade() -> None:
    TENANT_STATUS.create(op.get_bind(), checkfirst=True)
    op.add_column(
        "tenants",
        sa.Column(
            "status",
            TENANT_STATUS,
            server_default=sa.text("'ACTIVE'"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("tenants", "status")
    TENANT_STATUS.drop(op.get_bind(), checkfirst=True)
