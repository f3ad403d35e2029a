"""attempts: an index for the agent's tool calls, whose answers expire with the transcripts

Where the `agent` extractor runs in the workflow, each tool call is its own attempt
(``ExtractorTool``, no model tokens), keeping the call's arguments and answer in
``output.usage.tools`` — document text that the hourly transcript purge removes after
``MYLOWARE_MODEL_TRANSCRIPT_RETENTION_DAYS``. The purge finds model calls by the partial index
on ``tokens_in IS NOT NULL``; tool calls have none, so they get this small partial index of
their own (only ``ExtractorTool`` rows). Built without blocking writes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_attempts_tool_calls_started"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            NAME,
            "attempts",
            ["started_at"],
            unique=False,
            postgresql_where=sa.text("agent_id = 'ExtractorTool'"),
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name="attempts", postgresql_concurrently=True)
