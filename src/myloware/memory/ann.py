"""A tenant's nearest CONTEXT docs: exact for a small tenant, the HNSW index for a big one.

The embedded PostgreSQL's pgvector (0.6) has one HNSW index over every tenant's docs and no
iterative index scan: a scan returns at most ``hnsw.ef_search`` rows (the nearest of *all*
tenants), and a tenant filter applied after it keeps only that tenant's share of them. And
the scan's cost grows with ``ef_search`` (measured: 2 ms at 40, 16 ms at 400, 29 ms at 1,000
on a busy 2-core machine), while an exact scan of a few hundred docs costs well under one. So
each look-up picks (see docs/memory.md, "The memory index"):

1. **Exact** for a tenant with at most :data:`EXACT_MAX` embedded docs (a bounded count on
   the tenant's partial index of them, migration 0015): the distance to each, through that
   index. Cheap by construction, and never misses. Also for a tenant too rare for the index
   (even :data:`MAX_EF` rows would hold too few of its docs) with at most
   :data:`RARE_EXACT_MAX` docs by the statistics (:func:`index_ef`).
2. **Approximate** otherwise: ``ef_search`` sized to the tenant's share of the table (from
   the planner's statistics: ``pg_stats`` keeps the most common ``tenant_id`` values and
   their frequencies) so that about :data:`OVERFETCH` × ``limit`` of its docs are among the
   rows the index returns — :data:`MAX_EF` when the share is not known (a tenant too new or
   too small for the statistics). Of those rows, the tenant's that pass the caller's filter
   (``pool``), the nearest ``limit``.
3. That answer is kept when it can be vouched for: ``limit`` docs passed, or the scan read
   the whole table, or it reached past ``max_distance`` (no doc of the tenant within the
   distance asked for can lie beyond it). Otherwise (a filter that keeps few of the
   tenant's docs, or a share the statistics overstated) the exact scan answers.

Every statement is scoped by the tenant; the other tenants' rows the index scan passes never
leave the statement.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from myloware.db.direct import Connection

#: a tenant with at most this many embedded docs is searched exactly (a few milliseconds)
EXACT_MAX = 1_000
#: the rows an index scan returns (``hnsw.ef_search``) at least (recall), and at most
#: (pgvector's largest)
MIN_EF, MAX_EF = 200, 1_000
#: how many times ``limit`` of the tenant's docs the index scan should return, on average
#: (8 before migration 0019's denser graph: at 1M the 9 % tenant's scan, ef 914, then took
#: 112 ms p95 for a recall of 0.99)
OVERFETCH = 6
#: a tenant too rare for even :data:`MAX_EF` rows to hold ``OVERFETCH`` × ``limit`` of its docs
#: is searched exactly while it has at most this many: the index scan would mostly come back
#: short and fall back to the exact scan anyway, after paying for itself (at 1M documents the
#: 1 % tenant's 10,000 docs: half its searches fell back, p95 98-139 ms)
RARE_EXACT_MAX = 25_000

#: the candidate CONTEXT docs (alias ``m``) of a tenant: embedded, of the caller's ``pool``
_POOL = "m.tenant_id = %(tenant)s AND m.type = 'CONTEXT' AND m.embedding IS NOT NULL"

# how many embedded docs the tenant has (up to EXACT_MAX + 1), its share of the table as the
# statistics have it (None when it is not among the most common values), and the table's rows
# as the planner estimates them
_SIZE = f"""
SELECT (
    SELECT count(*) FROM (SELECT 1 FROM mem_docs m WHERE {_POOL} LIMIT {EXACT_MAX + 1}) few
), (
    SELECT max(f.share) FROM pg_stats s
    CROSS JOIN LATERAL unnest(s.most_common_vals::text::uuid[], s.most_common_freqs)
        AS f(tenant, share)
    WHERE s.schemaname = current_schema() AND s.tablename = 'mem_docs'
      AND s.attname = 'tenant_id' AND f.tenant = %(tenant)s
), (
    SELECT c.reltuples FROM pg_class c WHERE c.oid = 'mem_docs'::regclass
)
"""
# the global nearest by the index (ordering by the distance operator, no other condition,
# is what lets the planner use it), counted and measured; then the tenant's that pass
_APPROXIMATE = """
WITH ann AS MATERIALIZED (
    SELECT a.id, a.embedding <=> %(vector)s::vector AS distance FROM mem_docs a
    ORDER BY a.embedding <=> %(vector)s::vector LIMIT {candidates}
), scanned AS (
    SELECT count(*) AS n, max(distance) AS far FROM ann
), hits AS (
    SELECT m.id, m.work_item_id, ann.distance FROM ann JOIN mem_docs m ON m.id = ann.id
    WHERE {pool}
    ORDER BY ann.distance LIMIT {limit}
)
SELECT scanned.n, scanned.far, hits.id, hits.work_item_id, hits.distance
FROM scanned LEFT JOIN hits ON true ORDER BY hits.distance
"""
# every doc of the tenant in the pool; OFFSET 0 keeps the planner from ordering the inner
# query by the HNSW index (which would starve the tenant again)
_EXACT = """
SELECT id, work_item_id, embedding <=> %(vector)s::vector AS distance FROM (
    SELECT m.id, m.work_item_id, m.embedding FROM mem_docs m WHERE {pool} OFFSET 0
) pool
ORDER BY distance LIMIT {limit}
"""


@dataclass(frozen=True)
class Near:
    """A CONTEXT doc near the vector asked about."""

    doc_id: uuid.UUID
    work_item_id: uuid.UUID
    distance: float  # cosine distance: 1 - similarity

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance


@dataclass(frozen=True)
class Found:
    """The nearest docs, and whether the exact scan had to find them."""

    near: list[Near]
    exact: bool
    ef: int = 0  # the index scan's hnsw.ef_search; 0: none ran


def ef_for(share: float | None, limit: int) -> int:
    """``hnsw.ef_search`` for a tenant holding ``share`` of the table (None: not known)."""
    if share is None or share <= 0:
        return MAX_EF
    return max(MIN_EF, min(MAX_EF, math.ceil(limit * OVERFETCH / share)))


def index_ef(few: int, share: float | None, rows: float | None, limit: int) -> int:
    """``hnsw.ef_search`` for the index scan, or 0 for the exact scan: a tenant with at most
    :data:`EXACT_MAX` docs (``few``: counted up to one more), or one too rare for the index
    (:data:`RARE_EXACT_MAX`) — its share times the table's ``rows``."""
    if few <= EXACT_MAX:
        return 0
    if share and rows and rows > 0 and limit * OVERFETCH / share > MAX_EF:
        if share * rows <= RARE_EXACT_MAX:
            return 0
    return ef_for(share, limit)


