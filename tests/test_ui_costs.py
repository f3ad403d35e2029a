"""The reviewer's cockpit on the real app: model cost per stage, item, order, day and model,
each stage's input and output, and extraction accuracy per dataset and extractor.

The work is real (an order submitted through the API, stored in the embedded PostgreSQL);
its attempts and evaluation results are written as the attempt recorder and ``myloware eval
--via-api`` write them, on chosen days, so every sum can be checked to the cent.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.base import AttemptStatus
from myloware.db.models import Attempt, EvalResult
from tests.auth_support import TokenFor
from tests.pipeline_support import AppClient, items_of
from tests.ui_support import bearer, sign_in

TODAY = datetime.now(UTC).date()
EARLIER = TODAY - timedelta(days=2)
SECRET = "xoxb-secret-bot-token-1234"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _attempt(item: dict[str, Any], tenant: uuid.UUID, agent: str, day: date, **kw: Any) -> Attempt:
    return Attempt(
        id=uuid.uuid4(),
        tenant_id=tenant,
        work_item_id=uuid.UUID(item["id"]),
        agent_id=agent,
        attempt_number=kw.pop("number", 1),
        status=kw.pop("status", AttemptStatus.COMPLETED),
        input=kw.pop("input", {"item": {"work_item_id": item["id"]}}),
        started_at=_at(day, 0) + timedelta(minutes=kw.pop("minute", 1)),
        duration_ms=kw.pop("ms", 120),
        **kw,
    )


HYBRID = {
    "record": {
        "document_type": "INVOICE",
        "extractor": "hybrid:openai",
        "fields": {
            "vendor_name": {"value": "<b>Acme</b> & Co", "confidence": 0.8},
            "total_amount": {"value": "60.00", "confidence": 0.95},
        },
    },
    "from_model": ["vendor_name"],
    "usage": {"model": "gpt-4o-mini", "tokens_in": 900, "tokens_out": 80, "cost_usd": 0.000183},
}


async def _submit(
    api: AppClient, headers: dict[str, str], texts: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    r = await api.post(
        "/v1/work-orders",
        json={
            "work_items": [{"content": t, "filename": f"doc{n}.txt"} for n, t in enumerate(texts)]
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    order_id = r.json()["data"]["id"]
    return order_id, await items_of(api, order_id, headers)


async def _traced_order(
    api: AppClient,
    headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
) -> tuple[str, list[dict[str, Any]]]:
    """An order of two items: the first ran a hybrid extraction twice (a retry) two days ago and
    a model call today; the second asked no model."""
    order_id, items = await _submit(api, headers, ["Invoice A total 60.00", "Invoice B"])
    first, second = items
    rows = [
        _attempt(first, tenant, "RecordGen", EARLIER, input={"bot_token": SECRET, "n": 1}),
        _attempt(first, tenant, "ExtractorLLM", EARLIER, minute=2, status=AttemptStatus.FAILED),
        _attempt(
            first,
            tenant,
            "ExtractorLLM",
            EARLIER,
            minute=3,
            number=2,
            output=HYBRID,
            model="gpt-4o-mini",
            tokens_in=900,
            tokens_out=80,
            cost_usd=Decimal("0.000183"),
        ),
        _attempt(
            first,
            tenant,
            "Verifier",
            TODAY,
            model="claude-haiku-4-5",
            tokens_in=1000,
            tokens_out=200,
            cost_usd=Decimal("0.002000"),
        ),
        _attempt(second, tenant, "RecordGen", TODAY),
    ]
    async with sessions() as session, session.begin():
        session.add_all(rows)
    return order_id, items


def _money(text: str) -> str:
    """The page's text: tags dropped, entities read, white space collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


