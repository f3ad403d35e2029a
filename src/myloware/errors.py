"""The one exception tree of MyloWare.

Library errors are translated into these at the boundary where they occur. Each class says
whether it is *transient* (T: a dependency failing for now — retrying later can succeed) or
*permanent* (P: the input or the configuration is wrong — retrying cannot help)::

    MylowareError                 P  root; ``transient`` says which kind a class is
    ├── ConfigurationError        P  settings invalid or insecure for the environment
    │   └── DamagedInbox          P  an inbox's stored config no longer validates (mail.inbox)
    ├── StartupError              T  an embedded or external service could not be started/reached
    ├── DependencyError           T  a dependency failed for now: blob store I/O, OCR engine start
    ├── ServiceUnavailable        T  a capability not available right now (HTTP 503)
    │   └── EmbeddingUnavailable  P  the embedding model is not installed (memory.embedder)
    ├── NotFoundError             P  a resource does not exist (or belongs to another tenant)
    ├── ConflictError             P  the request conflicts with the current state (409)
    ├── AuthError                 P  missing, expired or forged credentials (401)
    │   └── ForbiddenError        P  authenticated but lacking a capability (403)
    ├── ValidationFailed          P  input that is well-formed but not acceptable (422)
    ├── RateLimited               T  too many requests; retry after (429, api.errors)
    ├── DocumentError             P  a document cannot be read: empty, corrupt, encrypted, too big
    │   └── UnsupportedDocument   P  a file type we cannot process
    ├── ExtractionError           P  an extractor produced no usable result
    ├── ModelError                T  a model provider gave no usable answer (models.base)
    │   └── BudgetSpent           P  an agent run spent its token budget (models.sdk)
    ├── DeliveryFailed            T  a webhook receiver did not accept an event (events.webhooks)
    ├── SlackDeliveryError        T  Slack did not accept a message (slack.client)
    ├── ToolNotAllowed            P  an agent asked for a tool it is not allowed (agents.tools)
    └── Skipped                   P  a file shared in Slack that is not taken (slack.intake)

Inside the worker, :class:`myloware.worker.failures.ErrorSemantics` turns a permanent error
into a non-retryable Temporal ``ApplicationError`` (the item fails at once with the message)
and lets a transient one be retried by the stage's retry policy, for as long as it lasts.
"""

from __future__ import annotations

from typing import Any, ClassVar


class MylowareError(Exception):
    """Root of every error MyloWare raises on purpose."""

    code = "internal_error"
    transient: ClassVar[bool] = False  # True: a retry later may succeed

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ConfigurationError(MylowareError):
    code = "configuration_error"


class StartupError(MylowareError):
    code = "startup_error"
    transient = True


class DependencyError(MylowareError):
    """A dependency failed for now (storage I/O, an engine that did not start): retry later."""

    code = "dependency_error"
    transient = True


class NotFoundError(MylowareError):
    code = "not_found"


class ConflictError(MylowareError):
    code = "conflict"


class AuthError(MylowareError):
    code = "unauthorized"


class ForbiddenError(AuthError):
    code = "forbidden"


class ValidationFailed(MylowareError):
    code = "validation_error"


class DocumentError(MylowareError):
    code = "document_error"


class UnsupportedDocument(DocumentError):
    code = "unsupported_document"


class ExtractionError(MylowareError):
    code = "extraction_error"


class ServiceUnavailable(MylowareError):
    """A capability that cannot serve right now (HTTP 503)."""

    code = "service_unavailable"
    transient = True
