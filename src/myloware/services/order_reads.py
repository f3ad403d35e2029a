"""The reads the API serves most — the work-order list (filtered or not), one order, one
order's items — as plain SQL on an autocommit connection (:func:`myloware.db.direct.autocommit`).

Profiled under load at 10k documents (docs/benchmarks.md, "The API's CPU per request"), the
ORM session around these one-statement reads cost more CPU than everything else in the
request: the session, the statement's construction and compilation, the ORM objects and
``BEGIN``/``ROLLBACK``. Here each read is one prepared statement and one round trip (the
API's and the UI's order list; the writes use :mod:`myloware.services.work_orders`): rows
shaped for :class:`~myloware.services.schemas.WorkOrderOut` and
:class:`~myloware.services.schemas.WorkItemOut`, scoped by tenant (a foreign id is not found).
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from psycopg.rows import dict_row

from myloware.db.base import Priority, WorkOrderStatus
from myloware.db.direct import Connection
from myloware.errors import NotFoundError

Row = dict[str, Any]

ORDER_COLUMNS = (
    "id, status, priority, metadata AS metadata_, created_at, updated_at, workflow_id, "
    "tenant_id, created_by"
)
ITEM_COLUMNS = (
    "id, work_order_id, type, content, filename, media_type, status, result, error, "
    "created_at, started_at, processed_at"
)


def _where(status: bool, priority: bool) -> str:
    # one statement per combination of filters, each with its own (prepared) plan
    return (
        "tenant_id = %(tenant_id)s"
        + (" AND status = %(status)s::work_order_status" if status else "")
        + (" AND priority = %(priority)s::priority" if priority else "")
    )


#: the list's total counts at most this many matching orders: counting all of a tenant's
#: 600,000 orders cost ~45 ms at 1M documents, every page; past the cap the page says
#: ``total_exact: false`` (at least ``total`` match)
COUNT_CAP = 10_000


def _page(where: str) -> tuple[str, str]:
    count = (
        f"SELECT count(*) FROM (SELECT 1 FROM work_orders WHERE {where} "
        "LIMIT %(count_limit)s) AS matching"
    )
    # the total rides along as an uncorrelated scalar subquery (PostgreSQL computes it once)
    page = (
        f"SELECT {ORDER_COLUMNS}, ({count}) AS total FROM work_orders WHERE {where} "
        "ORDER BY created_at DESC, id LIMIT %(limit)s OFFSET %(offset)s"
    )
    return page, count


_PAGES = {
    (status, priority): _page(_where(status, priority))
    for status in (False, True)
    for priority in (False, True)
}
_ONE = f"SELECT {ORDER_COLUMNS} FROM work_orders WHERE id = %(id)s AND tenant_id = %(tenant_id)s"
_ITEMS = (
    f"SELECT {ITEM_COLUMNS} FROM work_items "
    "WHERE work_order_id = %(id)s AND tenant_id = %(tenant_id)s ORDER BY position"
)
_EXISTS = "SELECT 1 FROM work_orders WHERE id = %(id)s AND tenant_id = %(tenant_id)s"


async def _rows(pg: Connection, sql: str, params: dict[str, Any]) -> list[Row]:
    async with pg.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall()


async def list_orders(
    pg: Connection,
    *,
    tenant_id: uuid.UUID,
    status: WorkOrderStatus | None = None,
    priority: Priority | None = None,
    limit: int = 20,
    offset: int = 0,
) -> OrderPage:
    """A page of the tenant's orders, the newest first, and how many match in all (up to
    :data:`COUNT_CAP`)."""
    cap = COUNT_CAP
    params = {
        "tenant_id": tenant_id,
        "status": None if status is None else status.value,
        "priority": None if priority is None else priority.value,
        "limit": limit,
        "offset": offset,
        "count_limit": cap + 1,
    }
    page, count = _PAGES[status is not None, priority is not None]
    rows = await _rows(pg, page, params)
    if rows:
        counted = int(rows[0]["total"])
    else:  # past the end: no row carries the total
        counted = int((await _rows(pg, count, params))[0]["count"])
    return OrderPage(rows, min(counted, cap), counted <= cap)


class OrderPage(NamedTuple):
    """A page of orders; ``total`` is exact when ``exact``, else at least that many match."""

    rows: list[Row]
    total: int
    exact: bool


async def get_order(pg: Connection, *, tenant_id: uuid.UUID, work_order_id: uuid.UUID) -> Row:
    """One of the tenant's orders; NotFoundError for none."""
    rows = await _rows(pg, _ONE, {"id": work_order_id, "tenant_id": tenant_id})
    if not rows:
        raise NotFoundError(f"work order {work_order_id} not found")
    return rows[0]


async def list_items(
    pg: Connection, *, tenant_id: uuid.UUID, work_order_id: uuid.UUID
) -> list[Row]:
    """The items of one of the tenant's orders in their order; NotFoundError for no order."""
    params = {"id": work_order_id, "tenant_id": tenant_id}
    items = await _rows(pg, _ITEMS, params)
    if not items and not await _rows(pg, _EXISTS, params):
        raise NotFoundError(f"work order {work_order_id} not found")
    return items
