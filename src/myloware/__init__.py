"""MyloWare: AI-driven business-document processing with human-in-the-loop governance."""

from myloware.errors import MylowareError

__version__ = "0.1.0"

__all__ = ["MylowareError", "__version__"]
