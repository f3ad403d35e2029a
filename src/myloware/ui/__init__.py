"""The Run Trace UI: server-rendered pages under ``/ui`` that show each document's journey.

Mount it with ``app.include_router(myloware.ui.router)``. Pages: sign-in (a pasted JWT or API
key kept server-side, the browser holding an opaque session id), work orders, one order, one
item's trace (agents, fields with their source spans, validation, policy, approvals,
verification, record versions) and the pending approvals, with Approve / Reject / Escalate
going through the approvals service.
"""

from myloware.ui.routes import router

__all__ = ["router"]
