"""The web dashboard: server-rendered pages under /ui over the same queries as the admin API.

No JavaScript and no build step: Jinja2 templates (autoescaped: documents are untrusted input)
and one stylesheet. Pages need a logged-in viewer; resending needs an operator. Every POST
carries a CSRF token (double-submit: a cookie and a form field that must match) and must come
from our own origin (the Origin header, else the Referer).

    >>> mount(app)   # in create_app: the router, /ui/static and the /ui security headers
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from b2b.api.admin import certificates, gateway_of, overview, partner_statuses, po_journey
from b2b.api.auth import (
    Principal,
    Role,
    log_in,
    log_out,
    principal,
    set_session_cookie,
)
from b2b.api.websafety import CSRF_COOKIE, SecurityHeaders, check_post, safe_next, set_csrf
from b2b.errors import ResendRefused, UnknownMessage
from b2b.store import MessageState, get_message, request_resend, utcnow
from b2b.store.search import (
    DocumentKind,
    MessagePart,
    RawDocument,
    document_raw,
    find_as2,
    message_raw,
    search_messages,
)

HERE = Path(__file__).parent
PAGE_SIZE = 50
#: Raw documents are shown inline up to this size; the download has them whole.
INLINE_BYTES = 256 * 1024
STATES = tuple(s.value for s in MessageState)
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def inline_url(raw: str) -> str:
    """The dashboard page showing what the admin API path `raw` downloads.

    >>> inline_url("/messages/12/raw?part=mdn")
    '/ui/raw/messages/12?part=mdn'
    """
    path, _, query = raw.partition("?")
    page_path = "/ui/raw" + path.removesuffix("/raw")
    return f"{page_path}?{query}" if query else page_path


templates.filters["when"] = _when
templates.filters["inline"] = inline_url

router = APIRouter(prefix="/ui", include_in_schema=False)


class LoginNeeded(Exception):
    """A page was asked for without a session: answered with a redirect to the login form."""


def viewer(request: Request) -> Principal:
    """The logged-in user (any role may view), or LoginNeeded."""
    found = principal(request)
    if found is None:
        raise LoginNeeded
    return found


Viewer = Annotated[Principal, Depends(viewer)]


def mount(app: FastAPI) -> None:
    """Add the dashboard to `app`: its pages, its stylesheet and its security headers."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")

    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, exc: LoginNeeded) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)

    app.add_middleware(SecurityHeaders)


