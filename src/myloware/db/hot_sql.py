"""The SQL every document runs in the worker, on plain psycopg (see :mod:`myloware.db.direct`).

Each function is one statement (two for the Persister), run inside a transaction the caller
opened with :func:`myloware.db.direct.transaction`. Writes that belong together are merged into
one statement with data-modifying CTEs, and every domain event goes into the outbox in the same
statement as the change it describes. Tables and columns are those of :mod:`myloware.db.models`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from myloware.db.direct import Connection, jsonb

OUTBOX_COLUMNS = "event_id, tenant_id, event_type, aggregate_type, aggregate_id, payload"
TERMINAL = "('COMPLETED', 'FAILED', 'REJECTED')"


def _outbox_values(event: dict[str, Any], prefix: str = "e_") -> dict[str, Any]:
    """An :func:`myloware.events.outbox.outbox_row` as named parameters."""
    return {
        f"{prefix}event_id": event["event_id"],
        f"{prefix}tenant_id": event["tenant_id"],
        f"{prefix}event_type": event["event_type"],
        f"{prefix}aggregate_type": event["aggregate_type"],
        f"{prefix}aggregate_id": event["aggregate_id"],
        f"{prefix}payload": jsonb(event["payload"]),
    }


def _outbox_placeholders(prefix: str = "e_") -> str:
    names = [c.strip() for c in OUTBOX_COLUMNS.split(",")]
    return ", ".join(f"%({prefix}{n})s" for n in names)


# -- bookkeeping --------------------------------------------------------------------------------

START_ORDER = f"""
WITH started AS (
    UPDATE work_orders SET status = 'PROCESSING', updated_at = now()
    WHERE id = %(order)s AND status = 'PENDING'
)
SELECT id, blob_ref FROM work_items
WHERE work_order_id = %(order)s AND tenant_id = %(tenant)s AND status NOT IN {TERMINAL}
ORDER BY position
"""


async def start_order(
    pg: Connection, order_id: uuid.UUID, tenant_id: uuid.UUID
) -> list[tuple[uuid.UUID, str | None]]:
    """Mark a PENDING order PROCESSING; its items not settled yet (id, blob_ref) in order
    (all of them, but for an order whose workflow the reconciler started again)."""
    cur = await pg.execute(START_ORDER, {"order": order_id, "tenant": tenant_id})
    return [(row[0], row[1]) for row in await cur.fetchall()]


SETTLE_ITEM = f"""
WITH settled AS (
    UPDATE work_items
    SET status = %(status)s::work_item_status, processed_at = now(),
        error = coalesce(%(error)s, error), result = coalesce(%(result)s, result)
    WHERE id = %(item)s AND status NOT IN {TERMINAL}
    RETURNING id
)
INSERT INTO outbox ({OUTBOX_COLUMNS}) SELECT {_outbox_placeholders()} FROM settled
"""


async def settle_item(
    pg: Connection,
    item_id: uuid.UUID,
    status: str,
    *,
    error: str | None,
    result: dict[str, Any] | None,
    event: dict[str, Any],
) -> None:
    """Settle an item not settled yet (idempotent) and record ``event`` if it was."""
    await pg.execute(
        SETTLE_ITEM,
        {
            "item": item_id,
            "status": status,
            "error": error,
            "result": jsonb(result),
            **_outbox_values(event),
        },
    )


ITEM_COUNTS = f"""
SELECT count(*) FILTER (WHERE status = 'COMPLETED'), count(*) FILTER (WHERE status = 'FAILED'),
       count(*) FILTER (WHERE status = 'REJECTED'), count(*) FILTER (WHERE status NOT IN {TERMINAL})
FROM work_items WHERE work_order_id = %s
"""


async def item_counts(pg: Connection, order_id: uuid.UUID) -> tuple[int, int, int, int]:
    """An order's items: (completed, failed, rejected, still open)."""
    cur = await pg.execute(ITEM_COUNTS, (order_id,))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


SETTLE_ORDER = f"""
WITH settled AS (
    UPDATE work_orders
    SET status = %(status)s::work_order_status, metadata = metadata || %(patch)s,
        updated_at = now()
    WHERE id = %(order)s AND status NOT IN {TERMINAL}
    RETURNING id
)
INSERT INTO outbox ({OUTBOX_COLUMNS}) SELECT {_outbox_placeholders()} FROM settled
"""


