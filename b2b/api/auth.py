"""Admin authentication for the HTTP API and the dashboard: who is calling, and may they?

    @app.get("/messages", dependencies=[Depends(require(Role.VIEWER))])
    $ curl -H 'Authorization: Bearer b2b_1a2b3c4d_...' http://127.0.0.1:8080/messages

A caller presents an API key (`b2b keys new`) as `Authorization: Bearer <token>` or
`X-API-Key: <token>`, or the session cookie of a logged-in user (`b2b users add`; the dashboard
logs in with `log_in`). The settings' bootstrap key (B2B_BOOTSTRAP_API_KEY) is an operator key
named "bootstrap", for a new installation's first steps. The Coupa and AS2 routes keep their
own authentication and /health stays open: they do not use this module.

Failed logins are counted per user name and client address in this process's memory: after
LOGIN_FAILURES within LOGIN_WINDOW the pair is refused for LOGIN_LOCKOUT. Each node of a
multi-node deployment counts its own (an attacker spreading over N nodes gets N times the tries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import HTTPException, Request, Response, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from b2b.config import Settings
from b2b.store.auth import (
    Principal,
    Role,
    close_session,
    open_session,
    principal_for_token,
    verify_user,
)
from b2b.store.db import utcnow

__all__ = [
    "SESSION_COOKIE",
    "SESSION_TTL",
    "LoginThrottle",
    "Principal",
    "Role",
    "log_in",
    "log_out",
    "principal",
    "require",
    "set_session_cookie",
]

SESSION_COOKIE = "b2b_session"
SESSION_TTL = dt.timedelta(hours=8)
BOOTSTRAP = "bootstrap"
LOGIN_FAILURES = 10
LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_LOCKOUT = dt.timedelta(minutes=15)

# The security schemes OpenAPI (/docs) declares; `principal` reads the same three places.
_bearer = HTTPBearer(
    auto_error=False, description="An API key (`b2b keys new`) or B2B_BOOTSTRAP_API_KEY"
)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="A dashboard login session"
)


def principal(request: Request) -> Principal | None:
    """Who is calling: the first credential presented (bearer, X-API-Key, session cookie), if
    valid; None without one or with a wrong, revoked or expired one. Looked up once a request.
    """
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    token = _credential(request)
    found = None
    if token:
        gateway = request.app.state.gateway
        found = _bootstrap(gateway.settings, token) or principal_for_token(
            engine=gateway.engine, token=token, now=utcnow()
        )
    request.state.principal = found
    return found


def require(role: Role) -> Callable[..., Principal]:
    """A FastAPI dependency: the caller's Principal, if its role allows `role`.

    401 (`WWW-Authenticate: Bearer`) without a valid credential, 403 when the role is too low.
    """

    def dependency(
        request: Request,
        _bearer_token: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
        _api_key_token: Annotated[str | None, Security(_api_key)],
        _session: Annotated[str | None, Security(_cookie)],
    ) -> Principal:
        found = principal(request)
        if found is None:
            raise HTTPException(
                401,
                "an API key (Authorization: Bearer, or X-API-Key) or a login session is needed",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not found.role.allows(role):
            raise HTTPException(403, f"{found.role} {found.name!r} may not do this: {role} only")
        return found

    return dependency


def _credential(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or _session_cookie(request)


def _session_cookie(request: Request) -> str | None:
    """The session cookie, where it may stand for the user: on the dashboard (whose forms check
    a CSRF token) and for reading. A state-changing JSON call needs a key in a header, so a
    page elsewhere cannot make the browser send one with the cookie (SameSite is not all)."""
    if request.method in {"GET", "HEAD"} or request.url.path.startswith("/ui/"):
        return request.cookies.get(SESSION_COOKIE)
    return None


def _bootstrap(settings: Settings, token: str) -> Principal | None:
    secret = settings.secret("bootstrap_api_key")  # unsealed if sealed
    if not secret:
        return None
    expected = hashlib.sha256(secret.encode()).digest()
    if not hmac.compare_digest(hashlib.sha256(token.encode()).digest(), expected):
        return None
    return Principal(BOOTSTRAP, Role.OPERATOR, "bootstrap")


class LoginThrottle:
    """Failed logins per (user name, client address), in memory: after `limit` failures within
    `window`, the pair is refused for `lockout`.

    >>> throttle.failed("ada", "10.0.0.7", now)
    >>> throttle.locked_until("ada", "10.0.0.7", now)  # None, or when it may try again
    """

    def __init__(
        self,
        *,
        limit: int = LOGIN_FAILURES,
        window: dt.timedelta = LOGIN_WINDOW,
        lockout: dt.timedelta = LOGIN_LOCKOUT,
    ) -> None:
        self._limit, self._window, self._lockout = limit, window, lockout
        self._failures: dict[tuple[str, str], list[dt.datetime]] = {}
        self._locked: dict[tuple[str, str], dt.datetime] = {}
        self._lock = threading.Lock()

    def locked_until(self, name: str, client: str, now: dt.datetime) -> dt.datetime | None:
        """When the pair may try again, if it is locked out now."""
        with self._lock:
            until = self._locked.get((name, client))
            if until is not None and until <= now:
                del self._locked[(name, client)]
                return None
            return until

    def failed(self, name: str, client: str, now: dt.datetime) -> None:
        """Count a failure; the limit-th within the window locks the pair out."""
        key = (name, client)
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self._window]
            recent.append(now)
            if len(recent) >= self._limit:
                self._locked[key] = now + self._lockout
                self._failures.pop(key, None)
            else:
                self._failures[key] = recent
            if len(self._failures) > 10_000:  # forget stale pairs: memory stays bounded
                self._failures = {
                    k: v for k, v in self._failures.items() if now - v[-1] < self._window
                }

    def succeeded(self, name: str, client: str) -> None:
        """A successful login clears the pair's failures."""
        with self._lock:
            self._failures.pop((name, client), None)


def log_in(request: Request, *, name: str, password: str) -> str:
    """Check a user's password and open a session: returns its token (`set_session_cookie`).

    HTTPException 401 for a wrong name or password, 429 (Retry-After) while the name and
    client address are locked out after too many failures.
    """
    gateway = request.app.state.gateway
    throttle = _throttle(request)
    client = request.client.host if request.client else ""
    now = utcnow()
    until = throttle.locked_until(name, client, now)
    if until is not None:
        wait = int((until - now).total_seconds()) + 1
        raise HTTPException(
            429,
            f"too many failed logins: try again in {wait // 60 + 1} minutes",
            headers={"Retry-After": str(wait)},
        )
    found = verify_user(engine=gateway.engine, name=name, password=password)
    if found is None:
        throttle.failed(name, client, now)
        raise HTTPException(401, "wrong user name or password")
    throttle.succeeded(name, client)
    return open_session(engine=gateway.engine, principal=found, now=now, ttl=SESSION_TTL)


def log_out(request: Request, response: Response) -> None:
    """End the caller's session (if any) and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(engine=request.app.state.gateway.engine, token=token)
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    """The session cookie: HttpOnly, SameSite=Strict (no cross-site form can use it), for
    SESSION_TTL; `secure` when the gateway is reached over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def _throttle(request: Request) -> LoginThrottle:
    state = request.app.state
    with _THROTTLE_LOCK:
        if not hasattr(state, "login_throttle"):
            state.login_throttle = LoginThrottle()
        found: LoginThrottle = state.login_throttle
    return found


_THROTTLE_LOCK = threading.Lock()
