"""The memory index at more docs than one index scan returns: a tenant's nearest docs come
from the HNSW index when it can vouch for them and from an exact scan otherwise — right
neighbours, never another tenant's, and a small tenant beside a big one is not starved."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from myloware.db.direct import transaction
from myloware.db.engine import create_engine, session_factory
from myloware.memory.ann import (
    EXACT_MAX,
    MAX_EF,
    MIN_EF,
    RARE_EXACT_MAX,
    ef_for,
    index_ef,
    nearest_docs,
    vouched,
)
from myloware.memory.store import vector_literal
from myloware.services.memory import nearest
from tests.worker_support import stored_item

DIM = 384
HNSW = "ix_mem_docs_embedding_hnsw"
rng = np.random.default_rng(20261206)


def unit_rows(center: np.ndarray, n: int, spread: float) -> np.ndarray:
    """``n`` unit vectors scattered around ``center``."""
    rows = center + spread * rng.standard_normal((n, DIM)).astype(np.float32)
    normed: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return normed


@pytest.fixture
async def engine(clean_db: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(clean_db, pool_size=2)
    yield eng
    await eng.dispose()


async def docs(
    engine: AsyncEngine, tenant: uuid.UUID, vectors: np.ndarray, content: str = "x"
) -> tuple[uuid.UUID, dict[uuid.UUID, int]]:
    """One CONTEXT doc a vector (its text ``content``), all of one work item of the tenant:
    the item, and each doc's row in ``vectors`` by its id.

    The rows go in with the HNSW index set aside and rebuilt, in one transaction (a failure
    rolls the drop back): pgvector builds the graph of a thousand rows in a tenth of the time
    it takes to grow it row by row (1.3 s against 10.8 s here), and the tests are about the
    look-ups, not about how the graph was built."""
    ref = await stored_item(session_factory(engine), tenant, "many documents")
    ids = [uuid.uuid4() for _ in vectors]
    async with transaction(engine) as pg, pg.cursor() as cur:
        await cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (HNSW,))
        row = await cur.fetchone()
        assert row is not None, f"{HNSW} is missing"
        await cur.execute(f"DROP INDEX {HNSW}")
        await cur.executemany(
            "INSERT INTO mem_docs (id, tenant_id, work_item_id, type, content, embedding) "
            "VALUES (%s, %s, %s, 'CONTEXT', %s, %s::vector)",
            [
                (i, tenant, ref.work_item_id, content, vector_literal(v))
                for i, v in zip(ids, vectors, strict=True)
            ],
        )
        await cur.execute(row[0])
    return ref.work_item_id, {doc: n for n, doc in enumerate(ids)}


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(1.0 - vectors @ query, kind="stable")[:k]]


async def analyze(engine: AsyncEngine) -> None:
    """Fresh statistics: the tenants' shares of the table, as autovacuum would keep them."""
    async with transaction(engine) as pg:
        await pg.execute("ANALYZE mem_docs")


async def test_a_small_tenant_beside_a_big_one_gets_its_own_nearest_exactly(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID]
) -> None:
    """Another tenant's docs are all nearer and would fill any index scan; the small
    tenant is searched exactly, and gets its true nearest five."""
    acme, globex = tenants["acme"], tenants["globex"]
    query = unit_rows(rng.standard_normal(DIM).astype(np.float32), 1, 0.0)[0]
    crowd = unit_rows(query, 1_200, 0.02)  # all nearer than acme's docs
    await docs(engine, globex, crowd)
    small = unit_rows(query, 12, 0.08)
    acme_item, acme_docs = await docs(engine, acme, small)
    await analyze(engine)
    async with transaction(engine) as pg:
        found = await nearest_docs(pg, tenant_id=acme, vector=vector_literal(query), limit=5)
    assert found.exact and found.ef == 0  # exact by its size: no index scan ran
    assert [acme_docs[n.doc_id] for n in found.near] == exact_top(small, query, 5)
    async with session_factory(engine)() as session:
        hits = await nearest(session, tenant_id=acme, vector=query.tolist(), limit=5)
    assert [h.similarity for h in hits] == [round(n.similarity, 4) for n in found.near]
    assert {h.work_item_id for h in hits} == {acme_item}


