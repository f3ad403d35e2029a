"""decision statuses: REJECTED items and orders, orders AWAITING_APPROVAL

A rejected document (by a person, by the policy, or failed closed when its approval SLA ran
out) is REJECTED, not FAILED; an order with an item waiting for a person is
AWAITING_APPROVAL, not PROCESSING. Old rows keep their statuses (all still valid).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ITEM = ("QUEUED", "PROCESSING", "AWAITING_APPROVAL", "COMPLETED", "FAILED")
OLD_ORDER = ("PENDING", "PROCESSING", "COMPLETED", "FAILED")


def upgrade() -> None:
    # ALTER TYPE … ADD VALUE: a new value cannot be used in the transaction that adds it
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE work_item_status ADD VALUE IF NOT EXISTS 'REJECTED'")
        op.execute(
            "ALTER TYPE work_order_status ADD VALUE IF NOT EXISTS 'AWAITING_APPROVAL' "
            "AFTER 'PROCESSING'"
        )
        op.execute("ALTER TYPE work_order_status ADD VALUE IF NOT EXISTS 'REJECTED'")


def _shrink(enum: str, table: str, values: Sequence[str]) -> None:
    """Postgres cannot drop an enum value: the type is made again without it."""
    listed = ", ".join(f"'{v}'" for v in values)
    op.execute(f"ALTER TYPE {enum} RENAME TO {enum}_old")
    op.execute(f"CREATE TYPE {enum} AS ENUM ({listed})")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN status TYPE {enum} USING status::text::{enum}")
    op.execute(f"DROP TYPE {enum}_old")


def downgrade() -> None:
    # the old statuses' meaning: a rejection was a failure, waiting was processing
    op.execute("UPDATE work_items SET status = 'FAILED' WHERE status = 'REJECTED'")
    op.execute(
        "UPDATE work_orders SET status = CASE status WHEN 'REJECTED' THEN 'FAILED'::"
        "work_order_status ELSE 'PROCESSING'::work_order_status END "
        "WHERE status IN ('REJECTED', 'AWAITING_APPROVAL')"
    )
    _shrink("work_item_status", "work_items", OLD_ITEM)
    _shrink("work_order_status", "work_orders", OLD_ORDER)
