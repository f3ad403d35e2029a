"""The one Temporal client module: connecting (with the request-id propagation every client
and worker uses) and starting a work order's workflow. The API builds one client lazily and
injects it into its routes, the UI, Slack and the e-mail intake (:mod:`myloware.web.temporal`);
the worker, the reconciler and the CLI connect through :func:`connect` too. Workflow ids are in
:mod:`myloware.contracts`; a person's decision goes to a workflow through
:func:`myloware.services.approvals.submit_decision` with that injected client."""

from __future__ import annotations

import uuid

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError

from myloware.contracts import WorkOrderInput, workflow_id_for
from myloware.log_context import RequestContext
from myloware.settings import Settings
from myloware.workflows.work_order import WorkOrderWorkflow


async def connect(settings: Settings, address: str) -> Client:
    return await Client.connect(
        address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=[RequestContext()],  # also the worker's: request ids reach its logs
    )


async def start_work_order(
    client: Client,
    settings: Settings,
    work_order_id: uuid.UUID,
    tenant_id: uuid.UUID,
    *,
    reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.REJECT_DUPLICATE,
) -> bool:
    """Start ``WorkOrderWorkflow`` for an order; False when it was already started (idempotent).

    ``reuse``: ALLOW_DUPLICATE lets the reconciler start an order's closed workflow again."""
    try:
        await client.start_workflow(
            WorkOrderWorkflow.run,
            WorkOrderInput(work_order_id=work_order_id, tenant_id=tenant_id),
            id=workflow_id_for(work_order_id),
            task_queue=settings.task_queue,
            id_reuse_policy=reuse,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True
