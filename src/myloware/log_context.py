"""Log lines that say which request, tenant, order, item, agent and attempt they are about.

The API binds a ``request_id`` to every request's log lines (:mod:`myloware.web.middleware`).
:class:`RequestContext` carries it on: the Temporal client puts it into a header of the work
order's workflow, the workflow hands its headers to every activity and child workflow it
starts, and each activity binds it with the ids of the document it works on — so
``grep <request id>`` finds a document's lines in the API's and the worker's logs alike.

Registered once on the client (:func:`myloware.temporal_client.connect`); a worker built on
that client uses it as its interceptor too.
"""

from __future__ import annotations

from typing import Any

import structlog
from temporalio import activity, client, converter, worker
from temporalio.api.common.v1 import Payload

HEADER = "myloware-request-id"
_PAYLOADS = converter.PayloadConverter.default


def _encode(value: str) -> Payload:
    return _PAYLOADS.to_payloads([value])[0]


def _decode(payload: Payload | None) -> str | None:
    if payload is None:
        return None
    try:
        value = _PAYLOADS.from_payloads([payload], [str])[0]
    except Exception:  # a foreign or damaged header is not worth failing a document for
        return None
    return value if isinstance(value, str) else None


def activity_context(input: worker.ExecuteActivityInput) -> dict[str, Any]:
    """What an activity's log lines are about: request, tenant, order, item, agent, attempt."""
    info = activity.info()
    context: dict[str, Any] = {"agent": info.activity_type, "attempt": info.attempt}
    if request_id := _decode(input.headers.get(HEADER)):
        context["request_id"] = request_id
    arg = input.args[0] if input.args else None
    ref = getattr(arg, "item", None) or arg
    for key in ("tenant_id", "work_order_id", "work_item_id"):
        value = getattr(ref, key, None)
        if value is not None:
            context[key] = str(value)
    return context


class RequestContext(client.Interceptor, worker.Interceptor):
    """Request id from the API into every activity's log lines (see the module docstring)."""

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientOutbound(next)

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        return _WorkflowInbound


class _ClientOutbound(client.OutboundInterceptor):
    async def start_workflow(self, input: client.StartWorkflowInput) -> Any:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if isinstance(request_id, str) and HEADER not in input.headers:
            input.headers = {**input.headers, HEADER: _encode(request_id)}
        return await super().start_workflow(input)


class _ActivityInbound(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        with structlog.contextvars.bound_contextvars(**activity_context(input)):
            return await super().execute_activity(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    """Keeps the workflow's request header and gives it to what the workflow starts."""

    header: Payload | None = None

    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound, self))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        self.header = input.headers.get(HEADER)
        return await super().execute_workflow(input)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def __init__(self, next: worker.WorkflowOutboundInterceptor, inbound: _WorkflowInbound):
        super().__init__(next)
        self._inbound = inbound

    def _with_header(self, headers: Any) -> Any:
        header = self._inbound.header
        return headers if header is None else {**headers, HEADER: header}

    def start_activity(self, input: worker.StartActivityInput) -> Any:
        input.headers = self._with_header(input.headers)
        return super().start_activity(input)

    def start_local_activity(self, input: worker.StartLocalActivityInput) -> Any:
        input.headers = self._with_header(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(self, input: worker.StartChildWorkflowInput) -> Any:
        input.headers = self._with_header(input.headers)
        return await super().start_child_workflow(input)
