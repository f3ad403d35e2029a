"""The Grafana dashboard (deploy/grafana/myloware.json) queries only metrics the code exports:
the API's page, the worker's registry and the Temporal SDK's figures, each read after a real
document went through, so a renamed metric fails here instead of leaving an empty panel."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from myloware.settings import Settings
from myloware.worker.sdk_metrics import runtime_with_metrics
from tests.auth_support import TokenFor
from tests.model_emulator import ModelEmulator, Reply, openai_settings
from tests.pipeline_support import app_client, running_worker, unique_queue, wait_for_order
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.test_pipeline_models import ANSWER

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "myloware.json"
_METRIC = re.compile(r"\b(?:myloware|temporal)_[a-z0-9_]+\b")
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # a collapsed row keeps its panels inside
    return found


def queried_metrics(dashboard: dict[str, Any]) -> set[str]:
    """Every metric name that a panel's query names."""
    return {
        name
        for panel in _panels(dashboard)
        for target in panel.get("targets", [])
        for name in _METRIC.findall(target["expr"])
    }


def exposed_names(text: str) -> set[str]:
    """The series names a Prometheus page offers, a family with no samples yet included."""
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {sample.name for sample in family.samples}
        names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}
    return names


def test_the_dashboard_is_valid_grafana_json_on_a_chosen_datasource() -> None:
    """Each panel queries through the dashboard's Prometheus variable, with unique ids."""
    dashboard = json.loads(DASHBOARD.read_text())
    panels = _panels(dashboard)
    assert dashboard["uid"] and [v["name"] for v in dashboard["templating"]["list"]] == [
        "datasource"
    ]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])


async def test_every_metric_the_dashboard_queries_is_exported(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
    model_emulator: ModelEmulator,
) -> None:
    """After one document, the API, the worker and its Temporal SDK export every name (the
    model extractor runs, so there are model figures and regular activities too)."""
    sdk = CollectorRegistry()
    model_emulator.script(Reply(data=ANSWER))
    local = settings.model_copy(
        update={"task_queue": unique_queue(), **openai_settings(model_emulator)}
    )
    headers = token_for("acme")
    async with (
        app_client(
            local,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as api,
        running_worker(local, database_url, temporal_address, runtime=runtime_with_metrics(sdk)),
    ):
        r = await api.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        assert (await wait_for_order(api, r.json()["data"]["id"], headers))["status"] == (
            "COMPLETED"
        )
        # the relay's consumer groups exist once the events stream has a reader
        await api.app.state.myloware.redis.xgroup_create(
            local.events_stream, "webhooks", id="0", mkstream=True
        )
        api_page = (await api.get("/metrics")).text
        sdk_page = generate_latest(sdk).decode()
    worker_page = generate_latest(REGISTRY).decode()  # the stage histogram, process figures
    exported = exposed_names(api_page) | exposed_names(worker_page) | exposed_names(sdk_page)
    queried = queried_metrics(json.loads(DASHBOARD.read_text()))
    assert {n for n in queried if n.startswith("temporal_")}, "no Temporal SDK panel"
    assert sorted(queried - exported) == []
