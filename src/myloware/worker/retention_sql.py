"""The statements of retention: for each table, what is due and one batch of removing it.

Each ``*_DUE`` counts what is due now; each ``*_BATCH`` handles at most ``:batch`` rows of it,
taking them ``FOR UPDATE SKIP LOCKED`` so that workers sweeping at once take different rows;
where a time column is indexed, oldest first along that index.
Attempts and audit rows are *moved*: deleted and inserted into their archive table in one
statement, so a row is either here or there, never lost and never in both.
"""

from __future__ import annotations

from sqlalchemy import text

from myloware.db.base import WorkOrderStatus

#: a work order in one of these is done: its attempts may be archived (none of an open one)
CLOSED = (WorkOrderStatus.COMPLETED, WorkOrderStatus.FAILED, WorkOrderStatus.REJECTED)
_CLOSED_SQL = ", ".join(f"'{status.value}'" for status in CLOSED)
_CUTOFF = "now() - make_interval(days => :days)"

_OUTBOX = f"FROM outbox WHERE published_at < {_CUTOFF}"  # unpublished rows (NULL) never
OUTBOX_DUE = text(f"SELECT count(*) {_OUTBOX}")
OUTBOX_BATCH = text(
    f"""
    DELETE FROM outbox WHERE seq IN (
        SELECT seq {_OUTBOX} ORDER BY seq LIMIT :batch FOR UPDATE SKIP LOCKED
    )
    """
)

_PROCESSED = f"FROM processed_events WHERE processed_at < {_CUTOFF}"
PROCESSED_DUE = text(f"SELECT count(*) {_PROCESSED}")
PROCESSED_BATCH = text(
    f"""
    DELETE FROM processed_events WHERE (consumer, event_id) IN (
        SELECT consumer, event_id {_PROCESSED}
        ORDER BY processed_at LIMIT :batch FOR UPDATE SKIP LOCKED
    )
    """
)

# old attempts of work orders closed (and untouched) for as long
_ATTEMPTS = f"""
    FROM attempts a
    JOIN work_items i ON i.id = a.work_item_id
    JOIN work_orders o ON o.id = i.work_order_id
    WHERE a.started_at < {_CUTOFF}
      AND o.status IN ({_CLOSED_SQL})
      AND o.updated_at < {_CUTOFF}
"""
ATTEMPTS_DUE = text(f"SELECT count(*) {_ATTEMPTS}")
ATTEMPTS_BATCH = text(
    f"""
    WITH moved AS (
        DELETE FROM attempts WHERE id IN (
            SELECT a.id {_ATTEMPTS} LIMIT :batch FOR UPDATE OF a SKIP LOCKED
        )
        RETURNING *
    )
    INSERT INTO attempts_archive (id, tenant_id, work_item_id, started_at, row)
    SELECT id, tenant_id, work_item_id, started_at, to_jsonb(moved) FROM moved
    """
)

_AUDIT = f"FROM audit_logs WHERE created_at < {_CUTOFF}"
AUDIT_DUE = text(f"SELECT count(*) {_AUDIT}")
AUDIT_BATCH = text(
    f"""
    WITH moved AS (
        DELETE FROM audit_logs WHERE id IN (
            SELECT id {_AUDIT} ORDER BY created_at LIMIT :batch FOR UPDATE SKIP LOCKED
        )
        RETURNING *
    )
    INSERT INTO audit_logs_archive (id, tenant_id, created_at, row)
    SELECT id, tenant_id, created_at, to_jsonb(moved) FROM moved
    """
)
