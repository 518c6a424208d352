"""Admin authentication through a real gateway: every admin route needs a key or a session,
a viewer reads, an operator also resends; the Coupa, AS2 and health routes are not affected."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

import httpx
import pytest
from sqlalchemy import Engine
from starlette.routing import BaseRoute, Route

from b2b.api.app import create_app
from b2b.api.auth import SESSION_COOKIE, LoginThrottle
from b2b.api.websafety import CSRF_COOKIE
from b2b.config import load_settings
from b2b.store import open_engine, utcnow
from b2b.store.auth import (
    Role,
    add_user,
    create_api_key,
    open_session,
    revoke_api_key,
    verify_user,
)
from tests.api.conftest import BOOTSTRAP_KEY, GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.test_cli import b2b

#: Routes with their own authentication, or none on purpose; every other route is an admin one.
OPEN_PREFIXES = ("/coupa/", "/as2")
OPEN_PATHS = {
    "/health",
    "/ready",
    "/metrics",
    "/ui/login",
    "/ui/logout",  # ends a session: nothing to protect (the dashboard checks its CSRF token)
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
}


def _routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, those of included routers too (FastAPI keeps them in
    their router since 0.12x)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, Route):
            path = prefix + route.path
            yield from ((m, path) for m in sorted(route.methods or ()) if m != "HEAD")


def _admin_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the app that is not open, ids filled in."""
    found = []
    for method, path in _routes(create_app(load_settings()).routes):
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            continue
        found.append((method, re.sub(r"\{[^}]+\}", "1", path)))  # any id or name: 1
    return found


ADMIN_ROUTES = _admin_routes()


@pytest.fixture
def store(gateway: RunningGateway) -> Iterator[Engine]:
    """The gateway's own database, for making keys and users as the CLI would."""
    engine = open_engine(gateway.settings.database_url)
    yield engine
    engine.dispose()