def page(request: Request, name: str, who: Principal | None, **values: Any) -> HTMLResponse:
    """Render template `name` with the CSRF token (set as a cookie when new)."""
    token = request.cookies.get(CSRF_COOKIE) or ""
    fresh = not token
    if fresh:
        token = secrets.token_urlsafe(32)
    html = templates.get_template(name).render(
        who=who,
        csrf=token,
        operator=who is not None and who.role.allows(Role.OPERATOR),
        path=request.url.path,
        **values,
    )
    response = HTMLResponse(html, status_code=int(values.get("status", 200)))
    if fresh:
        set_csrf(request, response, token)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", principal(request), next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/ui",
) -> Response:
    check_post(request, csrf)
    try:
        token = log_in(request, name=name, password=password)
    except HTTPException as exc:
        return page(
            request,
            "login.html",
            None,
            next=safe_next(next),
            error=exc.detail,
            status=exc.status_code,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, secure=request.url.scheme == "https")
    set_csrf(request, response, secrets.token_urlsafe(32))  # a new token with the new session
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_post(request, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    log_out(request, response)
    return response


@router.get("")
def home(request: Request, who: Viewer) -> HTMLResponse:
    gateway, now = gateway_of(request), utcnow()
    summary = overview(gateway, now)
    overdue = search_messages(engine=gateway.engine, overdue_at=now, limit=10)
    dead = search_messages(engine=gateway.engine, state=MessageState.DEAD.value, limit=10)
    return page(request, "overview.html", who, summary=summary, overdue=overdue, dead=dead, now=now)


@router.get("/messages")
def messages(  # noqa: PLR0917 (the search form's fields)
    request: Request,
    who: Viewer,
    q: str = "",
    partner: str = "",
    state: str = "",
    since: str = "",
    until: str = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    gateway = gateway_of(request)
    start, end = _day(since), _day(until)
    found = search_messages(
        engine=gateway.engine,
        q=q or None,
        partner=partner or None,
        state=state if state in STATES else None,
        since=start,
        until=end + dt.timedelta(days=1) if end else None,
        limit=PAGE_SIZE + 1,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    form = {"q": q, "partner": partner, "state": state, "since": since, "until": until}
    return page(
        request,
        "messages.html",
        who,
        found=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        page_number=page_number,
        form=form,
        partners=sorted(p.id for p in gateway.partners),
        states=STATES,
        now=utcnow(),
    )


def _day(text: str) -> dt.datetime | None:
    """A yyyy-mm-dd date from the form as midnight UTC; None when empty or malformed."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
    except ValueError:
        return None


@router.get("/po/{po}")
def po_page(request: Request, who: Viewer, po: str) -> HTMLResponse:
    steps, found = po_journey(gateway_of(request), po)
    return page(request, "journey.html", who, po=po, steps=steps, found=found, now=utcnow())


@router.get("/messages/{message_id}")
def message_page(request: Request, who: Viewer, message_id: int, done: str = "") -> HTMLResponse:
    gateway = gateway_of(request)
    found = get_message(engine=gateway.engine, message_id=message_id)
    if found is None:
        return page(request, "error.html", who, status=404, error=f"no message {message_id}")
    as2 = find_as2(engine=gateway.engine, message_ids=[message_id]).get(message_id)
    raw = message_raw(engine=gateway.engine, blobs=gateway.blobs, message_id=message_id)
    return page(
        request,
        "message.html",
        who,
        m=found,
        as2=as2,
        raw=_shown(raw),
        done=done,
        resendable=found.state in ("sent", "failed", "dead"),
        now=utcnow(),
    )


@router.post("/messages/{message_id}/resend")
def resend(  # noqa: PLR0917 (the form's fields)
    request: Request,
    who: Viewer,
    message_id: int,
    csrf: Annotated[str, Form()] = "",
    reissue: Annotated[bool, Form()] = False,
    back: Annotated[str, Form()] = "",
) -> Response:
    check_post(request, csrf)
    if not who.role.allows(Role.OPERATOR):
        return page(request, "error.html", who, status=403, error="resending needs an operator")
    gateway = gateway_of(request)
    try:
        request_resend(engine=gateway.engine, message_id=message_id, now=utcnow(), reissue=reissue)
    except (UnknownMessage, ResendRefused) as exc:
        return page(request, "error.html", who, status=exc.http_status, error=exc.reason)
    gateway.wake.set()
    done = "reissued" if reissue else "resent"
    target = safe_next(back) if back else f"/ui/messages/{message_id}"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done={done}", status_code=303)


@router.get("/acks")
def acks(request: Request, who: Viewer) -> HTMLResponse:
    now = utcnow()
    found = search_messages(engine=gateway_of(request).engine, overdue_at=now, limit=500)
    found.sort(key=lambda m: m.ack_due_at or now)
    return page(request, "acks.html", who, found=found, now=now)


@router.get("/dead")
def dead(request: Request, who: Viewer, done: str = "") -> HTMLResponse:
    found = search_messages(
        engine=gateway_of(request).engine, state=MessageState.DEAD.value, limit=500
    )
    return page(request, "dead.html", who, found=found, done=done, now=utcnow())


@router.get("/partners")
def partners(request: Request, who: Viewer) -> HTMLResponse:
    gateway, now = gateway_of(request), utcnow()
    statuses = partner_statuses(gateway, now)
    ours = certificates(gateway, now)["ours"]
    return page(request, "partners.html", who, partners=statuses, ours=ours, now=now)


@router.get("/raw/messages/{message_id}")
def raw_message(
    request: Request, who: Viewer, message_id: int, part: MessagePart = MessagePart.PAYLOAD
) -> HTMLResponse:
    gateway = gateway_of(request)
    found = message_raw(
        engine=gateway.engine, blobs=gateway.blobs, message_id=message_id, part=part
    )
    download = f"/messages/{message_id}/raw?part={part.value}"
    title = f"Message {message_id}: {part.value}"
    return _raw_page(
        request, who, found, title, download=download, back=f"/ui/messages/{message_id}"
    )


@router.get("/raw/documents/{document_id}")
def raw_document(
    request: Request, who: Viewer, document_id: int, kind: DocumentKind = DocumentKind.ORDER
) -> HTMLResponse:
    gateway = gateway_of(request)
    found = document_raw(
        engine=gateway.engine, blobs=gateway.blobs, kind=kind, document_id=document_id
    )
    download = f"/documents/{document_id}/raw?kind={kind.value}"
    return _raw_page(
        request, who, found, f"Document {document_id} ({kind.value})", download=download
    )


def _raw_page(
    request: Request,
    who: Principal,
    found: RawDocument | None,
    title: str,
    *,
    download: str,
    back: str | None = None,
) -> HTMLResponse:
    if found is None:
        return page(request, "error.html", who, status=404, error=f"{title}: not stored")
    return page(
        request, "raw.html", who, title=title, raw=_shown(found), download=download, back=back
    )


def _shown(raw: RawDocument | None) -> dict[str, Any] | None:
    """The text to show inline (decoded leniently, cut at INLINE_BYTES) and its facts."""
    if raw is None:
        return None
    text = raw.content[:INLINE_BYTES].decode("utf-8", errors="replace")
    return {
        "text": text,
        "cut": len(raw.content) > INLINE_BYTES,
        "size": len(raw.content),
        "filename": raw.filename,
        "media_type": raw.media_type,
    }