async def settle_order(
    pg: Connection,
    order_id: uuid.UUID,
    status: str,
    *,
    metadata_patch: dict[str, Any],
    event: dict[str, Any],
) -> str | None:
    """Settle an order not settled yet; the status it has now (None: no such order)."""
    cur = await pg.execute(
        SETTLE_ORDER,
        {
            "order": order_id,
            "status": status,
            "patch": jsonb(metadata_patch),
            **_outbox_values(event),
        },
    )
    if cur.rowcount == 1:
        return status
    cur = await pg.execute("SELECT status::text FROM work_orders WHERE id = %s", (order_id,))
    row = await cur.fetchone()
    return None if row is None else str(row[0])


# -- RecordGen and the CONTEXT doc ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemSource:
    blob_ref: str | None
    content: str
    filename: str | None
    media_type: str | None
    declared_type: str | None


START_ITEM = """
UPDATE work_items SET
    status = CASE WHEN status = 'QUEUED' THEN 'PROCESSING'::work_item_status ELSE status END,
    started_at = CASE WHEN status = 'QUEUED' THEN coalesce(started_at, now())
                      ELSE started_at END
WHERE id = %(item)s AND tenant_id = %(tenant)s
RETURNING blob_ref, content, filename, media_type, type::text
"""


async def start_item(pg: Connection, item_id: uuid.UUID, tenant_id: uuid.UUID) -> ItemSource | None:
    """Mark a QUEUED item PROCESSING (never regressing a settled one); what it holds."""
    cur = await pg.execute(START_ITEM, {"item": item_id, "tenant": tenant_id})
    row = await cur.fetchone()
    return None if row is None else ItemSource(*row)


SAVE_CONTEXT = """
WITH replaced AS (
    DELETE FROM mem_docs WHERE work_item_id = %(item)s AND type = 'CONTEXT'
), typed AS (
    UPDATE work_items SET type = %(doc_type)s::work_item_type WHERE id = %(item)s
)
INSERT INTO mem_docs (id, tenant_id, work_item_id, type, content, metadata)
VALUES (%(id)s, %(tenant)s, %(item)s, 'CONTEXT', %(content)s, %(metadata)s)
"""


async def save_context(
    pg: Connection,
    *,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    content: str,
    metadata: dict[str, Any],
    doc_type: str,
) -> None:
    """Replace the item's CONTEXT doc and set its detected type (idempotent)."""
    await pg.execute(
        SAVE_CONTEXT,
        {
            "id": uuid.uuid4(),
            "tenant": tenant_id,
            "item": item_id,
            "content": content,
            "metadata": jsonb(metadata),
            "doc_type": doc_type,
        },
    )


async def load_context(pg: Connection, item_id: uuid.UUID) -> tuple[str, dict[str, Any]] | None:
    cur = await pg.execute(
        "SELECT content, metadata FROM mem_docs WHERE work_item_id = %s AND type = 'CONTEXT'",
        (item_id,),
    )
    row = await cur.fetchone()
    return None if row is None else (row[0], row[1])


# -- Policy -------------------------------------------------------------------------------------

# "known" means approved in this tenant: a COMPLETED item whose Verifier check passed (auto-
# or person-approved), whose approval was not forgotten (DELETE /v1/memory/lessons/{id}),
# with the same vendor name (case and surrounding spaces ignored) or the same tax id
# (letters and digits only, lower case). Each branch is one partial expression index's
# (ix_records_vendor_name, 0018; ix_records_key_vendor_tax_id, 0015): without them this was
# a scan of the tenant's records per document, 2 s at 600,000 (benchmarks.scale at 1M)
KNOWN_VENDOR = """
SELECT 1 FROM records r JOIN work_items w ON w.id = r.work_item_id AND w.tenant_id = r.tenant_id
WHERE r.tenant_id = %(tenant)s AND r.work_item_id <> %(item)s AND w.status = 'COMPLETED'
  AND (w.result -> 'verification' ->> 'passed')::boolean IS TRUE
  AND ((r.data ? 'vendor_name' AND lower(btrim(r.data ->> 'vendor_name')) = %(vendor)s)
       OR (r.data ? 'vendor_tax_id' AND %(tax_id)s::text IS NOT NULL
           AND regexp_replace(lower(r.data ->> 'vendor_tax_id'), '[^0-9a-z]', '', 'g')
               = %(tax_id)s::text))
  AND NOT EXISTS (
      SELECT 1 FROM mem_docs f
      WHERE f.work_item_id = w.id AND f.tenant_id = w.tenant_id AND f.metadata ? 'forgotten'
  )
LIMIT 1
"""


async def known_vendor(
    pg: Connection,
    *,
    tenant_id: uuid.UUID,
    vendor: str,
    item_id: uuid.UUID,
    tax_id: str | None = None,
) -> bool:
    """Whether the tenant approved a record from ``vendor`` (lower-cased) or with ``tax_id``
    (folded: lower case, letters and digits only) on another item."""
    cur = await pg.execute(
        KNOWN_VENDOR, {"tenant": tenant_id, "vendor": vendor, "item": item_id, "tax_id": tax_id}
    )
    return await cur.fetchone() is not None