def vouched(
    rows: int, limit: int, scanned: int, ef: int, far: float | None, max_distance: float
) -> bool:
    """Whether the index scan's answer is the tenant's own nearest: enough rows passed, the
    scan read the whole table, or it reached beyond the farthest distance wanted."""
    if rows >= limit or scanned < ef:
        return True
    return far is not None and far > max_distance


async def nearest_docs(
    pg: Connection,
    *,
    tenant_id: uuid.UUID,
    vector: str,
    limit: int,
    pool: str = "true",
    params: dict[str, Any] | None = None,
    max_distance: float = 2.0,
    exact: bool = False,
    ef_search: int | None = None,
) -> Found:
    """The tenant's ``limit`` CONTEXT docs nearest ``vector`` (pgvector text) that satisfy
    ``pool`` (SQL over ``mem_docs m`` with ``params``; our own text, never input), the
    nearest first; none farther than ``max_distance``. ``exact``: skip the index (what
    benchmarks and checks compare it with); ``ef_search``: the index scan's size instead of
    the one the tenant's share calls for (a benchmark's sweep). Runs in the caller's
    transaction."""
    limit = int(limit)
    if limit <= 0:
        return Found([], exact=False)
    where = f"{_POOL} AND ({pool}) AND m.embedding <=> %(vector)s::vector <= %(max_distance)s"
    args = {**(params or {}), "tenant": tenant_id, "vector": vector, "max_distance": max_distance}
    ef = 0
    if not exact:
        cur = await pg.execute(_SIZE, {"tenant": tenant_id})
        size = await cur.fetchone()
        few, share, rows = (int(size[0]), size[1], size[2]) if size else (0, None, None)
        ef = index_ef(few, share, rows, limit) if ef_search is None else ef_search
        if ef:
            near, scanned, far = await _approximate(pg, where, args, limit, ef)
            if vouched(len(near), limit, scanned, ef, far, max_distance):
                return Found(near, exact=False, ef=ef)
    cur = await pg.execute(_EXACT.format(pool=where, limit=limit), args)
    return Found([Near(r[0], r[1], float(r[2])) for r in await cur.fetchall()], True, ef)


async def _approximate(
    pg: Connection, where: str, args: dict[str, Any], limit: int, ef: int
) -> tuple[list[Near], int, float | None]:
    """The index scan's answer, how many rows it returned, and the farthest of them."""
    await pg.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
    cur = await pg.execute(_APPROXIMATE.format(candidates=ef, pool=where, limit=limit), args)
    rows = await cur.fetchall()
    near = [Near(r[2], r[3], float(r[4])) for r in rows if r[2] is not None]
    return near, int(rows[0][0]), rows[0][1]


#: the docs found, as the relation ``near(id, work_item_id, similarity)`` for a statement
#: that reads their details (with :func:`near_params`)
NEAR = """SELECT * FROM unnest(
    %(near_ids)s::uuid[], %(near_items)s::uuid[], %(near_similarities)s::float8[]
) AS near(id, work_item_id, similarity)"""


def near_params(found: Found) -> dict[str, Any]:
    return {
        "near_ids": [n.doc_id for n in found.near],
        "near_items": [n.work_item_id for n in found.near],
        "near_similarities": [n.similarity for n in found.near],
    }
