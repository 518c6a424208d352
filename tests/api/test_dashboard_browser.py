"""The dashboard in a real browser: headless Chromium (Debian's `chromium`) driven by
Playwright clicks through login, search, the PO journey, the raw 850, the partners page and a
resend of a dead letter. Screenshots of each page go to test-output/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.api.test_dashboard import PASSWORD, add_users
from tests.api.test_resend import _as2_partner
from tests.conftest import ROOT
from tests.fixtures.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
# Without the background-networking switches Chromium dials out at start, and this machine's
# closed network refuses it.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (`python3 dev.py test` installs it)"
)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile of its own."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
        )
        try:
            yield context
        finally:
            context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _gateway_with_a_dead_partner(
    start_gateway: GatewayFactory, tmp_path: Path, port: int
) -> RunningGateway:
    """Acme (a folder) and the AS2 demo partner at `port`, where nobody listens yet."""
    folder = tmp_path / "partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", f"http://127.0.0.1:{port}")
    profile += "\n[retry]\nmax_attempts = 2\ninitial_backoff_seconds = 0.05\n"
    (folder / "demo-as2.toml").write_text(profile)
    (folder / "acme.toml").write_text((ROOT / "partners" / "acme.toml").read_text())
    gateway = start_gateway(partners_dir=folder)
    add_users(gateway)
    return gateway


def test_an_operator_follows_a_po_and_resends_a_dead_letter(
    start_gateway: GatewayFactory, tmp_path: Path, chromium: BrowserContext
) -> None:
    port = free_port()
    gateway = _gateway_with_a_dead_partner(start_gateway, tmp_path, port)
    gateway.post_cxml(SAMPLE)
    gateway.post_cxml(AS2_SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    dead = gateway.wait_for(AS2_PO, "dead")
    page = chromium.new_page()
    page.set_default_timeout(10_000)

    page.goto(f"{gateway.url}/ui/messages")
    expect(page).to_have_url(f"{gateway.url}/ui/login?next=%2Fui%2Fmessages")
    shot(page, "01-login")
    page.get_by_label("User").fill("otto")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{gateway.url}/ui/messages")
    expect(page.locator(".who")).to_have_text("otto (operator)")

    page.get_by_role("link", name="Overview").click()
    expect(page.locator(".card.attention").first).to_be_visible()
    shot(page, "02-overview")

    page.get_by_role("searchbox", name="Search").fill(SAMPLE_PO)
    page.keyboard.press("Enter")
    rows = page.locator("table.messages tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(sent["control_numbers"]["ISA13"])
    shot(page, "03-search")

    rows.first.get_by_role("link", name=SAMPLE_PO).click()
    expect(page.locator("h1")).to_contain_text(SAMPLE_PO)
    steps = page.locator(".timeline .step")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("Coupa order")
    expect(steps.nth(1)).to_contain_text("850 to acme")
    expect(steps.nth(1)).to_contain_text(f"ISA13 {sent['control_numbers']['ISA13']}")
    shot(page, "04-journey")

    steps.nth(1).get_by_role("link", name="view").click()
    expect(page.locator("pre.raw")).to_contain_text(f"BEG*00*SA*{SAMPLE_PO}")
    raw = page.locator("pre.raw").inner_text()
    assert raw == (gateway.outbox / "acme" / sent["filename"]).read_text()
    shot(page, "05-raw-850")

    page.get_by_role("link", name="Partners").click()
    as2 = page.locator("#partner-demo-as2")
    expect(as2).to_contain_text("failing")
    expect(as2).to_contain_text("days left")
    expect(page.locator("#partner-acme")).to_contain_text("ok")
    shot(page, "06-partners")

    page.get_by_role("link", name="Overdue acks").click()
    expect(page.locator("h1")).to_have_text("Overdue acknowledgments")
    shot(page, "07-acks")

    _as2_partner(start_gateway, tmp_path, port)  # the partner is back
    page.get_by_role("link", name="Dead letters").click()
    row = page.locator("table.messages tbody tr", has_text=AS2_PO)
    expect(row).to_have_count(1)
    shot(page, "08-dead-letters")
    row.get_by_role("button", name="Resend").click()
    expect(page.locator(".notice")).to_contain_text("Resent")
    expect(page.locator("table.messages tbody tr", has_text=AS2_PO)).to_have_count(0)
    shot(page, "09-resent")

    gateway.wait_for(AS2_PO, "sent")
    page.goto(f"{gateway.url}/ui/messages/{dead['id']}")
    expect(page.locator("h1 .state")).to_have_text("sent")
    expect(page.locator("table").last).to_contain_text("resend requested by operator")
    shot(page, "10-message-resent")
