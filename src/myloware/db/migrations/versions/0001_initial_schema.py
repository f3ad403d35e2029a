"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 02:59:42.733953
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "capabilities",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("permissions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capabilities")),
        sa.UniqueConstraint("name", name=op.f("uq_capabilities_name")),
    )
    op.create_index(op.f("ix_capabilities_scope"), "capabilities", ["scope"], unique=False)
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )
    op.create_table(
        "schemas",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("document_type", sa.String(length=255), nullable=False),
        sa.Column("schema_definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schemas")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_schemas_name_version")),
    )
    op.create_index(op.f("ix_schemas_document_type"), "schemas", ["document_type"], unique=False)
    op.create_index(op.f("ix_schemas_is_active"), "schemas", ["is_active"], unique=False)
    op.create_table(
        "tenants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "workflow_templates",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("document_type", sa.String(length=255), nullable=False),
        sa.Column("workflow_definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_templates")),
    )
    op.create_index(
        op.f("ix_workflow_templates_document_type"),
        "workflow_templates",
        ["document_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_workflow_templates_is_active"), "workflow_templates", ["is_active"], unique=False
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("capabilities", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_api_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_tenant_id"), "api_keys", ["tenant_id"], unique=False)
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=255), nullable=False),
        sa.Column("resource_type", sa.String(length=255), nullable=False),
        sa.Column("resource_id", sa.UUID(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_logs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_action"), "audit_logs", ["action"], unique=False)
    op.create_index(op.f("ix_audit_logs_created_at"), "audit_logs", ["created_at"], unique=False)
    op.create_index(
        "ix_audit_logs_resource", "audit_logs", ["resource_type", "resource_id"], unique=False
    )
    op.create_index(op.f("ix_audit_logs_tenant_id"), "audit_logs", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_audit_logs_user_id"), "audit_logs", ["user_id"], unique=False)
    op.create_table(
        "connectors",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "type",
            postgresql.ENUM("SLACK", "EMAIL", "API", "DATABASE", name="connector_type"),
            nullable=False,
        ),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM("ACTIVE", "INACTIVE", "ERROR", name="connector_status"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_health_check", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_connectors_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
    )
    op.create_index(op.f("ix_connectors_status"), "connectors", ["status"], unique=False)
    op.create_index(op.f("ix_connectors_tenant_id"), "connectors", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_connectors_type"), "connectors", ["type"], unique=False)
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_dead_letters_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(
        op.f("ix_dead_letters_created_at"), "dead_letters", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_dead_letters_event_type"), "dead_letters", ["event_type"], unique=False
    )
    op.create_index(op.f("ix_dead_letters_source"), "dead_letters", ["source"], unique=False)
    op.create_index(op.f("ix_dead_letters_tenant_id"), "dead_letters", ["tenant_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=True),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("aggregate_type", sa.String(length=64), nullable=False),
        sa.Column("aggregate_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_tenant_id"), "outbox", ["tenant_id"], unique=False)
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(
                "PENDING", "PROCESSING", "COMPLETED", "FAILED", name="work_order_status"
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            postgresql.ENUM("LOW", "MEDIUM", "HIGH", "URGENT", name="priority"),
            nullable=False,
        ),
        sa.Column(
            "metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("workflow_id", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_work_orders_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_work_orders_tenant_id_idempotency_key")
        ),
    )
    op.create_index(op.f("ix_work_orders_created_at"), "work_orders", ["created_at"], unique=False)
    op.create_index(op.f("ix_work_orders_priority"), "work_orders", ["priority"], unique=False)
    op.create_index(op.f("ix_work_orders_status"), "work_orders", ["status"], unique=False)
    op.create_index(op.f("ix_work_orders_tenant_id"), "work_orders", ["tenant_id"], unique=False)
    op.create_index(
        "ix_work_orders_tenant_status_created",
        "work_orders",
        ["tenant_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "tools",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("connector_id", sa.UUID(), nullable=False),
        sa.Column("schema", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_tools_connector_id_connectors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tools_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tools")),
    )
    op.create_index(op.f("ix_tools_connector_id"), "tools", ["connector_id"], unique=False)
    op.create_index(op.f("ix_tools_is_active"), "tools", ["is_active"], unique=False)
    op.create_index(op.f("ix_tools_tenant_id"), "tools", ["tenant_id"], unique=False)
    op.create_table(
        "work_items",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            postgresql.ENUM("INVOICE", "TICKET", "STATUS_REPORT", name="work_item_type"),
            nullable=True,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=512), nullable=True),
        sa.Column("media_type", sa.String(length=255), nullable=True),
        sa.Column("blob_ref", sa.String(length=80), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM(
                "QUEUED",
                "PROCESSING",
                "AWAITING_APPROVAL",
                "COMPLETED",
                "FAILED",
                name="work_item_status",
            ),
            nullable=False,
        ),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_work_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_items_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_items")),
    )
    op.create_index(op.f("ix_work_items_created_at"), "work_items", ["created_at"], unique=False)
    op.create_index(
        "ix_work_items_order_status_type",
        "work_items",
        ["work_order_id", "status", "type"],
        unique=False,
    )
    op.create_index(op.f("ix_work_items_status"), "work_items", ["status"], unique=False)
    op.create_index(op.f("ix_work_items_tenant_id"), "work_items", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_work_items_type"), "work_items", ["type"], unique=False)
    op.create_index(
        op.f("ix_work_items_work_order_id"), "work_items", ["work_order_id"], unique=False
    )
    op.create_table(
        "approval_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_item_id", sa.UUID(), nullable=False),
        sa.Column("approver_id", sa.String(length=255), nullable=False),
        sa.Column(
            "decision",
            postgresql.ENUM("APPROVED", "REJECTED", "ESCALATED", name="approval_decision"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("corrections", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("policy_version", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_approval_events_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_approval_events_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_events")),
    )
    op.create_index(
        op.f("ix_approval_events_approver_id"), "approval_events", ["approver_id"], unique=False
    )
    op.create_index(
        op.f("ix_approval_events_tenant_id"), "approval_events", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_approval_events_timestamp"), "approval_events", ["timestamp"], unique=False
    )
    op.create_index(
        op.f("ix_approval_events_work_item_id"), "approval_events", ["work_item_id"], unique=False
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_item_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM("STARTED", "COMPLETED", "FAILED", "TIMEOUT", name="attempt_status"),
            nullable=False,
        ),
        sa.Column("input", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("output", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("tokens_in", sa.Integer(), nullable=True),
        sa.Column("tokens_out", sa.Integer(), nullable=True),
        sa.Column("cost_usd", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_attempts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_attempts_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    op.create_index(op.f("ix_attempts_agent_id"), "attempts", ["agent_id"], unique=False)
    op.create_index(
        "ix_attempts_item_status_started",
        "attempts",
        ["work_item_id", "status", "started_at"],
        unique=False,
    )
    op.create_index(op.f("ix_attempts_started_at"), "attempts", ["started_at"], unique=False)
    op.create_index(op.f("ix_attempts_status"), "attempts", ["status"], unique=False)
    op.create_index(op.f("ix_attempts_tenant_id"), "attempts", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_attempts_work_item_id"), "attempts", ["work_item_id"], unique=False)
    op.create_table(
        "eval_results",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_item_id", sa.UUID(), nullable=False),
        sa.Column("evaluation_type", sa.String(length=255), nullable=False),
        sa.Column("score", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_eval_results_score_range")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_eval_results_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_eval_results_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_results")),
    )
    op.create_index(
        op.f("ix_eval_results_evaluation_type"), "eval_results", ["evaluation_type"], unique=False
    )
    op.create_index(op.f("ix_eval_results_score"), "eval_results", ["score"], unique=False)
    op.create_index(op.f("ix_eval_results_tenant_id"), "eval_results", ["tenant_id"], unique=False)
    op.create_index(
        op.f("ix_eval_results_work_item_id"), "eval_results", ["work_item_id"], unique=False
    )
    op.create_table(
        "mem_docs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_item_id", sa.UUID(), nullable=False),
        sa.Column(
            "type",
            postgresql.ENUM("CONTEXT", "KNOWLEDGE", "TEMPLATE", name="mem_doc_type"),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("embedding", Vector(384), nullable=True),
        sa.Column(
            "metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_accessed",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mem_docs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_mem_docs_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mem_docs")),
    )
    op.create_index(
        "ix_mem_docs_embedding_hnsw",
        "mem_docs",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index(op.f("ix_mem_docs_tenant_id"), "mem_docs", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_mem_docs_type"), "mem_docs", ["type"], unique=False)
    op.create_index(op.f("ix_mem_docs_work_item_id"), "mem_docs", ["work_item_id"], unique=False)
    op.create_table(
        "records",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("work_item_id", sa.UUID(), nullable=False),
        sa.Column(
            "document_type",
            postgresql.ENUM("INVOICE", "TICKET", "STATUS_REPORT", name="work_item_type"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_records_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_records_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("work_item_id", name=op.f("uq_records_work_item_id")),
    )
    op.create_index(op.f("ix_records_tenant_id"), "records", ["tenant_id"], unique=False)
    op.create_table(
        "tool_capabilities",
        sa.Column("tool_id", sa.UUID(), nullable=False),
        sa.Column("capability_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_tool_capabilities_capability_id_capabilities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["tools.id"],
            name=op.f("fk_tool_capabilities_tool_id_tools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tool_id", "capability_id", name=op.f("pk_tool_capabilities")),
    )
    op.create_table(
        "record_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("canonical", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_versions_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_record_versions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_versions")),
        sa.UniqueConstraint(
            "record_id", "version", name=op.f("uq_record_versions_record_id_version")
        ),
    )
    op.create_index(
        op.f("ix_record_versions_record_id"), "record_versions", ["record_id"], unique=False
    )
    op.create_index(
        op.f("ix_record_versions_tenant_id"), "record_versions", ["tenant_id"], unique=False
    )
    # Full-text search (blueprint: idx_*_content_fts)
    op.execute(
        "CREATE INDEX ix_work_items_content_fts ON work_items "
        "USING gin (to_tsvector('english', content))"
    )
    op.execute(
        "CREATE INDEX ix_mem_docs_content_fts ON mem_docs "
        "USING gin (to_tsvector('english', content))"
    )


ENUMS = (
    "work_order_status",
    "priority",
    "work_item_type",
    "work_item_status",
    "attempt_status",
    "mem_doc_type",
    "approval_decision",
    "connector_type",
    "connector_status",
)


def downgrade() -> None:
    op.drop_index(op.f("ix_record_versions_tenant_id"), table_name="record_versions")
    op.drop_index(op.f("ix_record_versions_record_id"), table_name="record_versions")
    op.drop_table("record_versions")
    op.drop_table("tool_capabilities")
    op.drop_index(op.f("ix_records_tenant_id"), table_name="records")
    op.drop_table("records")
    op.drop_index(op.f("ix_mem_docs_work_item_id"), table_name="mem_docs")
    op.drop_index(op.f("ix_mem_docs_type"), table_name="mem_docs")
    op.drop_index(op.f("ix_mem_docs_tenant_id"), table_name="mem_docs")
    op.drop_index(
        "ix_mem_docs_embedding_hnsw",
        table_name="mem_docs",
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_table("mem_docs")
    op.drop_index(op.f("ix_eval_results_work_item_id"), table_name="eval_results")
    op.drop_index(op.f("ix_eval_results_tenant_id"), table_name="eval_results")
    op.drop_index(op.f("ix_eval_results_score"), table_name="eval_results")
    op.drop_index(op.f("ix_eval_results_evaluation_type"), table_name="eval_results")
    op.drop_table("eval_results")
    op.drop_index(op.f("ix_attempts_work_item_id"), table_name="attempts")
    op.drop_index(op.f("ix_attempts_tenant_id"), table_name="attempts")
    op.drop_index(op.f("ix_attempts_status"), table_name="attempts")
    op.drop_index(op.f("ix_attempts_started_at"), table_name="attempts")
    op.drop_index("ix_attempts_item_status_started", table_name="attempts")
    op.drop_index(op.f("ix_attempts_agent_id"), table_name="attempts")
    op.drop_table("attempts")
    op.drop_index(op.f("ix_approval_events_work_item_id"), table_name="approval_events")
    op.drop_index(op.f("ix_approval_events_timestamp"), table_name="approval_events")
    op.drop_index(op.f("ix_approval_events_tenant_id"), table_name="approval_events")
    op.drop_index(op.f("ix_approval_events_approver_id"), table_name="approval_events")
    op.drop_table("approval_events")
    op.drop_index(op.f("ix_work_items_work_order_id"), table_name="work_items")
    op.drop_index(op.f("ix_work_items_type"), table_name="work_items")
    op.drop_index(op.f("ix_work_items_tenant_id"), table_name="work_items")
    op.drop_index(op.f("ix_work_items_status"), table_name="work_items")
    op.drop_index("ix_work_items_order_status_type", table_name="work_items")
    op.drop_index(op.f("ix_work_items_created_at"), table_name="work_items")
    op.drop_table("work_items")
    op.drop_index(op.f("ix_tools_tenant_id"), table_name="tools")
    op.drop_index(op.f("ix_tools_is_active"), table_name="tools")
    op.drop_index(op.f("ix_tools_connector_id"), table_name="tools")
    op.drop_table("tools")
    op.drop_index("ix_work_orders_tenant_status_created", table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_tenant_id"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_status"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_priority"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_created_at"), table_name="work_orders")
    op.drop_table("work_orders")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index(op.f("ix_outbox_tenant_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_dead_letters_tenant_id"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_source"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_event_type"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_created_at"), table_name="dead_letters")
    op.drop_table("dead_letters")
    op.drop_index(op.f("ix_connectors_type"), table_name="connectors")
    op.drop_index(op.f("ix_connectors_tenant_id"), table_name="connectors")
    op.drop_index(op.f("ix_connectors_status"), table_name="connectors")
    op.drop_table("connectors")
    op.drop_index(op.f("ix_audit_logs_user_id"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_tenant_id"), table_name="audit_logs")
    op.drop_index("ix_audit_logs_resource", table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_created_at"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_action"), table_name="audit_logs")
    op.drop_table("audit_logs")
    op.drop_index(op.f("ix_api_keys_tenant_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_workflow_templates_is_active"), table_name="workflow_templates")
    op.drop_index(op.f("ix_workflow_templates_document_type"), table_name="workflow_templates")
    op.drop_table("workflow_templates")
    op.drop_table("tenants")
    op.drop_index(op.f("ix_schemas_is_active"), table_name="schemas")
    op.drop_index(op.f("ix_schemas_document_type"), table_name="schemas")
    op.drop_table("schemas")
    op.drop_table("processed_events")
    op.drop_index(op.f("ix_capabilities_scope"), table_name="capabilities")
    op.drop_table("capabilities")
    for enum in ENUMS:
        op.execute(f"DROP TYPE IF EXISTS {enum}")
