"""Browser-facing safety for the dashboard: security headers, CSRF and Origin checks, and
where a login may send the browser next.

CSRF is double-submit: a random token in a SameSite=Strict, HttpOnly cookie and in every form;
a POST must carry both, equal, and come from our own origin (Origin, else Referer).

    >>> check_post(request, form_token)   # HTTPException 403 when refused
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "b2b_csrf"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on a form
    # POST, and the Origin check below could not tell our own forms from anyone's.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Pure ASGI middleware: SECURITY_HEADERS on every /ui response, nothing else touched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/ui" or path.startswith("/ui/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def set_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def check_post(request: Request, csrf: str) -> None:
    """403 unless the POST comes from our own origin and carries the CSRF cookie's token."""
    ours = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    referer = request.headers.get("referer", "")
    if origin is not None and origin != "null":
        same = origin == ours
    else:
        same = referer == ours or referer.startswith(f"{ours}/")
    if not same:
        raise HTTPException(403, "refused: this form was not posted from this site")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (cookie and csrf and hmac.compare_digest(cookie.encode(), csrf.encode())):
        raise HTTPException(403, "refused: the form's CSRF token is missing or wrong")


def safe_next(target: str | None) -> str:
    """`target` if it is a dashboard path on this site, else the overview."""
    if not target or any(c in target for c in "\\\r\n\t") or target.startswith("//"):
        return "/ui"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/ui" or parts.path.startswith("/ui/")):
        return "/ui"
    return target
