"""The one Temporal client module: connecting (with the request-id propagation every client
and worker uses) and starting a work order's workflow. The API builds one client lazily and
injects it into its routes, the UI, Slack and the e-mail intake (:mod:`myloware.web.temporal`);
the worker, the reconciler and the CLI connect through :func:`connect` too. Workflow ids are in
:mod:`myloware.contracts`; a person's decision goes to a workflow through
:func:`myloware.services.approvals.submit_decision` with that injected client."""

from __future__ import annotations

import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from myloware.contracts import WorkOrderInput, workflow_id_for
from myloware.errors import ConfigurationError
from myloware.log_context import RequestContext
from myloware.settings import Settings
from myloware.telemetry import temporal_interceptors
from myloware.workflows.converter import DATA_CONVERTER
from myloware.workflows.work_order import WorkOrderWorkflow


async def connect(settings: Settings, address: str, *, runtime: Runtime | None = None) -> Client:
    """``runtime``: a Temporal runtime of its own (the worker's, which exports the SDK's
    metrics); None: the process's default one."""
    return await Client.connect(
        address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,  # pydantic JSON (myloware.workflows.converter)
        # also the worker's: request ids reach its logs, and with tracing on, the workflow and
        # its activities join the trace of the request that started them
        interceptors=[*temporal_interceptors(settings), RequestContext()],
        tls=tls_config_for(settings),
        api_key=api_key_for(settings),
        runtime=runtime,
    )


def api_key_for(settings: Settings) -> str | None:
    """The API key ``Client.connect`` sends as a bearer token (Temporal Cloud), if any."""
    key = settings.temporal_api_key
    return key.get_secret_value() if key is not None else None


def tls_config_for(settings: Settings) -> TLSConfig | bool:
    """The ``tls`` argument of ``Client.connect`` the settings ask for: False (plain gRPC, the
    embedded dev server), True (TLS with the system's roots) or a :class:`TLSConfig` with a CA,
    a client certificate and key (mutual TLS) and/or a server name override. The files are read
    here, so a path that does not exist fails at start-up with the setting's name."""
    wants = (
        settings.temporal_tls
        or settings.temporal_api_key is not None
        or settings.temporal_tls_ca_cert is not None
        or settings.temporal_tls_client_cert is not None
        or settings.temporal_tls_server_name is not None
    )
    if not wants:
        return False
    ca = _read("TEMPORAL_TLS_CA_CERT", settings.temporal_tls_ca_cert)
    cert = _read("TEMPORAL_TLS_CLIENT_CERT", settings.temporal_tls_client_cert)
    key = _read("TEMPORAL_TLS_CLIENT_KEY", settings.temporal_tls_client_key)
    name = settings.temporal_tls_server_name
    if ca is None and cert is None and name is None:
        return True
    return TLSConfig(server_root_ca_cert=ca, domain=name, client_cert=cert, client_private_key=key)


def _read(setting: str, path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"MYLOWARE_{setting}={path}: cannot read the file ({exc.strerror or exc})"
        ) from exc


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
