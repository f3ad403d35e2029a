"""A database of N processed documents for :mod:`benchmarks.scale`, bulk-loaded with COPY.

Each document is what the pipeline leaves behind: a one-item work order (COMPLETED), its
item with a short synthetic text and result, its record, one Attempt per pipeline stage,
two outbox events (published), and its CONTEXT memory doc with a 384-dimension embedding.
One document in ten was approved by a person (an ApprovalEvent); one in a hundred still
waits (AWAITING_APPROVAL, a PENDING approval request). Four tenants of unequal size
(:data:`TENANT_SHARES`). Types: four in five invoices, the rest tickets.

Embeddings are synthetic but shaped like real ones: documents cluster around their
sender (:data:`SENDERS` senders shared by all tenants, picked with a Zipf-like skew), about
0.9 cosine to the sender's centre, so every tenant's documents lie among the others'. The
HNSW index is dropped for the load and built afterwards (its build time is reported), as an
operator would for a bulk import.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psutil
import psycopg
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

from myloware.agents.names import PIPELINE
from myloware.db.models.governance import EMBEDDING_DIM

#: (name, share of the documents): the stack's own tenant is the first
TENANT_SHARES = (("big", 0.60), ("mid", 0.30), ("small", 0.09), ("tiny", 0.01))
SENDERS = 5_000
#: noise per coordinate around a sender's centre (≈ 0.9 cosine to it)
SPREAD = 0.025
CHUNK = 20_000
BULK_MAX_WAL = "8GB"
HNSW = "ix_mem_docs_embedding_hnsw"
#: pgvector's text form of an embedding in one C-level format (five times faster than its
#: dumper's per-float ``str``, which took a third of the load); 8 digits, as a float4 holds
VECTOR_TEXT = "[" + ",".join(["%.8g"] * EMBEDDING_DIM) + "]"


@dataclass
class Tenant:
    name: str
    id: uuid.UUID
    documents: int
    #: per document, in load order: its ids, type, whether approved, and its embedding
    orders: list[uuid.UUID] = field(default_factory=list)
    items: list[uuid.UUID] = field(default_factory=list)
    docs: list[uuid.UUID] = field(default_factory=list)
    tickets: list[bool] = field(default_factory=list)
    waiting: list[bool] = field(default_factory=list)
    senders: list[int] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, EMBEDDING_DIM), np.float32))


@dataclass
class Loaded:
    """Seconds per loading step, and rows written per table."""

    seconds: dict[str, float]
    rows: dict[str, int]
    #: how it was loaded: foreign-key triggers during COPY, the index build's memory
    settings: dict[str, str] = field(default_factory=dict)


def sender_centres(rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((SENDERS, EMBEDDING_DIM)).astype(np.float32)
    normed: np.ndarray = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    return normed


def around(rng: np.random.Generator, centres: np.ndarray, senders: np.ndarray) -> np.ndarray:
    """A unit vector near each sender's centre."""
    noise = rng.standard_normal((len(senders), EMBEDDING_DIM)).astype(np.float32)
    rows = centres[senders] + SPREAD * noise
    normed: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return normed


def pick_senders(rng: np.random.Generator, n: int) -> np.ndarray:
    """Senders with a Zipf-like skew: a few send much, most send little."""
    weights = 1.0 / np.arange(1, SENDERS + 1) ** 0.8
    picked: np.ndarray = rng.choice(SENDERS, size=n, p=weights / weights.sum())
    return picked


def _text(sender: int, n: int, ticket: bool) -> str:
    if ticket:
        return f"Ticket from customer{sender}@example.com\nSubject: order {n} did not arrive\n"
    return (
        f"SENDER {sender} TRADING SDN BHD\nNo. {sender % 97} Jalan {sender}, Kuala Lumpur\n"
        f"Receipt {n}\nTotal 12.{n % 100:02d}\n"
    )