async def test_costs_are_summed_per_day_model_and_order_and_scoped_to_the_tenant(
    api: AppClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """GET /v1/costs sums the tenant's attempts per UTC day (idle days at zero), per model and
    per order; another tenant sees none of it."""
    headers = token_for("acme")
    order_id, _ = await _traced_order(api, headers, sessions, tenants["acme"])
    since = (TODAY - timedelta(days=3)).isoformat()
    r = await api.get(f"/v1/costs?from={since}&to={TODAY.isoformat()}", headers=headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["from"], data["to"]) == (since, TODAY.isoformat())
    total = data["total"]
    assert (total["runs"], total["model_calls"], total["retries"]) == (5, 2, 1)
    assert (total["tokens_in"], total["tokens_out"]) == (1900, 280)
    assert Decimal(str(total["cost_usd"])) == Decimal("0.002183")
    days = {d["day"]: d for d in data["days"]}
    assert len(days) == 4  # every day of the period
    assert Decimal(str(days[EARLIER.isoformat()]["cost_usd"])) == Decimal("0.000183")
    assert days[EARLIER.isoformat()]["runs"] == 3
    assert days[(TODAY - timedelta(days=1)).isoformat()]["runs"] == 0
    assert Decimal(str(days[TODAY.isoformat()]["cost_usd"])) == Decimal("0.002")
    assert [m["model"] for m in data["models"]] == ["claude-haiku-4-5", "gpt-4o-mini"]
    [order] = data["orders"]
    assert order["work_order_id"] == order_id and order["model_calls"] == 2
    # only today: the earlier day's call is outside
    today_only = (await api.get(f"/v1/costs?from={TODAY}&to={TODAY}", headers=headers)).json()
    assert today_only["data"]["total"]["tokens_in"] == 1000
    # another tenant: its own, empty view
    other = (await api.get(f"/v1/costs?from={since}", headers=token_for("globex"))).json()
    assert other["data"]["total"]["runs"] == 0 and other["data"]["orders"] == []
    assert order_id not in str(other)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("from=2026-12-05&to=2026-12-01", "is before 'from'"),
        ("from=2020-01-01&to=2026-12-01", "at most 366 days"),
        ("from=yesterday", "from"),
    ],
)
async def test_a_bad_period_is_refused_with_its_reason(
    api: AppClient, token_for: TokenFor, query: str, reason: str
) -> None:
    """A reversed, too long or unreadable period is a 422 naming what is wrong, on both APIs
    and both pages (the page keeps what was typed)."""
    headers = token_for("acme")
    for path in ("/v1/costs", "/v1/accuracy"):
        r = await api.get(f"{path}?{query}", headers=headers)
        assert r.status_code == 422, r.text
        assert reason in r.text
    cookie = await sign_in(api, bearer(headers))
    for page in ("/ui/costs", "/ui/accuracy"):
        r = await api.get(f"{page}?{query}", headers=cookie)
        assert r.status_code == 422 and reason in html.unescape(r.text)
        assert 'name="from"' in r.text and 'type="date"' in r.text