def _anonymous(gateway: RunningGateway, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=30, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_admin_routes_are_the_ones_expected() -> None:
    assert ("GET", "/messages") in ADMIN_ROUTES
    assert ("POST", "/messages/1/resend") in ADMIN_ROUTES
    assert ("GET", "/metrics/throttle") in ADMIN_ROUTES


def _assert_refused(response: httpx.Response, path: str) -> None:
    """401 from the API; a dashboard page sends the browser to its login page instead."""
    if (path == "/ui" or path.startswith("/ui/")) and response.is_redirect:
        assert httpx.URL(response.headers["location"]).path == "/ui/login"
        return
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_every_admin_route_refuses_a_caller_without_credentials(
    gateway: RunningGateway, method: str, path: str
) -> None:
    with _anonymous(gateway) as client:
        _assert_refused(client.request(method, path), path)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_every_admin_route_refuses_a_wrong_key(
    gateway: RunningGateway, method: str, path: str
) -> None:
    with _anonymous(gateway, **_bearer("b2b_0123abcd_" + "x" * 43)) as client:
        _assert_refused(client.request(method, path), path)


def test_a_viewer_reads_but_may_not_resend(gateway: RunningGateway, store: Engine) -> None:
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    token = create_api_key(engine=store, name="monitoring", role=Role.VIEWER, now=utcnow())
    with _anonymous(gateway, **_bearer(token)) as viewer:
        assert (
            viewer.get("/messages", params={"po": SAMPLE_PO}).json()["messages"][0]["id"]
            == (sent["id"])
        )
        assert viewer.get(f"/messages/{sent['id']}").status_code == 200
        assert viewer.get("/inbound").status_code == 200
        assert viewer.get("/metrics/throttle").status_code == 200
        refused = viewer.post(f"/messages/{sent['id']}/resend")
    assert refused.status_code == 403
    assert "operator" in refused.json()["detail"]
    assert gateway.messages(SAMPLE_PO)["messages"][0]["state"] == "sent"  # nothing resent


def test_an_operator_key_resends_and_x_api_key_works_too(
    gateway: RunningGateway, store: Engine
) -> None:
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    token = create_api_key(engine=store, name="ops", role=Role.OPERATOR, now=utcnow())
    with _anonymous(gateway, **{"X-API-Key": token}) as operator:
        response = operator.post(f"/messages/{sent['id']}/resend")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "queued"


def test_a_revoked_key_is_refused(gateway: RunningGateway, store: Engine) -> None:
    token = create_api_key(engine=store, name="old", role=Role.OPERATOR, now=utcnow())
    with _anonymous(gateway, **_bearer(token)) as client:
        assert client.get("/messages").status_code == 200
        assert revoke_api_key(engine=store, name="old", now=utcnow())
        assert client.get("/messages").status_code == 401


def test_a_user_session_works_until_it_expires(gateway: RunningGateway, store: Engine) -> None:
    add_user(engine=store, name="ada", password="correct horse", role=Role.VIEWER, now=utcnow())
    assert verify_user(engine=store, name="ada", password="wrong horse") is None
    ada = verify_user(engine=store, name="ada", password="correct horse")
    assert ada is not None
    now = utcnow()
    token = open_session(engine=store, principal=ada, now=now, ttl=dt.timedelta(hours=1))
    old = open_session(
        engine=store, principal=ada, now=now - dt.timedelta(hours=2), ttl=dt.timedelta(hours=1)
    )
    with _anonymous(gateway) as browser:
        browser.cookies.set(SESSION_COOKIE, token)
        assert browser.get("/messages").status_code == 200
        assert browser.get("/messages/1").status_code in {200, 404}  # reads
        browser.cookies.set(SESSION_COOKIE, old)
        assert browser.get("/messages").status_code == 401


def test_the_bootstrap_key_is_an_operator_and_only_when_configured(
    start_gateway: GatewayFactory,
) -> None:
    configured = start_gateway()
    with _anonymous(configured, **_bearer(BOOTSTRAP_KEY)) as client:
        assert client.post("/messages/999/resend").status_code == 404  # past the check
    with _anonymous(configured, **_bearer(BOOTSTRAP_KEY + "x")) as client:
        assert client.get("/messages").status_code == 401
    without = start_gateway(bootstrap_api_key=None)
    with _anonymous(without, **_bearer(BOOTSTRAP_KEY)) as client:
        assert client.get("/messages").status_code == 401


def test_coupa_health_and_the_api_description_need_no_admin_key(gateway: RunningGateway) -> None:
    with _anonymous(gateway) as client:
        assert client.get("/health").status_code == 200
        ordered = client.post("/coupa/cxml", content=SAMPLE, headers={"Content-Type": "text/xml"})
        assert ordered.status_code == 200
        assert client.get("/docs").status_code == 200
        described = client.get("/openapi.json").json()
    schemes = described["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    assert "security" in described["paths"]["/messages"]["get"]
    assert "security" not in described["paths"]["/coupa/cxml"]["post"]
    assert gateway.wait_for(SAMPLE_PO, "sent")["partner_id"] == "acme"


def test_a_key_made_with_the_cli_opens_the_api(gateway: RunningGateway) -> None:
    env = {"B2B_DATABASE_URL": gateway.settings.database_url}
    made = b2b("keys", "new", "ci", "--role", "viewer", **env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    with _anonymous(gateway, **_bearer(token)) as client:
        assert client.get("/inbound").status_code == 200
    listed = b2b("keys", "list", **env)
    assert "ci" in listed.stdout
    assert token not in listed.stdout


def test_ten_failed_logins_lock_that_name_and_client_out_for_fifteen_minutes() -> None:
    throttle, now = LoginThrottle(), dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    for minute in range(9):
        throttle.failed("ada", "10.0.0.7", now + dt.timedelta(minutes=minute))
    assert throttle.locked_until("ada", "10.0.0.7", now + dt.timedelta(minutes=9)) is None
    throttle.failed("ada", "10.0.0.7", now + dt.timedelta(minutes=9))  # the 10th in 15 minutes
    until = throttle.locked_until("ada", "10.0.0.7", now + dt.timedelta(minutes=9))
    assert until == now + dt.timedelta(minutes=24)
    assert throttle.locked_until("ada", "10.0.0.8", now) is None  # another client
    assert throttle.locked_until("bob", "10.0.0.7", now) is None  # another name
    assert throttle.locked_until("ada", "10.0.0.7", now + dt.timedelta(minutes=24)) is None


def test_failures_older_than_the_window_do_not_count() -> None:
    throttle, now = LoginThrottle(), dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    for minute in range(0, 40, 2):  # 20 failures, never 10 within 15 minutes
        throttle.failed("ada", "10.0.0.7", now + dt.timedelta(minutes=minute))
        assert throttle.locked_until("ada", "10.0.0.7", now + dt.timedelta(minutes=minute)) is None
    throttle.succeeded("ada", "10.0.0.7")


def _login(browser: httpx.Client, gateway: RunningGateway, password: str) -> httpx.Response:
    form = {"name": "ada", "password": password, "csrf": browser.cookies.get(CSRF_COOKIE, "")}
    return browser.post("/ui/login", data=form, headers={"Origin": gateway.url})


def test_logging_in_through_the_dashboard_opens_a_session_and_guessing_locks_out(
    gateway: RunningGateway, store: Engine
) -> None:
    add_user(engine=store, name="ada", password="correct horse", role=Role.VIEWER, now=utcnow())
    with _anonymous(gateway) as browser:
        browser.get("/ui/login")  # the CSRF cookie
        assert _login(browser, gateway, "correct horse").status_code == 303
        assert browser.get("/messages").status_code == 200  # the session cookie
        browser.cookies.delete(SESSION_COOKIE)
        answers = [_login(browser, gateway, f"guess {n}").status_code for n in range(10)]
        assert answers == [401] * 10
        locked = _login(browser, gateway, "correct horse")
        assert locked.status_code == 429
        assert browser.get("/messages").status_code == 401


def test_a_session_cookie_alone_cannot_change_anything_through_the_json_api(
    gateway: RunningGateway, store: Engine
) -> None:
    """The cookie reads the API; a resend through it needs a key in a header (the dashboard's
    own forms carry a CSRF token), so another site's page cannot resend through a browser."""
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    add_user(engine=store, name="grace", password="hopper-1906", role=Role.OPERATOR, now=utcnow())
    grace = verify_user(engine=store, name="grace", password="hopper-1906")
    assert grace is not None
    token = open_session(engine=store, principal=grace, now=utcnow(), ttl=dt.timedelta(hours=1))
    with _anonymous(gateway) as browser:
        browser.cookies.set(SESSION_COOKIE, token)
        assert browser.get(f"/messages/{sent['id']}").status_code == 200
        assert browser.post(f"/messages/{sent['id']}/resend").status_code == 401
    assert gateway.messages(SAMPLE_PO)["messages"][0]["state"] == "sent"  # nothing resent
