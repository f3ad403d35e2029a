"""A tenant's nearest CONTEXT docs: the HNSW index first, an exact scan when it cannot vouch.

The embedded PostgreSQL's pgvector (0.6) has one HNSW index over every tenant's docs and no
iterative index scan: a scan returns at most ``hnsw.ef_search`` rows (the nearest of *all*
tenants), and a tenant filter applied after it keeps only that tenant's share of them. So
each look-up is two steps (see docs/memory.md, "The memory index"):

1. **Approximate**: the :data:`ANN_CANDIDATES` nearest docs of the whole table by the index
   (``hnsw.ef_search`` raised to match, for this transaction only), then those of the
   tenant that pass the caller's filter (``pool``), the nearest ``limit``. That answer is
   the tenant's own nearest whenever it can be vouched for: ``limit`` docs passed, or the
   scan reached every doc in the table, or it reached past ``max_distance`` (no doc of the
   tenant within the distance asked for can lie beyond it).
2. **Exact**, only otherwise: the distance to every doc of the tenant in the pool, read
   through the tenant's partial index (migration 0015). That is a tenant whose share of the
   table is below ``limit / ANN_CANDIDATES`` (or whose docs passing the filter are): few docs
   by construction, ``limit × table / ANN_CANDIDATES`` at most, so this stays a few
   milliseconds while the index serves the tenants that have many.

Every statement is scoped by the tenant; the other tenants' rows the index scan passes never
leave the statement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from myloware.db.direct import Connection

#: rows the index scan returns (``hnsw.ef_search``; pgvector's largest is 1,000). A tenant
#: holding a share ``s`` of the table finds ~``s × ANN_CANDIDATES`` of its docs among them.
ANN_CANDIDATES = 400

#: the candidate CONTEXT docs (alias ``m``) of a tenant: embedded, of the caller's ``pool``
_POOL = "m.tenant_id = %(tenant)s AND m.type = 'CONTEXT' AND m.embedding IS NOT NULL"

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


def vouched(rows: int, limit: int, scanned: int, far: float | None, max_distance: float) -> bool:
    """Whether the index scan's answer is the tenant's own nearest: enough rows passed, the
    scan read the whole table, or it reached beyond the farthest distance wanted."""
    if rows >= limit or scanned < ANN_CANDIDATES:
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
) -> Found:
    """The tenant's ``limit`` CONTEXT docs nearest ``vector`` (pgvector text) that satisfy
    ``pool`` (SQL over ``mem_docs m`` with ``params``; our own text, never input), the
    nearest first; none farther than ``max_distance``. ``exact``: skip the index (what
    benchmarks and checks compare it with). Runs in the caller's transaction."""
    limit = int(limit)
    if limit <= 0:
        return Found([], exact=False)
    where = f"{_POOL} AND ({pool}) AND m.embedding <=> %(vector)s::vector <= %(max_distance)s"
    args = {**(params or {}), "tenant": tenant_id, "vector": vector, "max_distance": max_distance}
    if not exact:
        await pg.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ANN_CANDIDATES),))
        cur = await pg.execute(
            _APPROXIMATE.format(candidates=ANN_CANDIDATES, pool=where, limit=limit), args
        )
        rows = await cur.fetchall()
        scanned, far = int(rows[0][0]), rows[0][1]
        near = [Near(r[2], r[3], float(r[4])) for r in rows if r[2] is not None]
        if vouched(len(near), limit, scanned, far, max_distance):
            return Found(near, exact=False)
    cur = await pg.execute(_EXACT.format(pool=where, limit=limit), args)
    return Found([Near(r[0], r[1], float(r[2])) for r in await cur.fetchall()], exact=True)


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
