"""OpenTelemetry tracing: one document through the API yields one trace, from the request
through the workflows and each agent activity to the model call, at a real OTLP receiver."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from myloware.errors import ConfigurationError
from myloware.models.router import ModelRouter
from myloware.settings import Settings, load_settings
from myloware.telemetry import shutdown_tracing, tracer_provider, traces_url
from tests.auth_support import TokenFor
from tests.model_emulator import ModelEmulator, Reply, openai_settings
from tests.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.pipeline_support import AGENTS, api_with_worker, wait_for_order
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.test_pipeline_models import ANSWER

SERVER, CLIENT = 2, 3  # opentelemetry.proto.trace.v1.Span.SpanKind
ERROR = 2  # Status.StatusCode


@pytest.fixture
def collector() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver
    shutdown_tracing()


def _model_overrides(emu: ModelEmulator, collector: OtlpReceiver) -> dict[str, object]:
    return {"otel_exporter_otlp_endpoint": collector.url, **openai_settings(emu)}


def _ancestors(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> list[str]:
    names = []
    while span.parent_id:
        span = by_id[span.parent_id]  # a KeyError: a parent that never reached the collector
        names.append(span.name)
    return names


async def test_an_order_is_one_trace_from_request_to_each_model_call(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
    model_emulator: ModelEmulator,
    collector: OtlpReceiver,
) -> None:
    """The API request's span is the root of the workflows', the activities' and the model
    calls' spans (tokens and cost on them), all in one trace id; an order of two documents
    also runs them in child workflows."""
    model_emulator.script(Reply(data=ANSWER, tokens_in=300, tokens_out=50))
    headers = token_for("acme")
    async with api_with_worker(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
        **_model_overrides(model_emulator, collector),
    ) as api:
        items = [{"content": TEXT_INVOICE}, {"content": TEXT_INVOICE.replace("0042", "0043")}]
        r = await api.post("/v1/work-orders", json={"work_items": items}, headers=headers)
        order = await wait_for_order(api, r.json()["data"]["id"], headers)
    assert order["status"] == "COMPLETED"
    shutdown_tracing()  # flushes what the batch processor still holds

    [request] = [s for s in collector.spans if s.name == "POST /v1/work-orders"]
    assert request.kind == SERVER and request.service == "myloware"
    trace = {s.span_id: s for s in collector.spans if s.trace_id == request.trace_id}
    assert [s for s in trace.values() if not s.parent_id] == [request]
    # every span of the trace hangs, through its parents, from the API request
    assert all(_ancestors(s, trace)[-1] == request.name for s in trace.values() if s.parent_id)
    names = Counter(s.name for s in trace.values())
    assert names["StartWorkflow:WorkOrderWorkflow"] == names["RunWorkflow:WorkOrderWorkflow"] == 1
    assert names["StartChildWorkflow:WorkItemWorkflow"] == 2
    assert names["RunWorkflow:WorkItemWorkflow"] == 2
    for agent in AGENTS:
        assert names[f"RunActivity:{agent}"] == 2, agent
    assert not any(s.name.endswith((" http receive", " http send")) for s in trace.values())
    calls = [s for s in trace.values() if s.name.startswith("chat ")]
    assert len(calls) == 2
    for call in calls:
        assert call.kind == CLIENT
        assert _ancestors(call, trace)[0] == "RunActivity:ExtractorLLM"
        assert "StartChildWorkflow:WorkItemWorkflow" in _ancestors(call, trace)
        assert call.attributes["gen_ai.system"] == "openai"
        assert call.attributes["gen_ai.request.model"] == api.settings.openai_model
        assert call.attributes["gen_ai.usage.input_tokens"] == 300
        assert call.attributes["gen_ai.usage.output_tokens"] == 50
        assert call.attributes["myloware.model.cost_usd"] > 0
    assert collector.content_types == {"application/x-protobuf"}


async def test_a_failed_model_call_is_a_span_with_an_error_status(
    settings: Settings, model_emulator: ModelEmulator, collector: OtlpReceiver
) -> None:
    """A provider that answers 500 leaves an ERROR span naming the failure's type."""
    model_emulator.script(Reply(status=500))
    local = settings.model_copy(update=_model_overrides(model_emulator, collector))
    router = ModelRouter.from_settings(local)
    assert tracer_provider(local) is not None
    with pytest.raises(Exception, match="no model answered"):
        await router.complete_json(system="s", prompt="p", schema={}, schema_name="x")
    await router.close()
    shutdown_tracing()
    [call] = collector.spans
    assert call.name == f"chat {local.openai_model}" and call.status_code == ERROR
    # what the provider raised: the OpenAI SDK's error for a 500 answer, not our wrapper
    assert call.attributes["error.type"] == "InternalServerError"
    assert call.attributes["gen_ai.usage.input_tokens"] == 0


def test_tracing_is_off_unless_an_endpoint_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """No endpoint, no provider; the standard OTEL_EXPORTER_OTLP_ENDPOINT is honoured."""
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("MYLOWARE_OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert tracer_provider(load_settings(_env_file=None)) is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert load_settings(_env_file=None).otel_exporter_otlp_endpoint == "http://collector:4318"
    monkeypatch.setenv("MYLOWARE_OTEL_EXPORTER_OTLP_ENDPOINT", "https://mine:4318/")
    assert load_settings(_env_file=None).otel_exporter_otlp_endpoint == "https://mine:4318/"
    assert traces_url("https://mine:4318/") == "https://mine:4318/v1/traces"
    assert traces_url("http://c/v1/traces") == "http://c/v1/traces"


def test_an_endpoint_that_is_not_an_http_url_is_refused() -> None:
    """A gRPC-style host:port (this exporter speaks OTLP over HTTP) fails at start-up."""
    with pytest.raises(ConfigurationError, match="must be an http:// or https:// URL"):
        load_settings(_env_file=None, otel_exporter_otlp_endpoint="collector:4317")
