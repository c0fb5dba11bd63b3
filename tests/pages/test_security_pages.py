"""Security on the pages: TOTP set up by QR code and used to sign in, backup codes shown once
and downloadable, session expiry back to sign-in, CSRF, cookies and headers."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.page_flows import sign_in, sign_out, sign_up
from tests.support.pages import Site, new_email, shot

# One xdist worker runs the browser tests: one site, one Chromium.
pytestmark = pytest.mark.xdist_group("pages")


def test_totp_setup_and_sign_in_with_it(page: Page, site: Site) -> None:
    me = new_email("totp")
    sign_up(page, site, "consumer", me)
    page.get_by_role("link", name="Security").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    shot(page, "consumer-security-totp")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.now())
    used_step = totp.timecode(datetime.now(UTC))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Authenticator app turned on.")).to_be_visible()

    page.get_by_role("button", name="Make new backup codes").click()
    codes = page.locator("#backup-codes li").all_inner_texts()
    assert len(codes) >= 8
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the codes").click()
    assert Path(info.value.path()).read_text().split() == codes
    shot(page, "consumer-security-backup-codes")
    page.goto("/consumer/security")
    expect(page.locator("#backup-codes")).to_have_count(0)  # shown once

    sign_out(page)

    def fresh_code() -> str:
        # A code once accepted is not accepted again: wait for the app's next one.
        while totp.timecode(datetime.now(UTC)) <= used_step:
            time.sleep(0.5)
        return totp.now()

    sign_in(page, site, "consumer", me, method="TOTP", code=fresh_code)
    sign_out(page)
    sign_in(page, site, "consumer", me, method="BACKUP_CODE", code=codes[0])


def test_session_ended_elsewhere_goes_back_to_sign_in(browser: Browser, site: Site) -> None:
    me = new_email("expiry")
    first = browser.new_context(base_url=site.url)
    second = browser.new_context(base_url=site.url)
    try:
        a, b = first.new_page(), second.new_page()
        sign_up(a, site, "partner", me)
        sign_in(b, site, "partner", me)
        b.get_by_role("link", name="Sessions").click()
        shot(b, "partner-sessions")
        b.get_by_role("button", name="Sign out everywhere else").click()
        expect(b.get_by_text(re.compile(r"\d+ other sessions ended"))).to_be_visible()
        a.get_by_role("link", name="Transfer").click()
        expect(a.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(a.get_by_text("Your session has ended. Please sign in again.")).to_be_visible()
    finally:
        first.close()
        second.close()


def test_csrf_cookies_and_headers(page: Page, site: Site) -> None:
    response = page.goto("/consumer/sign-in")
    assert response is not None
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy
    assert "form-action 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["cache-control"] == "no-store"
    cookie = next(c for c in page.context.cookies() if c["name"] == "portico_consumer")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/consumer/"
    assert page.evaluate("() => document.cookie") == ""  # nothing a script can read
    assert page.evaluate("() => window.localStorage.length") == 0

    # A POST without the form's token, or from another site, is refused and changes nothing.
    with httpx.Client(base_url=site.url) as client:
        client.get("/consumer/sign-in")
        refused = client.post(
            "/consumer/sign-in", data={"_action": "login", "email": "a@b.co", "password": "x"}
        )
        assert refused.status_code == 403
        assert "did not come from this site" in refused.text
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/consumer/sign-in").text)
        assert token
        foreign = client.post(
            "/consumer/sign-in",
            data={"_action": "login", "csrf": token.group(1), "email": "a@b.co"},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        # The reset link's token leaves the address bar at once.
        moved = client.get("/consumer/reset-password?token=abc", follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/consumer/reset-password"
