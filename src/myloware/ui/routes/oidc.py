"""Sign in through the configured OpenID Connect identity provider (:mod:`myloware.ui.oidc`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from myloware.errors import AuthError
from myloware.settings import Settings
from myloware.ui import oidc
from myloware.ui.deps import UiRoute
from myloware.ui.identities import oidc_credential
from myloware.ui.rendering import error_page, render
from myloware.ui.routes.auth import login_page
from myloware.ui.session import open_session, safe_next, set_session_cookie
from myloware.web.deps import SessionDep, StateDep, check_tenant, throttled

router = APIRouter(prefix="/oidc", route_class=UiRoute, include_in_schema=False)

Text = Annotated[str, Query(max_length=2048)]


def _redirect_uri(request: Request, settings: Settings) -> str:
    base = settings.public_url or str(request.base_url)
    return base.rstrip("/") + "/ui/oidc/callback"


def _not_configured(request: Request) -> Response:
    return error_page(request, 404, "Not found", "No identity provider is configured.")


@router.get("/start")
async def start(
    request: Request, state: StateDep, next_path: Annotated[str, Query(alias="next")] = "/ui"
) -> Response:
    """Off to the identity provider, the flow's secrets in a sealed cookie."""
    settings = state.settings
    if not oidc.enabled(settings):
        return _not_configured(request)
    try:
        url, flow = await oidc.begin(
            settings, _redirect_uri(request, settings), safe_next(next_path)
        )
    except AuthError as exc:
        return login_page(request, state, next_path, f"Not signed in: {exc.message}", 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        oidc.FLOW_COOKIE,
        flow.seal(),
        max_age=oidc.FLOW_TTL_SECONDS,
        path=oidc.FLOW_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.behind_tls or request.url.scheme == "https",
    )
    return response


@router.get("/callback")
async def callback(
    request: Request,
    state: StateDep,
    session: SessionDep,
    code: Text = "",
    state_param: Annotated[str, Query(alias="state", max_length=256)] = "",
    error: Text = "",
    error_description: Text = "",
) -> Response:
    """The provider sends the browser back here with a code: redeem it, open a session."""
    settings = state.settings
    if not oidc.enabled(settings):
        return _not_configured(request)
    if error:
        problem = f"Not signed in: the identity provider said {error_description or error}."
        return login_page(request, state, "/ui", problem, 401)

    async def sign_in() -> tuple[oidc.Flow, str, int]:
        flow = oidc.Flow.unseal(request.cookies.get(oidc.FLOW_COOKIE))
        redirect_uri = _redirect_uri(request, settings)
        claims = await oidc.finish(settings, redirect_uri, flow, state=state_param, code=code)
        principal = await check_tenant(
            state, session, await oidc.principal_of(settings, session, claims)
        )
        credential = oidc_credential(principal)
        session_id, max_age = await open_session(session, settings, credential, principal)
        return flow, session_id, max_age

    try:
        flow, session_id, max_age = await throttled(state, request, sign_in)
    except AuthError as exc:
        return login_page(request, state, "/ui", f"Not signed in: {exc.message}", 401)
    # a page of our own that moves on: the SameSite=Strict session cookie is not sent on the
    # rest of a redirect chain that began at the provider's site
    response = render(request, "bounce.html", {"target": flow.next_path, "refresh": None})
    set_session_cookie(response, request, settings, session_id, max_age)
    response.delete_cookie(oidc.FLOW_COOKIE, path=oidc.FLOW_COOKIE_PATH)
    return response
