"""Memory: the embedder, the indexer (off the hot path), search by meaning through the API,
tenant isolation, and the related approved records the model extractor is shown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import structlog.testing
from sqlalchemy import select

from myloware.db.engine import create_engine, session_factory
from myloware.db.models import MemDoc
from myloware.memory import Embedder, EmbeddingUnavailable
from myloware.memory.embedder import packaged_model, verified
from myloware.memory.indexer import MemoryIndexer
from myloware.memory.store import vector_literal
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import app_client, items_of, wait_for_order
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.ui_support import bearer, sign_in

TICKET = """Subject: VPN drops every ten minutes
From: Dana Whitfield <dana@example.org>

Since this morning my VPN connection drops every ten minutes and I lose my remote desktop
session. Please help, I cannot work like this.
"""
OTHER_INVOICE = TEXT_INVOICE.replace("INV-2024-0042", "INV-2024-0107").replace(
    "Toner cartridge", "Stapler        "
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    model = Embedder()
    model.load()
    return model


def test_embeddings_are_unit_vectors_that_put_like_texts_together(embedder: Embedder) -> None:
    a, b, c, empty = embedder.embed(
        [
            "Invoice from ACME Corp, total 120.00 USD",
            "ACME Corporation bill, amount due $120",
            "The printer on floor 3 is jammed again",
            "",
        ]
    )
    for v in (a, b, c, empty):
        assert v.shape == (384,) and v.dtype == np.float32
        assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)
    assert float(a @ b) > 0.7  # the same thing in other words
    assert float(a @ c) < 0.2  # something else
    # the model and tokenizer are the pinned ones: a fixed text gives a fixed vector
    assert [round(float(x), 3) for x in a[:4]] == [-0.105, 0.027, -0.029, 0.01]


def test_a_text_is_embedded_by_its_first_128_tokens(embedder: Embedder) -> None:
    head = "Invoice from ACME Office Supplies for paper and toner. " * 12
    same, longer = embedder.embed([head, head + " unrelated tail words" * 200])
    assert float(same @ longer) == pytest.approx(1.0, abs=1e-5)


def test_a_model_file_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(EmbeddingUnavailable, match="is not all-MiniLM-L6-v2-onnx-int8"):
        Embedder(fake).load()
    with pytest.raises(EmbeddingUnavailable, match="no embedding model at"):
        Embedder(tmp_path / "missing.onnx").load()
    assert verified(packaged_model().parent).name == "model.onnx"  # a directory holding it
    assert verified(packaged_model()) == packaged_model()  # the installed file is the pinned one


async def _submit(
    client: httpx.AsyncClient, headers: dict[str, str], *texts: str
) -> list[dict[str, Any]]:
    r = await client.post(
        "/v1/work-orders",
        json={"work_items": [{"content": t} for t in texts]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    order = await wait_for_order(client, r.json()["data"]["id"], headers)
    return await items_of(client, order["id"], headers)


async def _index_all(database_url: str, embedder: Embedder) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        indexer = MemoryIndexer(engine, embedder, batch=2, quiet_s=0)  # several batches
        total = 0
        while done := await indexer.index_once():
            total += done
        return total
    finally:
        await engine.dispose()


async def test_documents_are_found_by_meaning_and_only_by_their_tenant(
    stack: httpx.AsyncClient, database_url: str, token_for: TokenFor, embedder: Embedder
) -> None:
    acme, globex = token_for("acme"), token_for("globex")
    items = await _submit(stack, acme, TEXT_INVOICE, OTHER_INVOICE, TICKET)
    by_text = {i["content"]: i for i in items}
    invoice, other, ticket = (by_text[t] for t in (TEXT_INVOICE, OTHER_INVOICE, TICKET))
    # RecordGen wrote the CONTEXT docs without embeddings; nothing is searchable yet
    r = await stack.get("/v1/memory/search", params={"q": "VPN keeps disconnecting"}, headers=acme)
    assert r.status_code == 200 and r.json()["data"] == []
    ui = await sign_in(stack, bearer(acme))
    page = await stack.get(f"/ui/work-items/{invoice['id']}", headers=ui)
    assert "Similar documents" in page.text and "Not indexed yet" in page.text

    assert await _index_all(database_url, embedder) == 3
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session:
        docs = (await session.scalars(select(MemDoc))).all()
    await engine.dispose()
    assert {d.metadata_["embedding_model"] for d in docs} == {"all-MiniLM-L6-v2-onnx-int8"}

    r = await stack.get("/v1/memory/search", params={"q": "VPN keeps disconnecting"}, headers=acme)
    hits = r.json()["data"]
    assert len(hits) == 3 and hits[0]["work_item_id"] == ticket["id"]
    assert hits[0]["document_type"] == "TICKET" and hits[0]["status"] == "COMPLETED"
    assert hits[0]["snippet"].startswith("Subject: VPN drops every ten minutes")
    assert hits[0]["similarity"] > hits[-1]["similarity"]

    r = await stack.get(
        "/v1/memory/search",
        params={"q": "office supplies invoice", "document_type": "INVOICE", "limit": 1},
        headers=acme,
    )
    [top] = r.json()["data"]
    assert top["work_item_id"] in {invoice["id"], other["id"]}

    r = await stack.get(f"/v1/work-items/{invoice['id']}/similar", headers=acme)
    similar = r.json()["data"]
    assert [h["work_item_id"] for h in similar] == [other["id"]]  # same type, not itself
    assert similar[0]["similarity"] > 0.9
    page = await stack.get(f"/ui/work-items/{invoice['id']}", headers=ui)
    assert f'href="/ui/work-items/{other["id"]}"' in page.text  # the Run Trace links it
    assert "Not indexed yet" not in page.text

    # the UI's search page: the same answer, linked to the Run Trace
    page = await stack.get("/ui/search", params={"q": "VPN keeps disconnecting"}, headers=ui)
    assert page.status_code == 200
    assert page.text.index(f"/ui/work-items/{ticket['id']}") < page.text.index(
        f"/ui/work-items/{invoice['id']}"
    )
    blank = await stack.get("/ui/search", headers=ui)
    assert "Search your documents by what they say" in blank.text
    tickets_only = await stack.get(
        "/ui/search", params={"q": "office supplies", "type": "TICKET"}, headers=ui
    )
    assert f"/ui/work-items/{invoice['id']}" not in tickets_only.text

    # another tenant sees none of it
    r = await stack.get("/v1/memory/search", params={"q": "VPN"}, headers=globex)
    assert r.json()["data"] == []
    r = await stack.get(f"/v1/work-items/{invoice['id']}/similar", headers=globex)
    assert r.status_code == 404


async def test_search_input_is_checked_and_off_means_503(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    off = settings.model_copy(update={"memory_embeddings": "off"})
    async with app_client(
        off, database_url=database_url, redis_url=clean_redis, temporal_address=temporal_address
    ) as client:
        headers = token_for("acme")
        r = await client.get("/v1/memory/search", params={"q": "x"}, headers=headers)
        assert r.status_code == 503
        assert "MYLOWARE_MEMORY_EMBEDDINGS=off" in r.json()["error"]["message"]
        bad: tuple[dict[str, str | int], ...] = (
            {},
            {"q": ""},
            {"q": "  \n"},
            {"q": "x", "limit": 0},
            {"q": "x", "document_type": "X"},
        )
        for params in bad:
            r = await client.get("/v1/memory/search", params=params, headers=headers)
            assert r.status_code == 422, params
        r = await client.get("/v1/memory/search", params={"q": "x"})
        assert r.status_code == 401
        ui = await sign_in(client, bearer(headers))
        page = await client.get("/ui/search", params={"q": "x"}, headers=ui)
        assert page.status_code == 503 and "MYLOWARE_MEMORY_EMBEDDINGS=off" in page.text


async def test_the_indexer_stops_saying_why_when_the_model_cannot_load(
    stack: httpx.AsyncClient, database_url: str, token_for: TokenFor, tmp_path: Path
) -> None:
    await _submit(stack, token_for("acme"), TICKET)  # one doc waits for an embedding
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"garbage")
    engine = create_engine(database_url, pool_size=1)
    try:
        with structlog.testing.capture_logs() as events:
            await asyncio.wait_for(
                MemoryIndexer(engine, Embedder(fake)).run(asyncio.Event()), timeout=30
            )
    finally:
        await engine.dispose()
    [disabled] = [e for e in events if e["event"] == "memory_indexer_disabled"]
    assert disabled["log_level"] == "error" and "is not all-MiniLM" in disabled["error"]


def test_vectors_travel_in_pgvectors_text_form_without_loss(embedder: Embedder) -> None:
    vector = embedder.embed_one("a receipt")
    literal = vector_literal(vector)
    assert literal.startswith("[") and literal.endswith("]") and literal.count(",") == 383
    back = np.array([float(x) for x in literal[1:-1].split(",")], dtype=np.float32)
    assert np.array_equal(back, vector)  # float32 survives the text form exactly