async def test_the_cost_page_and_the_order_show_the_sums(
    api: AppClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """/ui/costs shows the total, each day, each model and the order; the order's page shows
    its total and each item's cost."""
    headers = token_for("acme")
    order_id, _ = await _traced_order(api, headers, sessions, tenants["acme"])
    cookie = await sign_in(api, bearer(headers))
    page = await api.get("/ui/costs", headers=cookie)  # the default period: the last 30 days
    assert page.status_code == 200
    text = _money(page.text)
    assert "$0.0022" in text and "1900 / 280" in text
    assert f'href="/ui/work-orders/{order_id}#order-cost"' in page.text
    assert "claude-haiku-4-5" in text and EARLIER.isoformat() in text
    assert re.search(r'<label>From <input type="date" name="from" value="[\d-]+"', page.text)
    order = _money((await api.get(f"/ui/work-orders/{order_id}", headers=cookie)).text)
    assert "$0.0022" in order and "2 model calls" in order and "1 retry in 5 agent runs" in order
    assert "$0.0022 1900/280 tok 1 retry" in order  # the first item's row


async def test_the_trace_names_the_extractor_and_shows_cost_and_io_per_stage(
    api: AppClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The item page: hybrid with the model's and the rules' fields, the per-stage table with
    the retry and the total, and each attempt's input/output escaped with secrets masked."""
    headers = token_for("acme")
    _, (first, _) = await _traced_order(api, headers, sessions, tenants["acme"])
    cookie = await sign_in(api, bearer(headers))
    page = await api.get(f"/ui/work-items/{first['id']}", headers=cookie)
    assert page.status_code == 200
    text = _money(page.text)
    assert "hybrid: the rules, and openai (gpt-4o-mini) for 1 field" in text
    extractor = page.text.split('id="extractor"')[1].split("</article>")[0]
    assert re.search(r"From the model.*vendor_name.*From the rules.*total_amount", extractor, re.S)
    costs = page.text.split('id="stage-costs"')[1].split("</table>")[0]
    row = re.search(r"<tr><td>ExtractorLLM</td>(.*?)</tr>", costs)
    assert row and re.findall(r">([^<>]+)</td>", row.group(1))[:6] == [
        "2", "1", "gpt-4o-mini", "900", "80", "$0.0002",
    ]  # fmt: skip
    assert "$0.0022" in costs.split("<tfoot>")[1]
    assert SECRET not in page.text and "[redacted]" in page.text
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in page.text  # the output, escaped once
    assert "<b>Acme</b>" not in page.text
    assert page.text.count('<details class="io">') == 5  # 4 attempts' inputs, 1 output


def _scored(
    item: dict[str, Any], tenant: uuid.UUID, kind: str, score: str, **kw: Any
) -> EvalResult:
    """An evaluation as ``myloware eval --via-api`` (``dataset:…``) or the Verifier stores it."""
    return EvalResult(
        tenant_id=tenant,
        work_item_id=uuid.UUID(item["id"]),
        evaluation_type=kind,
        score=Decimal(score),
        passed=score == "1.0" or kind == "verifier",
        metrics=kw.pop("metrics"),
        created_at=kw.pop("at", _at(TODAY, 0)),
    )


async def _evaluations(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, items: list[dict[str, Any]]
) -> None:
    first, second = items
    right, wrong = {"correct": True, "f1": 1.0}, {"correct": False, "f1": 0.5}
    rows = [
        _scored(
            first,
            tenant,
            "dataset:sroie",
            "0.5",
            metrics={"vendor_name": right, "total_amount": wrong},
            at=_at(EARLIER, 9),
        ),
        _scored(
            second, tenant, "dataset:sroie", "1.0", metrics={"vendor_name": right, "note": "x"}
        ),
        _scored(first, tenant, "verifier", "0.9", metrics={"grounded_fields": 2}),
    ]
    async with sessions() as session, session.begin():
        session.add_all(rows)


async def test_accuracy_is_grouped_by_dataset_and_extractor_per_field_and_day(
    api: AppClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """GET /v1/accuracy and /ui/accuracy: each dataset per extractor (from the item's
    ExtractorLLM attempt), its fields' accuracy and its days; another tenant sees none."""
    headers = token_for("acme")
    _, items = await _traced_order(api, headers, sessions, tenants["acme"])
    await _evaluations(sessions, tenants["acme"], items)
    odd = {"x": {"correct": True, "f1": "high"}, "y": {"correct": "yes"}}  # stored as sent
    r = await api.post(
        f"/v1/work-items/{items[1]['id']}/evaluations",
        json={"evaluation_type": "dataset:odd", "score": 0.5, "passed": False, "metrics": odd},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    r = await api.get(f"/v1/accuracy?from={EARLIER}", headers=headers)
    assert r.status_code == 200, r.text
    groups = {(g["evaluation_type"], g["extractor"]): g for g in r.json()["data"]["groups"]}
    assert set(groups) == {
        ("dataset:sroie", "hybrid:openai"),
        ("dataset:sroie", "unknown"),  # the second item never finished an extraction
        ("verifier", "hybrid:openai"),
        ("dataset:odd", "unknown"),
    }
    [odd_x] = groups[("dataset:odd", "unknown")]["fields"]  # "y" is not scored as a field
    assert (odd_x["name"], odd_x["correct"], odd_x["f1"]) == ("x", 1, None)
    hybrid = groups[("dataset:sroie", "hybrid:openai")]
    assert (hybrid["dataset"], hybrid["model"], hybrid["documents"]) == ("sroie", "gpt-4o-mini", 1)
    fields = {f["name"]: f for f in hybrid["fields"]}
    assert fields["vendor_name"]["accuracy"] == 1.0 and fields["total_amount"]["accuracy"] == 0.0
    assert fields["total_amount"]["f1"] == 0.5
    assert [d["day"] for d in hybrid["days"]] == [EARLIER.isoformat()]
    unknown = groups[("dataset:sroie", "unknown")]
    assert [f["name"] for f in unknown["fields"]] == ["vendor_name"]  # "note" is no field
    assert groups[("verifier", "hybrid:openai")]["fields"] == []
    assert groups[("verifier", "hybrid:openai")]["mean_score"] == 0.9
    other = (await api.get(f"/v1/accuracy?from={EARLIER}", headers=token_for("globex"))).json()
    assert other["data"]["groups"] == []

    cookie = await sign_in(api, bearer(headers))
    page = await api.get(f"/ui/accuracy?from={EARLIER}", headers=cookie)
    assert page.status_code == 200
    assert page.text.count('<section class="card group">') == 4
    assert re.search(
        r'<svg class="spark"[^>]*role="img"[^>]*aria-label="mean score per day', page.text
    )
    assert re.search(r'<polyline points="[\d.]+,[\d.]+"/>', page.text)
    assert "total_amount" in page.text and "hybrid:openai" in page.text
    empty = await api.get("/ui/accuracy", headers=await sign_in(api, bearer(token_for("globex"))))
    assert "No evaluation results in this period" in empty.text
