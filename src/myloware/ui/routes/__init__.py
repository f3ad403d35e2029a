"""The UI's routers, one per page family, gathered under ``/ui``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from myloware.ui.deps import UiPrincipal, UiRoute
from myloware.ui.rendering import error_page
from myloware.ui.routes import (
    approvals,
    auth,
    decisions,
    items,
    live,
    oidc,
    orders,
    passwords,
    reports,
    search,
)

_fallback = APIRouter(route_class=UiRoute, include_in_schema=False)


@_fallback.get("/{rest:path}")
async def not_found(request: Request, rest: str, principal: UiPrincipal) -> Response:
    """Any other /ui path: the UI's own 404 page (after sign-in, like every page)."""
    return error_page(request, 404, "Not found", "There is no such page.")


router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
router.add_api_route("", orders.list_orders, methods=["GET"])  # /ui as well as /ui/
for module in (auth, passwords, oidc, orders, items, decisions, approvals, search, reports, live):
    router.include_router(module.router)
router.include_router(_fallback)

__all__ = ["router"]
