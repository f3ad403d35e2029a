"""Learning's look-ups against PostgreSQL: one indexed statement finds the approvals sharing
any exact key a record has; a document matched by a key needs no embedding; the similarity
look-up stores the embedding it computed; and the worker's small caches."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from myloware.contracts import ItemRef
from myloware.db import hot_sql
from myloware.db.direct import jsonb, transaction
from myloware.db.engine import create_engine
from myloware.documents.model import LoadedDocument
from myloware.extraction.learned import keys_of
from myloware.memory import Embedder
from myloware.memory.caches import ApprovedTypes, RecentVectors
from myloware.memory.lessons import LESSONS_BY_NAME, lessons_by_key, lessons_by_key_sql
from myloware.memory.related import RelatedMemory
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.settings import Settings
from tests.test_memory_store import remembered

TAX_ID = "DE 123-456-789"
IBAN = "DE89 3704 0044 0532 0130 00"
TEXT = "Initech GmbH\nInvoice 7 for consulting services in March\nTotal EUR 120.00"


@pytest.fixture
async def engine(clean_db: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(clean_db, pool_size=2)
    yield eng
    await eng.dispose()


async def _with(engine: AsyncEngine, item: uuid.UUID, **values: Any) -> uuid.UUID:
    async with transaction(engine) as pg:
        await pg.execute(
            "UPDATE records SET data = data || %s WHERE work_item_id = %s", (jsonb(values), item)
        )
    return item


async def _ref(engine: AsyncEngine, tenant: uuid.UUID, item: uuid.UUID) -> ItemRef:
    async with transaction(engine) as pg:
        cur = await pg.execute("SELECT work_order_id FROM work_items WHERE id = %s", (item,))
        row = await cur.fetchone()
    assert row is not None
    return ItemRef(work_item_id=item, work_order_id=row[0], tenant_id=tenant)


async def _embedding(engine: AsyncEngine, item: uuid.UUID) -> tuple[str | None, Any]:
    async with transaction(engine) as pg:
        cur = await pg.execute(
            "SELECT embedding::text, metadata FROM mem_docs WHERE work_item_id = %s", (item,)
        )
        row = await cur.fetchone()
    assert row is not None
    return row[0], row[1]


def _invoice(**values: str) -> CanonicalRecord:
    return CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={k: FieldValue(value=v, confidence=0.9) for k, v in values.items()},
    )


async def test_one_statement_finds_the_approvals_of_every_key_a_record_has(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID]
) -> None:
    """Approved, not forgotten records of the tenant and type sharing the tax id or the IBAN
    (folded), each once, the tax id's first; the look-up can use the key indexes."""
    acme, globex = tenants["acme"], tenants["globex"]
    older = await _with(engine, await remembered(engine, acme, None), vendor_tax_id=TAX_ID)
    both = await _with(
        engine, await remembered(engine, acme, None), vendor_tax_id="de123456789", iban=IBAN
    )
    by_iban = await _with(engine, await remembered(engine, acme, None), iban=IBAN.lower())
    await _with(engine, await remembered(engine, globex, None), vendor_tax_id=TAX_ID)
    await _with(engine, await remembered(engine, acme, None, status="FAILED"), vendor_tax_id=TAX_ID)
    await _with(
        engine, await remembered(engine, acme, None, doc_type="TICKET"), vendor_tax_id=TAX_ID
    )
    forgotten = await _with(engine, await remembered(engine, acme, None), vendor_tax_id=TAX_ID)
    async with transaction(engine) as pg:
        await pg.execute(
            "UPDATE mem_docs SET metadata = metadata || %s WHERE work_item_id = %s",
            (jsonb({"forgotten": {"by": "admin"}}), forgotten),
        )
    this = await _ref(engine, acme, await remembered(engine, acme, None, status="PROCESSING"))
    keys = keys_of({"vendor_tax_id": TAX_ID, "iban": IBAN})

    async with transaction(engine) as pg:
        found = await lessons_by_key(pg, this, "INVOICE", keys)
    assert [(x.work_item_id, x.matched_by) for x in found] == [
        (str(both), "vendor_tax_id"),
        (str(older), "vendor_tax_id"),
        (str(by_iban), "iban"),
    ]
    params = {"tenant": acme, "item": this.work_item_id, "doc_type": "INVOICE", **keys}
    plan = await _plan_over_many_records(engine, params, lessons_by_key_sql(list(keys)))
    assert "ix_records_key_vendor_tax_id" in plan and "ix_records_key_iban" in plan


