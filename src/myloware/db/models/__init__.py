"""All ORM models; importing this module registers every table on ``Base.metadata``."""

from myloware.db.models.archive import ArchivedAttempt, ArchivedAuditLog
from myloware.db.models.events import DeadLetter, OutboxEvent, ProcessedEvent
from myloware.db.models.governance import (
    EMBEDDING_DIM,
    ApprovalEvent,
    AuditLog,
    EvalResult,
    MemDoc,
)
from myloware.db.models.platform import (
    Capability,
    Connector,
    DocumentSchema,
    Tool,
    WorkflowTemplate,
    tool_capabilities,
)
from myloware.db.models.policies import (
    ApprovalRequest,
    ApprovalRequestStatus,
    PolicyDocument,
)
from myloware.db.models.slack import SlackIntake, SlackMessage
from myloware.db.models.tenancy import Account, ApiKey, Tenant, UiSession
from myloware.db.models.webhooks import WebhookDelivery
from myloware.db.models.work import Attempt, Record, RecordVersion, WorkItem, WorkOrder

__all__ = [
    "EMBEDDING_DIM",
    "Account",
    "ApiKey",
    "ApprovalEvent",
    "ApprovalRequest",
    "ApprovalRequestStatus",
    "ArchivedAttempt",
    "ArchivedAuditLog",
    "Attempt",
    "AuditLog",
    "Capability",
    "Connector",
    "DeadLetter",
    "DocumentSchema",
    "EvalResult",
    "MemDoc",
    "OutboxEvent",
    "PolicyDocument",
    "ProcessedEvent",
    "Record",
    "RecordVersion",
    "SlackIntake",
    "SlackMessage",
    "Tenant",
    "Tool",
    "UiSession",
    "WebhookDelivery",
    "WorkItem",
    "WorkOrder",
    "WorkflowTemplate",
    "tool_capabilities",
]