SENDER_RECORDS = """
SELECT r.work_item_id, r.data, count(*) OVER () FROM records r
JOIN work_items w ON w.id = r.work_item_id
WHERE r.tenant_id = %(tenant)s AND w.status = 'COMPLETED' AND r.work_item_id <> %(item)s
  AND (lower(r.data ->> 'vendor_name') = %(sender)s
       OR lower(r.data ->> 'vendor_tax_id') = %(sender)s)
ORDER BY r.created_at DESC
LIMIT %(limit)s
"""


async def sender_records(
    pg: Connection, *, tenant_id: uuid.UUID, sender: str, item_id: uuid.UUID, limit: int = 3
) -> tuple[int, list[tuple[uuid.UUID, dict[str, Any]]]]:
    """How many completed records of the tenant came from ``sender`` (a vendor name or tax
    id, lower-cased), and the newest ``limit`` of them (other items than ``item_id``)."""
    cur = await pg.execute(
        SENDER_RECORDS, {"tenant": tenant_id, "sender": sender, "item": item_id, "limit": limit}
    )
    rows = await cur.fetchall()
    return (int(rows[0][2]) if rows else 0), [(row[0], row[1]) for row in rows]


# -- model token budgets -------------------------------------------------------------------

TOKENS_SPENT = """
SELECT
    (SELECT coalesce(sum(coalesce(a.tokens_in, 0) + coalesce(a.tokens_out, 0)), 0)
     FROM attempts a JOIN work_items w ON w.id = a.work_item_id
     WHERE w.work_order_id = %(order)s AND a.tokens_in IS NOT NULL),
    (SELECT coalesce(sum(coalesce(tokens_in, 0) + coalesce(tokens_out, 0)), 0)
     FROM attempts
     WHERE tenant_id = %(tenant)s AND tokens_in IS NOT NULL
       AND started_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
"""


async def tokens_spent(
    pg: Connection, tenant_id: uuid.UUID, order_id: uuid.UUID
) -> tuple[int, int]:
    """Model tokens (in + out) recorded on attempts: by this work order, by the tenant today
    (UTC)."""
    cur = await pg.execute(TOKENS_SPENT, {"tenant": tenant_id, "order": order_id})
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def item_of(
    pg: Connection, *, item_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID] | None:
    """(item, order, tenant) of a work item by its id, or of a one-item order's only item;
    None when there is no such item (or the order has several)."""
    cur = await pg.execute(
        "SELECT id, work_order_id, tenant_id FROM work_items"
        " WHERE id = %(item)s OR work_order_id = %(order)s LIMIT 2",
        {"item": item_id, "order": order_id},
    )
    rows = await cur.fetchall()
    if len(rows) != 1:
        return None
    item, order, tenant = rows[0]
    return item, order, tenant


# -- Persister ----------------------------------------------------------------------------------


async def lock_record(pg: Connection, item_id: uuid.UUID) -> tuple[uuid.UUID, int, str] | None:
    """The item's record (id, version, content hash of that version), locked; None if none.

    Two statements on purpose: a statement that waited for the lock sees the locked row anew
    but anything it joins from its old snapshot, so the hash of a version written by the
    transaction it waited for would read as missing."""
    cur = await pg.execute(
        "SELECT id, version FROM records WHERE work_item_id = %s FOR UPDATE", (item_id,)
    )
    row = await cur.fetchone()
    if row is None:
        return None
    cur = await pg.execute(
        "SELECT content_hash FROM record_versions WHERE record_id = %s AND version = %s",
        (row[0], row[1]),
    )
    latest = await cur.fetchone()
    return row[0], row[1], "" if latest is None else latest[0]


_VERSION_AND_EVENT = f"""
, version AS (
    INSERT INTO record_versions
        (id, tenant_id, record_id, version, data, canonical, content_hash, source)
    VALUES (%(version_id)s, %(tenant)s, %(record)s, %(version)s, %(data)s, %(canonical)s,
            %(hash)s, %(source)s)
)
INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ({_outbox_placeholders()})
"""
NEW_RECORD = (
    """
WITH record AS (
    INSERT INTO records (id, tenant_id, work_item_id, document_type, version, data)
    VALUES (%(record)s, %(tenant)s, %(item)s, %(doc_type)s::work_item_type, %(version)s,
            %(data)s)
)"""
    + _VERSION_AND_EVENT
)
NEXT_VERSION = (
    """
WITH record AS (
    UPDATE records SET version = %(version)s, data = %(data)s, updated_at = now()
    WHERE id = %(record)s
)"""
    + _VERSION_AND_EVENT
)