async def test_a_key_match_needs_no_embedding_and_similarity_stores_the_one_it_computes(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID], settings: Settings
) -> None:
    """A document whose key matches learns from those approvals without an embedding; one
    without a key is compared by similarity, and its embedding is stored for the indexer;
    a tenant without approvals of the type pays for neither."""
    acme, globex = tenants["acme"], tenants["globex"]
    vector = Embedder().embed_one(TEXT)
    taught = await _with(
        engine, await remembered(engine, acme, vector, vendor="Initech"), vendor_tax_id=TAX_ID
    )
    memory = RelatedMemory(engine, settings.model_copy(update={"memory_learning": True}))
    doc = LoadedDocument.from_text(TEXT)

    keyed = await _ref(engine, acme, await remembered(engine, acme, None, status="PROCESSING"))
    lessons = await memory.lessons_for(keyed, doc, _invoice(vendor_tax_id=TAX_ID))
    assert [(x.work_item_id, x.matched_by) for x in lessons] == [(str(taught), "vendor_tax_id")]
    assert (await _embedding(engine, keyed.work_item_id))[0] is None

    keyless = await _ref(engine, acme, await remembered(engine, acme, None, status="PROCESSING"))
    lessons = await memory.lessons_for(keyless, doc, _invoice(vendor_name="Initech GmbH"))
    assert [(x.work_item_id, x.matched_by) for x in lessons] == [(str(taught), "similarity")]
    assert lessons[0].similarity > 0.99
    stored, metadata = await _embedding(engine, keyless.work_item_id)
    assert stored is not None and metadata["embedding_model"] == Embedder.model_id

    other = await _ref(engine, globex, await remembered(engine, globex, None, status="PROCESSING"))
    assert await memory.lessons_for(other, doc, _invoice(vendor_name="Initech GmbH")) == []
    assert (await _embedding(engine, other.work_item_id))[0] is None


async def test_without_a_key_the_vendor_name_as_read_finds_its_approvals_too(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID], settings: Settings
) -> None:
    """A document with no key read and no similar approval still finds the approvals of the
    vendor name it reads (lower case, trimmed; the tenant's, of the type, not forgotten), as
    weak lessons — also with no embedder at all."""
    acme, globex = tenants["acme"], tenants["globex"]
    named = await _with(engine, await remembered(engine, acme, None), vendor_name=" Initech GmbH")
    await _with(engine, await remembered(engine, globex, None), vendor_name="Initech GmbH")
    await _with(engine, await remembered(engine, acme, None), vendor_name="Initech AG")
    ticket = await remembered(engine, acme, None, doc_type="TICKET")
    await _with(engine, ticket, vendor_name="Initech GmbH")
    forgotten = await _with(
        engine, await remembered(engine, acme, None), vendor_name="Initech GmbH"
    )
    async with transaction(engine) as pg:
        await pg.execute(
            "UPDATE mem_docs SET metadata = metadata || %s WHERE work_item_id = %s",
            (jsonb({"forgotten": {"by": "admin"}}), forgotten),
        )
    this = await _ref(engine, acme, await remembered(engine, acme, None, status="PROCESSING"))
    plain = settings.model_copy(update={"memory_learning": True, "memory_embeddings": "off"})
    memory = RelatedMemory(engine, plain)
    doc = LoadedDocument.from_text(TEXT)
    lessons = await memory.lessons_for(this, doc, _invoice(vendor_name="INITECH GMBH "))
    assert [(x.work_item_id, x.matched_by, x.strong) for x in lessons] == [
        (str(named), "vendor_name", False)
    ]
    assert await memory.lessons_for(this, doc, _invoice(vendor_name="Init")) == []  # too short
    params = {"tenant": acme, "item": this.work_item_id, "doc_type": "INVOICE"}
    plan = await _plan_over_many_records(
        engine, {**params, "vendor": "initech gmbh"}, LESSONS_BY_NAME
    )
    assert "ix_records_vendor_name" in plan, plan  # an index probe, as the key look-ups


def test_a_tenant_known_to_have_approvals_is_remembered_for_a_while() -> None:
    """Only a yes is kept, per tenant and type, until its time runs out."""
    now = [0.0]
    cache = ApprovedTypes(ttl_s=10.0, clock=lambda: now[0])
    acme, globex = uuid.uuid4(), uuid.uuid4()
    assert not cache.has(acme, "INVOICE")
    cache.add(acme, "INVOICE")
    cache.add(globex, "INVOICE")
    assert cache.has(acme, "INVOICE") and not cache.has(acme, "TICKET")
    now[0] = 9.9
    assert cache.has(acme, "INVOICE") and cache.has(globex, "INVOICE")
    now[0] = 10.0
    assert not cache.has(acme, "INVOICE") and not cache.has(globex, "INVOICE")


