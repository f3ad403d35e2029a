"""cost_accuracy_indexes: the cost report's and the accuracy page's reads by tenant and time

``ix_attempts_tenant_started`` covers the cost report (GET /v1/costs, /ui/costs): every
attempt of a tenant in a period, with the columns it sums included, so the sums are an
index-only scan. ``ix_eval_results_tenant_created`` serves the accuracy report (GET
/v1/accuracy, /ui/accuracy). Neither changes a row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMMED = ["work_item_id", "attempt_number", "model", "tokens_in", "tokens_out", "cost_usd"]


def upgrade() -> None:
    op.create_index(
        "ix_attempts_tenant_started",
        "attempts",
        ["tenant_id", "started_at"],
        unique=False,
        postgresql_include=SUMMED,
    )
    op.create_index(
        "ix_eval_results_tenant_created",
        "eval_results",
        ["tenant_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_eval_results_tenant_created", table_name="eval_results")
    op.drop_index("ix_attempts_tenant_started", table_name="attempts")
