"""tools_templates: built-in tools with their capabilities; versioned workflow templates

Tools may be platform-wide (``tenant_id`` NULL) and built in (``connector_id`` NULL); a tenant
row of the same name switches a platform tool on or off for that tenant. Workflow templates get
a tenant (NULL: platform-wide), a version and their author; at most one version is active per
tenant and document type. The built-in tools and the capabilities they need are seeded here
(idempotent; the worker and API seed them again at start-up, see myloware.services.tools).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("tools", "tenant_id", existing_type=sa.UUID(), nullable=True)
    op.alter_column("tools", "connector_id", existing_type=sa.UUID(), nullable=True)
    op.create_unique_constraint(
        op.f("uq_tools_tenant_id_name"),
        "tools",
        ["tenant_id", "name"],
        postgresql_nulls_not_distinct=True,
    )
    op.add_column("workflow_templates", sa.Column("tenant_id", sa.UUID(), nullable=True))
    op.add_column(
        "workflow_templates",
        sa.Column("version", sa.String(length=50), server_default="1", nullable=False),
    )
    op.alter_column("workflow_templates", "version", server_default=None)
    op.add_column(
        "workflow_templates", sa.Column("created_by", sa.String(length=255), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_workflow_templates_tenant_id_tenants"),
        "workflow_templates",
        "tenants",
        ["tenant_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        op.f("ix_workflow_templates_tenant_id"), "workflow_templates", ["tenant_id"], unique=False
    )
    op.create_unique_constraint(
        op.f("uq_workflow_templates_tenant_id_name_version"),
        "workflow_templates",
        ["tenant_id", "name", "version"],
        postgresql_nulls_not_distinct=True,
    )
    op.create_index(
        "uq_workflow_templates_active",
        "workflow_templates",
        ["tenant_id", "document_type"],
        unique=True,
        postgresql_where=sa.text("is_active"),
        postgresql_nulls_not_distinct=True,
    )
    # the built-in tools (myloware.agents.tools.BUILTIN) and their capabilities
    from myloware.services.tools import seed_builtin_tools_sync

    seed_builtin_tools_sync(op.get_bind())


def downgrade() -> None:
    op.drop_index("uq_workflow_templates_active", table_name="workflow_templates")
    op.drop_constraint(
        op.f("uq_workflow_templates_tenant_id_name_version"), "workflow_templates", type_="unique"
    )
    op.drop_index(op.f("ix_workflow_templates_tenant_id"), table_name="workflow_templates")
    op.drop_constraint(
        op.f("fk_workflow_templates_tenant_id_tenants"), "workflow_templates", type_="foreignkey"
    )
    op.drop_column("workflow_templates", "created_by")
    op.drop_column("workflow_templates", "version")
    op.drop_column("workflow_templates", "tenant_id")
    op.execute("DELETE FROM tools WHERE tenant_id IS NULL OR connector_id IS NULL")
    op.drop_constraint(op.f("uq_tools_tenant_id_name"), "tools", type_="unique")
    op.alter_column("tools", "connector_id", existing_type=sa.UUID(), nullable=False)
    op.alter_column("tools", "tenant_id", existing_type=sa.UUID(), nullable=False)