def _rows(t: Tenant, start: int, end: int, now: datetime) -> Iterator[dict[str, Any]]:
    for i in range(start, end):
        created = now - timedelta(seconds=(t.documents - i) * 30)
        ticket, waiting, sender = t.tickets[i], t.waiting[i], t.senders[i]
        yield {
            "order": t.orders[i],
            "item": t.items[i],
            "doc": t.docs[i],
            "created": created,
            "type": "TICKET" if ticket else "INVOICE",
            "status": "AWAITING_APPROVAL" if waiting else "COMPLETED",
            "text": _text(sender, i, ticket),
            "data": {"customer_email": f"customer{sender}@example.com"}
            if ticket
            else {"vendor_name": f"SENDER {sender} TRADING SDN BHD", "total_amount": "12.00"},
            "approved": i % 10 == 0 and not waiting,
        }


def _copy(cur: psycopg.Cursor[Any], statement: str) -> AbstractContextManager[psycopg.Copy]:
    """A COPY whose rows a thread sends while the next ones are built: PostgreSQL's half
    of the load overlaps Python's."""
    return cur.copy(statement, writer=QueuedLibpqWriter(cur))


def _copy_documents(cur: psycopg.Cursor[Any], t: Tenant, start: int, end: int) -> None:
    now = datetime.now(UTC)
    rows = list(_rows(t, start, end, now))
    passed = Jsonb({"verification": {"score": 1.0, "passed": True}})
    with _copy(
        cur,
        "COPY work_orders (id, tenant_id, status, priority, metadata, workflow_id, created_by,"
        " created_at, updated_at) FROM STDIN",
    ) as copy:
        for r in rows:
            status = "AWAITING_APPROVAL" if r["status"] == "AWAITING_APPROVAL" else "COMPLETED"
            priority = ("LOW", "MEDIUM", "MEDIUM", "HIGH")[hash(r["order"]) % 4]
            copy.write_row(
                (
                    r["order"],
                    t.id,
                    status,
                    priority,
                    Jsonb({}),
                    f"work-order-{r['order']}",
                    "scale",
                    r["created"],
                    r["created"],
                )
            )
    with _copy(
        cur,
        "COPY work_items (id, tenant_id, work_order_id, position, type, content, status, result,"
        " created_at, processed_at) FROM STDIN",
    ) as copy:
        for r in rows:
            copy.write_row(
                (
                    r["item"],
                    t.id,
                    r["order"],
                    0,
                    r["type"],
                    r["text"],
                    r["status"],
                    passed,
                    r["created"],
                    r["created"],
                )
            )
    with _copy(
        cur,
        "COPY records (id, tenant_id, work_item_id, document_type, version, data, created_at,"
        " updated_at) FROM STDIN",
    ) as copy:
        for r in rows:
            data = Jsonb(r["data"])
            copy.write_row(
                (uuid.uuid4(), t.id, r["item"], r["type"], 1, data, r["created"], r["created"])
            )
    with _copy(
        cur,
        "COPY attempts (id, tenant_id, work_item_id, agent_id, attempt_number, status, input,"
        " output, started_at, completed_at, duration_ms) FROM STDIN",
    ) as copy:
        for r in rows:
            for agent in PIPELINE:
                copy.write_row(
                    (
                        uuid.uuid4(),
                        t.id,
                        r["item"],
                        str(agent),
                        1,
                        "COMPLETED",
                        Jsonb({"item": str(r["item"])}),
                        Jsonb({"ok": True}),
                        r["created"],
                        r["created"],
                        40,
                    )
                )
    with _copy(
        cur,
        "COPY outbox (event_id, tenant_id, event_type, aggregate_type, aggregate_id, payload,"
        " created_at, published_at) FROM STDIN",
    ) as copy:
        for r in rows:
            for event in ("work_item.completed", "work_order.completed"):
                copy.write_row(
                    (
                        uuid.uuid4(),
                        t.id,
                        event,
                        "work_item",
                        r["item"],
                        Jsonb({}),
                        r["created"],
                        r["created"],
                    )
                )
    with _copy(
        cur,
        "COPY approval_events (id, tenant_id, work_item_id, approver_id, decision, timestamp,"
        " policy_version) FROM STDIN",
    ) as copy:
        for r in rows:
            if r["approved"]:
                copy.write_row(
                    (
                        uuid.uuid4(),
                        t.id,
                        r["item"],
                        "reviewer@example.com",
                        "APPROVED",
                        r["created"],
                        "1",
                    )
                )
    with _copy(
        cur,
        "COPY approval_requests (id, tenant_id, work_item_id, workflow_id, status, policy_name,"
        " policy_version, approver_group, tier, sla_seconds, due_at, reasons, created_at)"
        " FROM STDIN",
    ) as copy:
        for r in rows:
            if r["status"] == "AWAITING_APPROVAL":
                copy.write_row(
                    (
                        uuid.uuid4(),
                        t.id,
                        r["item"],
                        f"work-order-{r['order']}",
                        "PENDING",
                        "default",
                        "1",
                        "reviewers",
                        1,
                        86_400,
                        r["created"] + timedelta(days=1),
                        Jsonb({"cause": {"reason": "New vendor"}}),
                        r["created"],
                    )
                )
    with _copy(
        cur,
        "COPY mem_docs (id, tenant_id, work_item_id, type, content, embedding, metadata,"
        " created_at, last_accessed) FROM STDIN",
    ) as copy:
        model = Jsonb({"embedding_model": "synthetic"})
        for n, r in enumerate(rows):
            copy.write_row(
                (
                    r["doc"],
                    t.id,
                    r["item"],
                    "CONTEXT",
                    r["text"],
                    VECTOR_TEXT % tuple(t.vectors[start + n].tolist()),
                    model,
                    r["created"],
                    r["created"],
                )
            )


