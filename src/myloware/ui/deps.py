"""UI dependencies and the route class that turns failures into pages.

Every UI page depends on :data:`UiReader`: the session cookie is checked with the API's own
credential code; without a valid one the browser is sent to the login page. Errors become
HTML pages (a foreign or unknown id is the same 404 the API gives) instead of JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from myloware.auth.principal import Capability, Principal
from myloware.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    MylowareError,
    NotFoundError,
    ValidationFailed,
)
from myloware.ui.identities import session_principal
from myloware.ui.rendering import error_page, render
from myloware.ui.session import (
    SESSION_COOKIE,
    clear_session_cookie,
    csrf_token,
    session_credential,
)
from myloware.web.deps import SessionDep, StateDep, enforce_rate_limit
from myloware.web.errors import RateLimited

log = structlog.get_logger(__name__)

PAGE_ERRORS: list[tuple[type[MylowareError], int, str]] = [
    (NotFoundError, 404, "Not found"),
    (ForbiddenError, 403, "Not allowed"),
    (ConflictError, 409, "Conflict"),
    (ValidationFailed, 422, "Not accepted"),
]


class LoginRequired(Exception):
    """No valid session: go to the login page and come back to ``next_path`` afterwards."""

    def __init__(self, next_path: str, clear_cookie: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.clear_cookie = clear_cookie


class UiRoute(APIRoute):
    """An APIRoute whose failures render as HTML pages (or a redirect to the login page)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return login_redirect(request, exc)
            except RateLimited as exc:
                response = error_page(request, 429, "Slow down", exc.message)
                response.headers["retry-after"] = str(exc.retry_after)
                return response
            except RequestValidationError:
                return error_page(request, 404, "Not found", "There is no such page.")
            except MylowareError as exc:
                return _domain_error_page(request, exc)

        return page


def _domain_error_page(request: Request, exc: MylowareError) -> Response:
    for cls, status, title in PAGE_ERRORS:
        if isinstance(exc, cls):
            return error_page(request, status, title, exc.message)
    log.error("ui_unhandled_domain_error", error=str(exc), error_type=type(exc).__name__)
    return error_page(request, 500, "Something went wrong", "The request could not be completed.")


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    """To the login page; a link followed from another site first reloads the page itself.

    The SameSite=Strict cookie is not sent on a navigation that starts on another site (a
    link in Slack or an e-mail); reloading from our own page sends it, so a signed-in person
    lands on the page instead of the login form.
    """
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site and request.method == "GET" and not exc.clear_cookie:
        return render(request, "bounce.html", {"target": exc.next_path, "refresh": None})
    response = RedirectResponse(f"/ui/login?next={quote(exc.next_path, safe='/')}", 303)
    if exc.clear_cookie:
        clear_session_cookie(response, request, request.app.state.myloware.settings)
    return response


def _requested_path(request: Request) -> str:
    """Where to return after signing in: the page asked for, or for a form post (which
    cannot be replayed) the page the form was on."""
    if request.method != "GET":
        return request.url.path.removesuffix("/decision")
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def ui_principal(request: Request, state: StateDep, session: SessionDep) -> Principal:
    """The signed-in principal (its session's credential checked again, rate-limited like
    the API); else off to the login page."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise LoginRequired(_requested_path(request))
    credential = await session_credential(session, session_id)
    if credential is None:  # unknown, signed out or expired
        raise LoginRequired(_requested_path(request), clear_cookie=True)
    try:
        principal = await session_principal(state, session, credential)
    except AuthError:
        raise LoginRequired(_requested_path(request), clear_cookie=True) from None
    await enforce_rate_limit(state, principal)
    request.state.principal = principal
    request.state.ui_principal = principal
    request.state.ui_session = session_id
    request.state.ui_csrf = csrf_token(state.settings, session_id)
    return principal


UiPrincipal = Annotated[Principal, Depends(ui_principal)]


async def ui_reader(principal: UiPrincipal) -> Principal:
    principal.require(Capability.WORK_ORDERS_READ)
    return principal


UiReader = Annotated[Principal, Depends(ui_reader)]


def may_decide(principal: Principal, group: str | None) -> bool:
    """Whether to offer the decision forms (the workflow still has the last word)."""
    if not principal.has(Capability.APPROVALS_DECIDE):
        return False
    return principal.is_admin or group is None or group in principal.groups
