"""The worker role's composition root: the workflows, the activities and what they need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from myloware.agents import AgentDeps, ExtractorLLM, agent_activities
from myloware.settings import Settings
from myloware.worker.approvals import ApprovalActivities
from myloware.worker.attempts import AttemptRecorder
from myloware.worker.bookkeeping import BookkeepingActivities
from myloware.worker.failures import ErrorSemantics
from myloware.workflows.work_item import WorkItemWorkflow
from myloware.workflows.work_order import WorkOrderWorkflow

log = structlog.get_logger(__name__)
WORKFLOWS = [WorkOrderWorkflow, WorkItemWorkflow]
# With the sandbox (``workflow_sandbox``, on in tests) each workflow run's globals are isolated
# and non-deterministic calls fail; our own and these libraries' modules are imported once
# instead of per run (measured: about 24 ms of worker CPU per document saved).
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "myloware", "pydantic", "pydantic_core", "annotated_types", "typing_extensions"
    )
)


def workflow_runner(settings: Settings) -> WorkflowRunner:
    return SANDBOX if settings.workflow_sandbox else UnsandboxedWorkflowRunner()


def activities_for(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    blobs: Any,
    redis: Redis | None = None,
) -> list[Any]:
    books = BookkeepingActivities(sessions, offline_extractor=settings.extractor == "rules")
    approvals = ApprovalActivities(sessions)
    return [
        *agent_activities(AgentDeps(sessions, settings, blobs, redis=redis)),
        books.plan_work_order,
        books.finish_item,
        books.finish_order,
        approvals.open_approval,
        approvals.settle_approval,
    ]


def build_model_worker(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    blobs: Any,
    *,
    trace_sessions: async_sessionmaker[AsyncSession] | None = None,
    redis: Redis | None = None,
) -> Worker | None:
    """The worker of the model task queue (ExtractorModel, ``model_worker_slots`` at a time),
    None without one: model calls wait there, never in the documents' activity slots."""
    if settings.model_task_queue is None:
        return None
    # the vendors' SDKs take a second or more to import: now, not on the event loop of the
    # first document that asks a model (it would hold every other document up meanwhile)
    import myloware.models.providers

    if settings.extractor == "agent":  # the Agents SDK: another ~0.7 s
        import myloware.models.sdk  # noqa: F401

    extractor = ExtractorLLM(AgentDeps(sessions, settings, blobs, redis=redis))
    return Worker(
        client,
        task_queue=settings.model_task_queue,
        activities=[extractor.model],
        interceptors=[ErrorSemantics(), AttemptRecorder(trace_sessions or sessions)],
        max_concurrent_activities=settings.model_worker_slots,
        # the agent's model calls (run in the workflow) are served here too
        plugins=agent_plugins(settings, lambda: extractor, register_activities=True),
    )


def agent_plugins(
    settings: Settings, extractor: Callable[[], ExtractorLLM], *, register_activities: bool
) -> list[Any]:
    """Temporal's OpenAI Agents plugin where the `agent` extractor runs in the workflow
    (``Settings.agent_runs_in_workflow``): the runner for the workflow's agent loop and, with
    ``register_activities``, its model activity (asking ``extractor()``'s router). None
    elsewhere: no SDK loaded."""
    if not settings.agent_runs_in_workflow:
        return []
    from myloware.agents.durable import agents_plugin

    return [agents_plugin(extractor(), register_activities=register_activities)]


def build_workers(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    blobs: Any,
    *,
    activities: list[Any] | None = None,
    trace_sessions: async_sessionmaker[AsyncSession] | None = None,
    redis: Redis | None = None,
) -> list[Worker]:
    """The documents' worker, and the model task queue's when the settings name one."""
    options: dict[str, Any] = {"trace_sessions": trace_sessions, "redis": redis}
    documents = build_worker(client, settings, sessions, blobs, activities=activities, **options)
    model = build_model_worker(client, settings, sessions, blobs, **options)
    return [documents] if model is None else [documents, model]


def build_worker(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    blobs: Any,
    *,
    activities: list[Any] | None = None,
    task_queue: str | None = None,
    trace_sessions: async_sessionmaker[AsyncSession] | None = None,
    redis: Redis | None = None,
) -> Worker:
    """``redis``: where model circuit breakers are shared with the other workers."""
    # the agent's model calls: here, unless the model task queue's worker serves them
    plugins = agent_plugins(
        settings,
        lambda: ExtractorLLM(AgentDeps(sessions, settings, blobs, redis=redis)),
        register_activities=settings.model_task_queue is None,
    )
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities
        if activities is not None
        else activities_for(sessions, settings, blobs, redis),
        # outermost first: the recorder sees an agent's own error, then it is translated
        interceptors=[ErrorSemantics(), AttemptRecorder(trace_sessions or sessions)],
        workflow_runner=workflow_runner(settings),
        max_concurrent_activities=16,
        max_concurrent_local_activities=64,
        max_concurrent_workflow_tasks=64,
        plugins=plugins,
    )
