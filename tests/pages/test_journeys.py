"""On each portal, as a person in the browser: sign-up with the mailed code, sign-in, a
recharge the issuer approves, a transfer, an exchange and an export downloaded."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.page_flows import approve_partner, recharge, sign_in, sign_out, sign_up
from tests.support.pages import Site, new_email, shot

# One xdist worker runs the browser tests: one site, one Chromium.
pytestmark = pytest.mark.xdist_group("pages")


@pytest.mark.parametrize("portal", ["consumer", "partner"])
def test_journey(page: Page, site: Site, portal: str) -> None:
    payee = new_email(f"{portal}-payee")
    me = new_email(portal)
    # The payee signs up first (so the transfer has somebody to go to), then signs out.
    sign_up(page, site, portal, payee)
    sign_out(page)
    shot(page, f"{portal}-sign-in")

    sign_up(page, site, portal, me)
    sign_out(page)
    if portal == "partner":
        approve_partner(site, me)
        approve_partner(site, payee)
    sign_in(page, site, portal, me)

    biz_id = recharge(page, site, portal, "500")
    shot(page, f"{portal}-recharge-detail")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("td[data-wallet-balance=USD]")).to_have_text("500.00")
    assert biz_id

    # Transfer 120.50 USD by email.
    page.get_by_role("link", name="Transfer").click()
    page.get_by_label("To (email or wallet id)").fill(payee)
    page.get_by_label("Amount").fill("120.50")
    page.get_by_label("Note (optional)").fill("lunch")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Transfer sent.")).to_be_visible()
    expect(page.locator("table")).to_contain_text("120.50 USD")
    shot(page, f"{portal}-transfer")

    # Exchange 100 USD to EUR: the quote counts down, then is confirmed.
    page.get_by_role("link", name="Exchange").click()
    page.get_by_label("From currency").select_option("USD")
    page.get_by_label("To currency").select_option("EUR")
    page.locator("#quote-amount").fill("100")
    page.get_by_role("button", name="Get quote").click()
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text("valid for")
    first = int(timer.locator(".seconds").inner_text())
    assert 0 < first <= 30
    shot(page, f"{portal}-exchange-quote")
    page.get_by_role("button", name="Exchange now").click()
    expect(page.get_by_text("Exchange done.")).to_be_visible()
    expect(page.locator("table")).to_contain_text("100.00 USD")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("td[data-wallet-balance=USD]")).to_have_text("279.50")
    expect(page.locator("td[data-wallet-balance=EUR]")).to_have_text(re.compile(r"^\d+\.\d{2}$"))
    expect(page.locator("#balance-chart")).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart('balance-chart')")
    shot(page, f"{portal}-dashboard")

    # Export the transfers, wait for the job, download the file.
    page.get_by_role("link", name="Exports").click()
    page.get_by_label("What").select_option("TRANSFERS")
    page.get_by_label("Format").select_option("CSV")
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page.get_by_text("Export started")).to_be_visible()
    deadline = time.monotonic() + 60
    while not page.get_by_role("link", name=re.compile("^Download")).count():
        assert time.monotonic() < deadline, "the export did not complete"
        time.sleep(0.5)
        page.get_by_role("link", name="Refresh the list").click()
    shot(page, f"{portal}-exports")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^Download")).first.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "120.50" in content
