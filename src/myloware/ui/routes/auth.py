"""Sign in with a pasted JWT or API key, sign out, and the UI's static files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from myloware.errors import AuthError
from myloware.ui.deps import UiPrincipal, UiRoute
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
from myloware.web.deps import SessionDep, StateDep, throttled

router = APIRouter(route_class=UiRoute, include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _login_page(
    request: Request, state: StateDep, next_path: str, problem: str | None, status: int = 200
) -> Response:
    token = login_csrf(request)
    response = render(
        request,
        "login.html",
        {"next": safe_next(next_path), "login_csrf": token, "problem": problem},
        status_code=status,
    )
    set_login_csrf_cookie(response, request, state.settings, token)
    return response


@router.get("/login")
async def login_form(
    request: Request, state: StateDep, next_path: Annotated[str, Query(alias="next")] = "/ui"
) -> Response:
    return _login_page(request, state, next_path, None)


@router.post("/login")
async def login(request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await request.form()
    next_path = safe_next(form.get("next"))
    if not login_csrf_ok(request, form.get(CSRF_FIELD)):
        return _login_page(request, state, next_path, "The form expired; please try again.", 403)
    credential = str(form.get("credential") or "").strip()
    try:
        principal = await throttled(
            state, request, lambda: authenticate(state, session, credential)
        )
    except AuthError as exc:
        return _login_page(request, state, next_path, f"Not signed in: {exc.message}", 401)
    session_id, max_age = await open_session(session, state.settings, credential, principal)
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
