"""The dashboard over HTTP: login and its redirects, CSRF and Origin checks, roles, escaping of
untrusted documents, security headers. A real gateway; the browser test clicks through it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from b2b.store import open_engine, utcnow
from b2b.store.auth import Role, add_user
from tests.api.conftest import RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO, _with

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_users(gateway: RunningGateway) -> None:
    """A viewer "vera" and an operator "otto", both with PASSWORD."""
    engine = open_engine(gateway.settings.database_url)
    try:
        for name, role in (("vera", Role.VIEWER), ("otto", Role.OPERATOR)):
            add_user(engine=engine, name=name, password=PASSWORD, role=role, now=utcnow())
    finally:
        engine.dispose()


@pytest.fixture
def site(gateway: RunningGateway) -> RunningGateway:
    add_users(gateway)
    return gateway


@contextmanager
def browser(gateway: RunningGateway) -> Iterator[httpx.Client]:
    """A client without the API key, posting forms from the gateway's own origin."""
    with httpx.Client(base_url=gateway.url, headers={"Origin": gateway.url}) as client:
        yield client


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def log_in(client: httpx.Client, name: str, next_: str = "/ui") -> httpx.Response:
    token = csrf_of(client.get("/ui/login"))
    form = {"name": name, "password": PASSWORD, "csrf": token, "next": next_}
    return client.post("/ui/login", data=form)


def test_pages_redirect_to_login_and_back_after_it(site: RunningGateway) -> None:
    with browser(site) as client:
        response = client.get("/ui/messages", params={"q": SAMPLE_PO})
        assert response.status_code == 303
        target = response.headers["location"]
        assert target == f"/ui/login?next=%2Fui%2Fmessages%3Fq%3D{SAMPLE_PO}"
        login = client.get(target)
        assert 'name="next" value="/ui/messages?q=HMG-PO-100482"' in login.text
        answer = log_in(client, "vera", next_=f"/ui/messages?q={SAMPLE_PO}")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/ui/messages?q={SAMPLE_PO}"
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "b2b_session=" in c)
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie
        page = client.get(answer.headers["location"])
        assert page.status_code == 200
        assert "vera (viewer)" in page.text


def test_login_refuses_a_wrong_password_and_never_redirects_off_site(
    site: RunningGateway,
) -> None:
    with browser(site) as client:
        token = csrf_of(client.get("/ui/login"))
        wrong = client.post("/ui/login", data={"name": "vera", "password": "x", "csrf": token})
        assert wrong.status_code == 401
        assert "wrong user name or password" in wrong.text
        assert "b2b_session" not in wrong.headers.get("set-cookie", "")
        for target in ("https://evil.example/ui", "//evil.example/ui", "/messages", "/ui\\x"):
            answer = log_in(client, "vera", next_=target)
            assert answer.headers["location"] == "/ui", target


def test_a_form_without_its_csrf_token_or_from_another_origin_is_refused(
    site: RunningGateway,
) -> None:
    with browser(site) as client:
        token = csrf_of(client.get("/ui/login"))
        form = {"name": "otto", "password": PASSWORD}
        assert client.post("/ui/login", data=form).status_code == 403
        assert client.post("/ui/login", data={**form, "csrf": "guess"}).status_code == 403
        evil = {"Origin": "https://evil.example"}
        refused = client.post("/ui/login", data={**form, "csrf": token}, headers=evil)
        assert refused.status_code == 403
        assert "not posted from this site" in refused.text
        assert log_in(client, "otto").status_code == 303
        site.post_cxml(SAMPLE)
        sent = site.wait_for(SAMPLE_PO, "sent")
        forged = client.post(f"/ui/messages/{sent['id']}/resend", data={"csrf": "guess"})
        assert forged.status_code == 403
        assert site.messages(SAMPLE_PO)["messages"][0]["events"][-1]["state"] == "sent"


def test_a_viewer_sees_the_resend_button_disabled_and_cannot_resend(
    site: RunningGateway,
) -> None:
    site.post_cxml(SAMPLE)
    sent = site.wait_for(SAMPLE_PO, "sent")
    with browser(site) as client:
        log_in(client, "vera")
        page = client.get(f"/ui/messages/{sent['id']}")
        assert re.search(r'value="resend"\s+disabled', page.text), page.text
        refused = client.post(f"/ui/messages/{sent['id']}/resend", data={"csrf": csrf_of(page)})
        assert refused.status_code == 403
        assert "resending needs an operator" in refused.text
    assert "resend" not in [e["state"] for e in site.messages(SAMPLE_PO)["messages"][0]["events"]]
    with browser(site) as client:
        log_in(client, "otto")
        page = client.get(f"/ui/messages/{sent['id']}")
        assert not re.search(r'value="resend"\s+disabled', page.text)
        done = client.post(f"/ui/messages/{sent['id']}/resend", data={"csrf": csrf_of(page)})
        assert done.status_code == 303
        assert done.headers["location"] == f"/ui/messages/{sent['id']}?done=resent"
    states = [e["state"] for e in site.messages(SAMPLE_PO)["messages"][0]["events"]]
    assert "resend" in states


def test_a_hostile_order_is_shown_as_text(site: RunningGateway) -> None:
    script = "<script>alert(1)</script>"
    hostile = _with(
        SAMPLE,
        b"Latex-free only.",
        f"<![CDATA[{script}]]>".encode(),
    )
    hostile = _with(hostile, b"Nitrile exam gloves", b"&lt;img src=x onerror=alert(2)&gt;")
    assert site.post_cxml(hostile).status_code == 200
    sent = site.wait_for(SAMPLE_PO, "sent")
    with browser(site) as client:
        log_in(client, "vera")
        journey = client.get(f"/ui/po/{SAMPLE_PO}")
        order = re.search(r'href="(/ui/raw/documents/\d+\?kind=order)"', journey.text)
        assert order, journey.text
        pages = [
            client.get(order.group(1)),
            client.get(f"/ui/messages/{sent['id']}"),
            client.get("/ui/messages", params={"q": script}),
        ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "<img" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].text
    assert "PID*F****&lt;img src=x onerror=alert(2)" in pages[1].text  # the 850, as text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in pages[2].text


def test_ui_responses_carry_the_security_headers(site: RunningGateway) -> None:
    with browser(site) as client:
        for path in ("/ui/login", "/ui", "/ui/static/b2b.css"):
            headers = client.get(path).headers
            assert headers["x-frame-options"] == "DENY", path
            assert headers["cache-control"] == "no-store", path
            assert "default-src 'self'" in headers["content-security-policy"], path
            assert headers["referrer-policy"] == "same-origin", path
        assert "content-security-policy" not in client.get("/health").headers


def test_logout_ends_the_session(site: RunningGateway) -> None:
    with browser(site) as client:
        log_in(client, "vera")
        page = client.get("/ui")
        assert page.status_code == 200
        assert client.post("/ui/logout", data={"csrf": csrf_of(page)}).status_code == 303
        assert client.get("/ui").status_code == 303
