"""Lessons from approvals in PostgreSQL: the tenant's approved records that match a new one.

An approved record is the record of a ``COMPLETED`` item whose Verifier check passed (auto-
approved, or approved by a person with their corrections: ``records.data`` holds the values
as approved), whose CONTEXT memory doc is not marked forgotten (``metadata.forgotten``, set
by ``DELETE /v1/memory/lessons/{work_item_id}``). Two ways to match, always within the
tenant and the document type:

- :func:`lessons_by_key` — an exact key (tax id, IBAN, e-mail; compared as
  :func:`myloware.extraction.learned.key_of` does: lower case, letters and digits only):
  one statement for all the keys a record has, each an index probe (migration 0015);
- :func:`lessons_by_similarity` — the nearest CONTEXT embeddings, by the HNSW index or
  exactly where it cannot vouch for its answer (:mod:`myloware.memory.ann`); it also stores
  an embedding the worker computed, so the indexer need not;
- :func:`lessons_by_name` — the vendor name as read, lower case and trimmed (an index probe
  of ``ix_records_vendor_name``, migration 0018): a weak match, since names repeat across
  branches and owners (:attr:`myloware.extraction.learned.Lesson.strong`).

Each lesson says whose approval it was: the last person who approved the item, and when
(none for an auto-approved item), and the document's file name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from myloware.contracts import ItemRef
from myloware.db.direct import Connection
from myloware.db.models.work import RECORD_KEY_SQL, VENDOR_NAME_SQL
from myloware.extraction.learned import BY_NAME, KEY_FIELDS, Lesson
from myloware.memory.ann import NEAR, near_params
from myloware.memory.store import approved_near, save_context_embedding

#: the nearest approved records a document is compared with
LESSON_NEIGHBOURS = 5
#: the newest approvals of one exact key looked at (enough for a vote)
KEY_LIMIT = 20

_APPROVED = """
    w.tenant_id = %(tenant)s AND w.id <> %(item)s AND w.status = 'COMPLETED'
    AND w.type = %(doc_type)s::work_item_type
    AND (w.result -> 'verification' ->> 'passed')::boolean IS TRUE
    AND NOT EXISTS (
        SELECT 1 FROM mem_docs f
        WHERE f.work_item_id = w.id AND f.tenant_id = w.tenant_id AND f.metadata ? 'forgotten'
    )