async def test_a_big_tenant_is_served_by_the_index_with_its_true_neighbours(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID]
) -> None:
    """With docs of its own among the index scan's rows, a tenant's answer is the index's,
    it agrees with exact search, and holds none of the other tenant's docs."""
    acme, globex = tenants["acme"], tenants["globex"]
    # topics that share a common direction, as documents of one kind do, each spread as
    # documents of one topic are (about 0.85 alike to its centre, 0.65 to another topic's).
    # Islands far tighter than documents ever are (0.999 alike within, 0.67 between) left
    # HNSW's graph without a way into one of them now and then: recall 0 for every query of
    # that island in two suite runs (docs/memory.md, "The memory index")
    common = rng.standard_normal(DIM).astype(np.float32)
    centers = common + 0.7 * rng.standard_normal((20, DIM)).astype(np.float32)
    big = np.vstack([unit_rows(c, 60, 0.5) for c in centers])
    other = np.vstack([unit_rows(c, 30, 0.5) for c in centers])
    _, big_docs = await docs(engine, acme, big)
    _, other_docs = await docs(engine, globex, other)
    assert len(big_docs) > EXACT_MAX
    await analyze(engine)
    recall: list[float] = []
    for query in unit_rows(centers[0], 5, 0.05):
        async with transaction(engine) as pg:
            found = await nearest_docs(pg, tenant_id=acme, vector=vector_literal(query), limit=10)
        assert not found.exact and found.ef == MIN_EF  # two thirds of the table: the least ef
        assert not {n.doc_id for n in found.near} & set(other_docs)
        got = {big_docs[n.doc_id] for n in found.near}
        recall.append(len(got & set(exact_top(big, query, 10))) / 10)
    assert min(recall) >= 0.9


async def test_a_filter_that_keeps_few_of_a_big_tenants_docs_falls_back_to_exact(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID]
) -> None:
    """Too few of the rows the index returned pass the caller's filter: the exact scan
    finds the three that do, however far they lie."""
    acme = tenants["acme"]
    query = unit_rows(rng.standard_normal(DIM).astype(np.float32), 1, 0.0)[0]
    await docs(engine, acme, unit_rows(query, EXACT_MAX + 100, 0.02))
    _, rare = await docs(engine, acme, unit_rows(query, 3, 0.2), content="rare")
    await analyze(engine)
    async with transaction(engine) as pg:
        found = await nearest_docs(
            pg,
            tenant_id=acme,
            vector=vector_literal(query),
            limit=3,
            pool="m.content = %(wanted)s",
            params={"wanted": "rare"},
        )
    assert found.exact and found.ef > 0  # the index ran first, and could not vouch
    assert {n.doc_id for n in found.near} == set(rare)


async def test_the_index_scan_is_what_the_planner_runs(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID]
) -> None:
    """The approximate step reads the HNSW index, not the whole table."""
    await docs(engine, tenants["acme"], unit_rows(np.ones(DIM, np.float32), 1_000, 1.0))
    async with transaction(engine) as pg:
        await pg.execute("ANALYZE mem_docs")
        cur = await pg.execute(
            f"EXPLAIN SELECT id FROM mem_docs ORDER BY embedding <=> %s::vector LIMIT {MIN_EF}",
            (vector_literal(np.ones(DIM)),),
        )
        plan = "\n".join(row[0] for row in await cur.fetchall())
    assert HNSW in plan, plan


def test_the_index_answer_is_vouched_for_only_when_nothing_can_lie_beyond_it() -> None:
    """Enough rows, the whole table read, or a scan that reached past the distance asked
    for vouch for the answer; a full scan of near rows short of the limit does not."""
    assert vouched(5, 5, 400, 400, 0.1, 2.0)
    assert vouched(0, 5, 399, 400, 0.1, 2.0)
    assert vouched(1, 5, 400, 400, 0.25, 0.2)
    assert not vouched(1, 5, 400, 400, 0.15, 0.2)
    assert not vouched(4, 5, 400, 400, 0.5, 2.0)


def test_the_index_scan_returns_a_few_times_the_tenants_share_of_what_is_asked() -> None:
    """ef_search is sized so ~6 × limit of the tenant's docs come back, within pgvector's
    bounds; an unknown share gets the most."""
    assert ef_for(0.6, 10) == MIN_EF
    assert ef_for(0.1, 10) == 600
    assert ef_for(0.001, 10) == MAX_EF
    assert ef_for(None, 10) == MAX_EF


def test_a_tenant_too_rare_for_the_index_is_searched_exactly_while_that_is_cheap() -> None:
    """Few docs: exact. A 1 % tenant of a million (10,000 docs; even 1,000 index rows would
    hold ~10 of them, fewer than 6 × 10): exact, as the index would fall back anyway. The
    same share of a hundred million: the index, at its largest. A share the statistics do
    not know: the index at its largest, the exact scan only as its fallback."""
    assert index_ef(EXACT_MAX, 0.5, 1e6, 10) == 0
    assert index_ef(EXACT_MAX + 1, 0.6, 1e6, 10) == MIN_EF
    assert index_ef(EXACT_MAX + 1, 0.01, 1e6, 10) == 0
    assert 0.01 * 1e6 <= RARE_EXACT_MAX < 0.01 * 1e8
    assert index_ef(EXACT_MAX + 1, 0.01, 1e8, 10) == MAX_EF
    assert index_ef(EXACT_MAX + 1, 0.01, 1e6, 1) == ef_for(0.01, 1) == 600  # 1 × 6 / 1 % fits
    assert index_ef(EXACT_MAX + 1, None, 1e6, 10) == MAX_EF
    assert index_ef(EXACT_MAX + 1, 0.01, -1.0, 10) == MAX_EF  # never analysed: no estimate
