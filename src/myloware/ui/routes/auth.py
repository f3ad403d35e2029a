"""Sign in (an account's username and password, or a pasted JWT or API key), sign out, and
the UI's static files. The identity provider's sign-in is in :mod:`.oidc`, setting a
password with a one-time link in :mod:`.passwords`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from myloware.auth.principal import Principal
from myloware.errors import AuthError
from myloware.services.accounts import account_principal, check_sign_in
from myloware.ui import oidc
from myloware.ui.deps import UiPrincipal, UiRoute
from myloware.ui.identities import account_credential
from myloware.ui.rendering import error_page, render
from myloware.ui.session import (
    CSRF_FIELD,
    authenticate,
    clear_session_cookie,
    close_session,
    csrf_ok,
    login_csrf,
    login_csrf_ok,
    open_session,
    safe_next,
    set_login_csrf_cookie,
    set_session_cookie,
)
from myloware.web.deps import SessionDep, StateDep, check_tenant, client_info, throttled

router = APIRouter(route_class=UiRoute, include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


NOTICES = {"password-set": "Your password is set: sign in with it."}


def login_page(
    request: Request,
    state: StateDep,
    next_path: str,
    problem: str | None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    """The sign-in page (with ``problem`` said at the top), its login CSRF cookie set."""
    token = login_csrf(request)
    settings = state.settings
    response = render(
        request,
        "login.html",
        {
            "next": safe_next(next_path),
            "login_csrf": token,
            "problem": problem,
            "notice": notice,
            "oidc": settings.oidc_display_name if oidc.enabled(settings) else None,
        },
        status_code=status,
    )
    set_login_csrf_cookie(response, request, state.settings, token)
    return response


@router.get("/login")
async def login_form(
    request: Request,
    state: StateDep,
    next_path: Annotated[str, Query(alias="next")] = "/ui",
    notice: str = "",
) -> Response:
    return login_page(request, state, next_path, None, notice=NOTICES.get(notice))


async def _password_sign_in(
    request: Request, state: StateDep, session: SessionDep, form: Mapping[str, object]
) -> tuple[Principal, str, uuid.UUID | None]:
    account = await check_sign_in(
        session,
        username=str(form.get("username") or ""),
        password=str(form.get("password") or ""),
        client=client_info(request),
    )
    principal = await check_tenant(state, session, await account_principal(session, account.id))
    return principal, account_credential(account.id), account.id


async def _token_sign_in(
    state: StateDep, session: SessionDep, form: Mapping[str, object]
) -> tuple[Principal, str, uuid.UUID | None]:
    credential = str(form.get("credential") or "").strip()
    return await authenticate(state, session, credential), credential, None


@router.post("/login")
async def login(request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await request.form()
    next_path = safe_next(form.get("next"))
    if not login_csrf_ok(request, form.get(CSRF_FIELD)):
        return login_page(request, state, next_path, "The form expired; please try again.", 403)
    fields = dict(form)
    try:
        principal, credential, account_id = await throttled(
            state,
            request,
            lambda: (
                _password_sign_in(request, state, session, fields)
                if "username" in fields
                else _token_sign_in(state, session, fields)
            ),
        )
    except AuthError as exc:
        return login_page(request, state, next_path, f"Not signed in: {exc.message}", 401)
    session_id, max_age = await open_session(
        session, state.settings, credential, principal, account_id=account_id
    )
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, state.settings, session_id, max_age)
    return response


@router.get("/logout")
async def logout_form(request: Request, principal: UiPrincipal) -> Response:
    return render(request, "logout.html", {})


@router.post("/logout")
async def logout(
    request: Request, state: StateDep, session: SessionDep, principal: UiPrincipal
) -> Response:
    form = await request.form()
    if not csrf_ok(state.settings, request.state.ui_session, form.get(CSRF_FIELD)):
        return error_page(request, 403, "Refused", "The form's CSRF token is missing or wrong.")
    await close_session(session, request.state.ui_session)
    response = RedirectResponse("/ui/login", status_code=303)
    clear_session_cookie(response, request, state.settings)
    return response


@router.get("/static/{name}")
async def static(request: Request, name: str) -> Response:
    path = (STATIC_DIR / name).resolve()
    media_type = STATIC_TYPES.get(path.suffix)
    if path.parent != STATIC_DIR or media_type is None or not path.is_file():
        return error_page(request, 404, "Not found", "There is no such file.")
    return FileResponse(path, media_type=media_type, headers={"cache-control": "max-age=300"})