"""
_WHO = """
LEFT JOIN LATERAL (
    SELECT e.approver_id, e.timestamp FROM approval_events e
    WHERE e.work_item_id = w.id AND e.tenant_id = w.tenant_id AND e.decision = 'APPROVED'
    ORDER BY e.timestamp DESC LIMIT 1
) a ON true
"""


async def any_approved(pg: Connection, ref: ItemRef, document_type: str) -> bool:
    """Whether the tenant has any approved record of the type to learn from (a tenant with
    none pays for no embedding)."""
    cur = await pg.execute(
        f"SELECT EXISTS (SELECT 1 FROM work_items w WHERE {_APPROVED})",
        {"tenant": ref.tenant_id, "item": ref.work_item_id, "doc_type": document_type},
    )
    row = await cur.fetchone()
    return bool(row and row[0])


def _key_branch(name: str) -> str:
    """The approved records sharing one key: an index probe of ``ix_records_key_<name>``."""
    assert name in KEY_FIELDS  # a field name from our own list, never from input
    return f"""(
        SELECT '{name}', w.id, w.filename, r.data, a.approver_id, a.timestamp, r.created_at
        FROM records r
        JOIN work_items w ON w.id = r.work_item_id AND w.tenant_id = r.tenant_id
        {_WHO}
        WHERE r.tenant_id = %(tenant)s AND r.data ? '{name}'
          AND {RECORD_KEY_SQL[name].format(data="r.data")} = %({name})s AND {_APPROVED}
        ORDER BY r.created_at DESC LIMIT {KEY_LIMIT}
    )"""


def lessons_by_key_sql(names: Sequence[str]) -> str:
    """The statement :func:`lessons_by_key` runs for records having the keys ``names``."""
    return "\nUNION ALL\n".join(_key_branch(name) for name in names)


def _lesson(row: Any, similarity: float, matched_by: str) -> Lesson:
    approved_at: datetime | None = row[4] or row[5]
    return Lesson(
        work_item_id=str(row[0]),
        document=row[1],
        values=row[2],
        approved_by=row[3],
        approved_at=approved_at,
        similarity=similarity,
        matched_by=matched_by,
    )


async def lessons_by_key(
    pg: Connection, ref: ItemRef, document_type: str, keys: dict[str, str]
) -> list[Lesson]:
    """Approved records of the tenant sharing one of ``keys`` (field → folded key), newest
    first, up to :data:`KEY_LIMIT` a key, in the order of :data:`KEY_FIELDS` (a record
    matching two keys counts once, for the first) — one statement, one index probe a key."""
    names = [name for name in KEY_FIELDS if name in keys]
    if not names:
        return []
    cur = await pg.execute(
        lessons_by_key_sql(names),
        {
            "tenant": ref.tenant_id,
            "item": ref.work_item_id,
            "doc_type": document_type,
            **{name: keys[name] for name in names},
        },
    )
    by_key: dict[str, list[Any]] = {name: [] for name in names}
    for row in await cur.fetchall():
        by_key[row[0]].append(row[1:])
    found: list[Lesson] = []
    seen: set[str] = set()
    for name in names:
        for row in by_key[name]:
            if str(row[0]) not in seen:
                seen.add(str(row[0]))
                found.append(_lesson(row, 1.0, name))
    return found


LESSONS_BY_NAME = f"""
SELECT w.id, w.filename, r.data, a.approver_id, a.timestamp, r.created_at
FROM records r
JOIN work_items w ON w.id = r.work_item_id AND w.tenant_id = r.tenant_id
{_WHO}
WHERE r.tenant_id = %(tenant)s AND r.data ? 'vendor_name'
  AND {VENDOR_NAME_SQL.format(data="r.data")} = %(vendor)s AND {_APPROVED}
ORDER BY r.created_at DESC LIMIT {KEY_LIMIT}
"""


async def lessons_by_name(
    pg: Connection, ref: ItemRef, document_type: str, vendor: str
) -> list[Lesson]:
    """Approved records of the tenant whose vendor name is ``vendor`` (lower case, trimmed:
    :func:`myloware.extraction.learned.name_key`), newest first, up to :data:`KEY_LIMIT`."""
    cur = await pg.execute(
        LESSONS_BY_NAME,
        {
            "tenant": ref.tenant_id,
            "item": ref.work_item_id,
            "doc_type": document_type,
            "vendor": vendor,
        },
    )
    return [_lesson(row, 0.0, BY_NAME) for row in await cur.fetchall()]


LESSONS_BY_SIMILARITY = f"""
WITH near AS ({NEAR})
SELECT w.id, w.filename, r.data, a.approver_id, a.timestamp, r.created_at, near.similarity
FROM near
JOIN work_items w ON w.id = near.work_item_id AND w.tenant_id = %(tenant)s
JOIN records r ON r.work_item_id = w.id AND r.tenant_id = w.tenant_id
{_WHO}
ORDER BY near.similarity DESC
"""


async def lessons_by_similarity(
    pg: Connection,
    ref: ItemRef,
    document_type: str,
    vector: str,
    *,
    limit: int,
    min_similarity: float,
    save_model: str | None = None,
) -> list[Lesson]:
    """The approved records of the tenant's ``limit`` nearest documents of the type, at
    least ``min_similarity`` alike, the nearest first. ``save_model``: ``vector`` was just
    computed by that model, and is stored as the document's embedding too."""
    if save_model is not None:  # the indexer need not compute it again
        await save_context_embedding(pg, ref.tenant_id, ref.work_item_id, vector, save_model)
    found = await approved_near(
        pg,
        ref.tenant_id,
        ref.work_item_id,
        document_type,
        vector,
        limit=limit,
        min_similarity=min_similarity,
    )
    if not found.near:
        return []
    cur = await pg.execute(LESSONS_BY_SIMILARITY, {"tenant": ref.tenant_id, **near_params(found)})
    return [_lesson(row, float(row[6]), "similarity") for row in await cur.fetchall()]