def plan_tenants(
    documents: int, tenant_ids: list[uuid.UUID], seed: int = 7
) -> tuple[list[Tenant], np.ndarray]:
    """Who holds which documents, their types and embeddings (nothing written yet)."""
    rng = np.random.default_rng(seed)
    centres = sender_centres(rng)
    tenants = []
    for (name, share), tid in zip(TENANT_SHARES, tenant_ids, strict=True):
        n = max(3, round(documents * share))
        senders = pick_senders(rng, n)
        t = Tenant(name, tid, n)
        t.orders = [uuid.uuid4() for _ in range(n)]
        t.items = [uuid.uuid4() for _ in range(n)]
        t.docs = [uuid.uuid4() for _ in range(n)]
        t.tickets = list(rng.random(n) < 0.2)
        t.waiting = [i % 100 == 50 for i in range(n)]
        t.senders = [int(s) for s in senders]
        t.vectors = around(rng, centres, senders)
        tenants.append(t)
    return tenants, centres


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL (``postgresql+psycopg://``) as plain psycopg takes it."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def create_tenants(database_url: str, first: uuid.UUID) -> list[uuid.UUID]:
    """The stack's tenant plus one per further share."""
    ids = [first]
    with psycopg.connect(libpq_url(database_url), autocommit=True) as pg:
        for name, _ in TENANT_SHARES[1:]:
            tid = uuid.uuid4()
            pg.execute(
                "INSERT INTO tenants (id, slug, name) VALUES (%s, %s, %s)",
                (tid, f"scale-{name}", f"Scale {name}"),
            )
            ids.append(tid)
    return ids


def index_build_memory() -> str:
    """``maintenance_work_mem`` for the HNSW build: a quarter of this machine's memory,
    between 1 and 8 GB. The graph of 1M 384-dimension vectors needs ~3 GB; one that does
    not fit spills to disk and builds several times slower (pgvector's notice)."""
    quarter = psutil.virtual_memory().total // 4 // 2**20
    return f"{min(8 * 1024, max(1024, quarter))}MB"


def _bulk_session(pg: psycopg.Connection[Any]) -> str:
    """What an operator's bulk import sets: no per-row foreign-key triggers (the rows are
    consistent by construction, as ``pg_restore --disable-triggers`` assumes), no wait
    for each chunk's WAL flush, checkpoints spaced by :data:`BULK_MAX_WAL` of WAL (the
    embedded server keeps that setting). Needs a superuser (the embedded stack's); without one the
    load runs with the triggers."""
    pg.execute("SET synchronous_commit = off")
    try:
        pg.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        return "on"
    # checkpoints every few seconds at the default 1 GB (the server's log said so at 1M)
    pg.execute(f"ALTER SYSTEM SET max_wal_size = '{BULK_MAX_WAL}'")
    pg.execute("SELECT pg_reload_conf()")
    return "off"


def _index_definition(pg: psycopg.Connection[Any]) -> str:
    """The memory index as the migrations define it (its build parameters included), to be
    built again once the rows are in."""
    row = pg.execute("SELECT pg_get_indexdef(to_regclass(%s))", (HNSW,)).fetchone()
    if row is None or row[0] is None:  # gone (a load that died before rebuilding it)
        return f"CREATE INDEX {HNSW} ON mem_docs USING hnsw (embedding vector_cosine_ops)"
    return str(row[0])


#: the machine counts as settled once its CPU stays under this share for :data:`IDLE_WINDOW_S`
IDLE_CPU_PERCENT = 15.0
IDLE_WINDOW_S = 5.0


def settle(database_url: str, limit_s: float = 300.0) -> dict[str, float]:
    """After a bulk load: write out what it left dirty (a ``CHECKPOINT``, then the kernel's
    page cache), and wait until the machine is idle, at most ``limit_s`` (0: no wait), so the
    measurements that follow do not share the machine with the load's write-back. The
    seconds each took and the CPU share the wait ended at (0 when it did not wait)."""
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    with psycopg.connect(libpq_url(database_url), autocommit=True) as pg:
        try:
            pg.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:  # not a superuser: the server's own
            pass
    seconds["checkpoint_s"] = time.perf_counter() - began
    began = time.perf_counter()
    os.sync()
    seconds["sync_s"] = time.perf_counter() - began
    began = time.perf_counter()
    busy = psutil.cpu_percent(interval=IDLE_WINDOW_S) if limit_s > 0 else 0.0
    while busy >= IDLE_CPU_PERCENT and time.perf_counter() - began < limit_s:
        busy = psutil.cpu_percent(interval=IDLE_WINDOW_S)
    seconds["idle_wait_s"] = time.perf_counter() - began
    seconds = {k: round(v, 1) for k, v in seconds.items()}
    return {**seconds, "cpu_percent_at_end": busy}


def load(database_url: str, tenants: list[Tenant]) -> Loaded:
    """COPY every tenant's documents in chunks (one transaction each), interleaved so the
    tables' physical order mixes tenants as live traffic would; then build the HNSW index
    (in memory: :func:`index_build_memory`) and ANALYZE."""
    seconds: dict[str, float] = {}
    with psycopg.connect(libpq_url(database_url), autocommit=True) as pg:
        triggers = _bulk_session(pg)
        index = _index_definition(pg)
        pg.execute(f"DROP INDEX IF EXISTS {HNSW}")
        began = time.perf_counter()
        cursors = {t.name: 0 for t in tenants}
        while any(cursors[t.name] < t.documents for t in tenants):
            for t in tenants:
                start = cursors[t.name]
                if start >= t.documents:
                    continue
                end = min(
                    t.documents,
                    start + max(1, round(CHUNK * t.documents / sum(x.documents for x in tenants))),
                )
                with pg.transaction(), pg.cursor() as cur:
                    _copy_documents(cur, t, start, end)
                cursors[t.name] = end
        seconds["copy"] = time.perf_counter() - began
        began = time.perf_counter()
        pg.execute("SET session_replication_role = DEFAULT")
        build_memory = index_build_memory()
        pg.execute(f"SET maintenance_work_mem = '{build_memory}'")
        pg.execute(index)
        seconds["hnsw_build"] = time.perf_counter() - began
        began = time.perf_counter()
        pg.execute("VACUUM ANALYZE")
        seconds["vacuum_analyze"] = time.perf_counter() - began
    n = sum(t.documents for t in tenants)
    rows = {
        "documents": n,
        "attempts": n * len(PIPELINE),
        "outbox": 2 * n,
        "approval_events": sum(
            sum(1 for i in range(t.documents) if i % 10 == 0 and not t.waiting[i]) for t in tenants
        ),
        "approval_requests": sum(sum(t.waiting) for t in tenants),
    }
    settings = {
        "fk_triggers_during_copy": triggers,
        "maintenance_work_mem": build_memory,
        "index": index,
    }
    return Loaded({k: round(v, 2) for k, v in seconds.items()}, rows, settings)
