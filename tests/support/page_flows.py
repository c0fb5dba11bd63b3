"""What a person does on the pages, step by step (shared by the browser tests)."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from portico.cli.partner import decide_from_cli
from portico.enums import AccountPortal
from portico.issuer import service as issuer_service
from portico.issuer.audit import cli_actor
from tests.support.pages import PASSWORD, Site, run_async


def submit(page: Page, form_action: str, label: str | None = None) -> None:
    """Press the submit button of the form whose `_action` is `form_action`."""
    form = page.locator(f"form:has(input[name=_action][value={form_action}])")
    if label:
        form = form.filter(has=page.get_by_role("button", name=label))
    form.first.locator("button[type=submit]").click()


def sign_up(page: Page, site: Site, portal: str, email: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=f"{portal.title()} portal").click()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Name").fill("Browser Tester")
    started = time.time()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    page.get_by_label("Code").fill(site.mail_code(email, started))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_in(
    page: Page,
    site: Site,
    portal: str,
    email: str,
    *,
    method: str = "EMAIL",
    code: Any = None,
    password: str = PASSWORD,
) -> None:
    page.goto(f"/{portal}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    started = time.time()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Method").select_option(method)
    value = code() if callable(code) else code
    page.get_by_label("Code", exact=True).fill(value or site.mail_code(email, started))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def approve_partner(site: Site, email: str) -> None:
    """The issuer approves the partner, as `portico partner approve EMAIL` does."""
    run_async(
        decide_from_cli(
            site.settings, decision="approve", email=email, institution=site.institution.biz_id
        )
    )


def approve_recharge(site: Site, biz_id: str) -> None:
    async def work(session: Any) -> None:
        await issuer_service.approve_recharge(session, recharge_biz_id=biz_id, actor=cli_actor())

    site.run(work)


def recharge(
    page: Page, site: Site, portal: str, amount: str = "500", proof: bytes | None = None
) -> str:
    """Create a USD recharge on the page, upload a proof, and have the issuer approve it."""
    page.goto(f"/{portal}/recharge")
    form = page.locator("form:has(input[name=_action][value=create])")
    usd = form.locator("select[name=channelBizId] option", has_text="(USD)").first.get_attribute(
        "value"
    )
    page.locator(
        "form:has(input[name=_action][value=quote]) select[name=channelBizId]"
    ).select_option(usd)
    page.locator("#quote-amount").fill(amount)
    page.get_by_role("button", name="Show fees").click()
    expect(page.get_by_text("will be credited")).to_be_visible()
    page.locator("#create-channelBizId").select_option(usd)
    page.locator("#create-amount").fill(amount)
    page.get_by_role("button", name="Create recharge").click()
    expect(page.get_by_role("heading", name="Recharge", exact=True)).to_be_visible()
    biz_id = page.locator("dd.mono").first.inner_text().strip()
    page.locator("#proof-file").set_input_files(
        files=[{"name": "proof.png", "mimeType": "image/png", "buffer": proof or PNG}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Proof uploaded.")).to_be_visible()
    approve_recharge(site, biz_id)
    page.reload()
    expect(page.locator("#recharge-status")).to_contain_text("ompleted")
    return biz_id


# A 1×1 PNG: what the file checks take for an image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

PORTALS = {AccountPortal.CONSUMER: "consumer", AccountPortal.PARTNER: "partner"}