async def write_record(
    pg: Connection,
    *,
    record_id: uuid.UUID,
    version: int,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    doc_type: str,
    data: dict[str, Any],
    canonical: dict[str, Any],
    content_hash: str,
    source: str,
    event: dict[str, Any],
) -> None:
    """Version 1 creates the record, a later version updates it; either way the version row
    and the ``record.persisted`` event are written by the same statement."""
    await pg.execute(
        NEW_RECORD if version == 1 else NEXT_VERSION,
        {
            "record": record_id,
            "version_id": uuid.uuid4(),
            "version": version,
            "tenant": tenant_id,
            "item": item_id,
            "doc_type": doc_type,
            "data": jsonb(data),
            "canonical": jsonb(canonical),
            "hash": content_hash,
            "source": source,
            **_outbox_values(event),
        },
    )


# -- Verifier -----------------------------------------------------------------------------------

SAVE_VERIFICATION = """
WITH replaced AS (
    DELETE FROM eval_results WHERE work_item_id = %(item)s AND evaluation_type = 'verifier'
)
INSERT INTO eval_results (id, tenant_id, work_item_id, evaluation_type, score, metrics, passed)
VALUES (%(id)s, %(tenant)s, %(item)s, 'verifier', %(score)s, %(metrics)s, %(passed)s)
"""


async def save_verification(
    pg: Connection,
    *,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    score: float,
    metrics: dict[str, Any],
    passed: bool,
) -> None:
    """Replace the item's verifier result (idempotent under retries)."""
    await pg.execute(
        SAVE_VERIFICATION,
        {
            "id": uuid.uuid4(),
            "tenant": tenant_id,
            "item": item_id,
            "score": score,
            "metrics": jsonb(metrics),
            "passed": passed,
        },
    )


# -- attempt rows -------------------------------------------------------------------------------

ATTEMPT_COLUMNS = (
    "id",
    "tenant_id",
    "work_item_id",
    "agent_id",
    "attempt_number",
    "status",
    "input",
    "started_at",
    "output",
    "error",
    "completed_at",
    "duration_ms",
    "model",
    "tokens_in",
    "tokens_out",
    "cost_usd",
)
INSERT_ATTEMPT = (
    f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) VALUES ("
    + ", ".join(
        "%(status)s::attempt_status" if c == "status" else f"%({c})s" for c in ATTEMPT_COLUMNS
    )
    + ")"
)
INSERT_EVENT = f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ({_outbox_placeholders('')})"


CLOSE_ORPHANS = """
UPDATE attempts SET status = 'TIMEOUT', error = 'worker lost before completion',
    completed_at = now()
WHERE work_item_id = %(item)s AND agent_id = %(agent)s AND status = 'STARTED'
"""
FINISH_ATTEMPT = (
    "UPDATE attempts SET status = %(status)s::attempt_status, "
    + ", ".join(f"{c} = %({c})s" for c in ATTEMPT_COLUMNS[8:])
    + " WHERE id = %(id)s"
)


def _attempt_values(attempt: dict[str, Any]) -> dict[str, Any]:
    values = {column: attempt.get(column) for column in ATTEMPT_COLUMNS}
    values.update(
        status=str(attempt["status"]),
        input=jsonb(attempt["input"]),
        output=jsonb(attempt.get("output")),
    )
    return values


async def start_attempt(pg: Connection, attempt: dict[str, Any]) -> None:
    """A regular (possibly long) activity's STARTED row; STARTED rows of the same item and
    agent left by a worker that died are closed as TIMEOUT first."""
    await pg.execute(CLOSE_ORPHANS, {"item": attempt["work_item_id"], "agent": attempt["agent_id"]})
    await pg.execute(INSERT_ATTEMPT, _attempt_values(attempt))


async def finish_attempt(pg: Connection, attempt: dict[str, Any], event: dict[str, Any]) -> None:
    """Complete a STARTED row (its status, output, error, usage) and record its event."""
    await pg.execute(FINISH_ATTEMPT, _attempt_values(attempt))
    await pg.execute(INSERT_EVENT, _outbox_values(event, ""))


async def insert_attempts(
    pg: Connection, rows: list[tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    """Finished attempt rows and their outbox events, all of them in two pipelined inserts."""
    attempts = [_attempt_values(attempt) for attempt, _ in rows]
    async with pg.cursor() as cur:
        await cur.executemany(INSERT_ATTEMPT, attempts)
        await cur.executemany(INSERT_EVENT, [_outbox_values(e, "") for _, e in rows])