def test_recent_vectors_keep_the_newest_few() -> None:
    """The oldest embedding leaves when the cache is full."""
    cache = RecentVectors(size=2)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cache.put(first, "[1]")
    cache.put(second, "[2]")
    cache.put(third, "[3]")
    assert (cache.get(first), cache.get(second), cache.get(third)) == (None, "[2]", "[3]")


async def test_was_this_vendor_approved_reads_the_name_and_tax_id_indexes(
    engine: AsyncEngine, tenants: dict[str, uuid.UUID]
) -> None:
    """The policy's "known vendor" look-up is answered by the partial indexes on the name
    (0018) and the tax id (0015), not by a scan of the tenant's records (2 s per document
    at 600,000 of them), and still finds an approved vendor by either."""
    acme = tenants["acme"]
    by_name = await remembered(engine, acme, None)
    await _with(engine, by_name, vendor_name="  Initech GmbH ")
    by_tax = await remembered(engine, acme, None)
    await _with(engine, by_tax, vendor_name="Initech Deutschland", vendor_tax_id=TAX_ID)
    this = await remembered(engine, acme, None, status="PROCESSING")
    tax = "de123456789"
    async with transaction(engine) as pg:
        assert await hot_sql.known_vendor(pg, tenant_id=acme, vendor="initech gmbh", item_id=this)
        assert await hot_sql.known_vendor(
            pg, tenant_id=acme, vendor="someone else", item_id=this, tax_id=tax
        )
        assert not await hot_sql.known_vendor(
            pg, tenant_id=acme, vendor="someone else", item_id=this, tax_id="xx1"
        )
    plan = await _plan_over_many_records(
        engine, {"tenant": acme, "vendor": "initech gmbh", "item": this, "tax_id": tax}
    )
    assert "ix_records_vendor_name" in plan and "ix_records_key_vendor_tax_id" in plan, plan


class _RolledBack(Exception):
    """Ends a transaction whose rows must not stay."""


FILLER = """
WITH items AS (
    INSERT INTO work_items
    SELECT (jsonb_populate_record(NULL::work_items, to_jsonb(w) || jsonb_build_object(
        'id', gen_random_uuid(), 'created_at', now() - g * interval '1 minute'))).*
    FROM (SELECT * FROM work_items WHERE tenant_id = %(tenant)s AND status = 'COMPLETED'
          ORDER BY created_at LIMIT 1) AS w, generate_series(1, %(rows)s) AS g
    RETURNING id
)
INSERT INTO records (id, tenant_id, work_item_id, document_type, version, data)
SELECT gen_random_uuid(), %(tenant)s, id, 'INVOICE', 1,
       jsonb_build_object('vendor_name', 'Filler ' || n, 'vendor_tax_id', 'XX' || n,
                          'iban', 'XX00' || n, 'sender_email', n || '@filler.example')
FROM (SELECT id, row_number() OVER () AS n FROM items) AS i
"""


async def _plan_over_many_records(
    engine: AsyncEngine, params: dict[str, Any], sql: str = hot_sql.KNOWN_VENDOR
) -> str:
    """``sql``'s plan once the tenant has 5,000 more completed items with records of other
    vendors (analysed), in a transaction that is rolled back. Over a test's handful of rows
    every plan costs about the same and the planner's pick turns on what earlier tests left
    in the tables' pages; over thousands the expression indexes are chosen, as they are
    over 600,000 records."""
    plan = ""
    try:
        async with transaction(engine) as pg:
            filled = await pg.execute(FILLER, {"tenant": params["tenant"], "rows": 5_000})
            assert filled.rowcount == 5_000, "the tenant needs a completed item to copy"
            await pg.execute("ANALYZE records, work_items")
            cur = await pg.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in await cur.fetchall())
            raise _RolledBack
    except _RolledBack:
        pass
    async with transaction(engine) as pg:  # the rows did not stay
        cur = await pg.execute(
            "SELECT count(*) FROM records WHERE data ->> 'vendor_name' LIKE %s", ("Filler %",)
        )
        assert (await cur.fetchone()) == (0,)
    return plan
