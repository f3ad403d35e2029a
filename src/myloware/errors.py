"""The one exception tree of MyloWare.

Library errors are translated into these at the boundary where they occur::

    MylowareError
    ├── ConfigurationError        settings invalid or insecure for the environment
    ├── StartupError              an embedded or external service could not be started/reached
    ├── NotFoundError             a resource does not exist (or belongs to another tenant)
    ├── ConflictError             the request conflicts with the current state (409)
    ├── AuthError                 missing, expired or forged credentials (401)
    │   └── ForbiddenError        authenticated but lacking a capability (403)
    ├── ValidationFailed          input that is well-formed but not acceptable (422)
    ├── DocumentError             a document cannot be read: empty, corrupt, encrypted, too big
    │   └── UnsupportedDocument   a file type we cannot process
    └── ExtractionError           an extractor produced no usable result

Business failures raised inside activities are turned into non-retryable Temporal
``ApplicationError`` s by the activity layer, carrying the class name as the error type.
"""

from __future__ import annotations

from typing import Any


class MylowareError(Exception):
    """Root of every error MyloWare raises on purpose."""

    code = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ConfigurationError(MylowareError):
    code = "configuration_error"


class StartupError(MylowareError):
    code = "startup_error"


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
    """A capability that is switched off or cannot run here (HTTP 503)."""

    code = "service_unavailable"
