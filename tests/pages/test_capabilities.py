"""The capabilities beyond the journeys: the recharge proof viewed again, the sandbox reset,
renaming a role, and the referral code's note, each with axe-core and a wrong input; and the
wrong inputs the other tests leave out (a proof that is no image, a wrong sign-up code)."""

from __future__ import annotations

import os
import time

from playwright.sync_api import Page, expect

from tests.pages.test_every_page import check, error_of
from tests.support.page_flows import PNG, approve_partner, recharge, sign_up, submit
from tests.support.pages import PASSWORD, Site, new_email, shot


def test_proof_download_sandbox_reset_and_role_rename(page: Page, site: Site) -> None:
    sign_up(page, site, "consumer", new_email("more"))
    recharge(page, site, "consumer", "20")
    # the proof uploaded on the order's page downloads again, byte for byte
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the proof").click()
    assert download.value.suggested_filename == "proof.png"
    with open(download.value.path(), "rb") as got:
        assert got.read() == PNG
    # a file that is no image nor PDF: the API's refusal, shown at the upload form
    page.locator("#proof-file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just text"}]
    )
    page.get_by_role("button", name="Upload").click()
    refusal = page.locator("#proof-file-error, #proof-error").first
    expect(refusal).to_be_visible()
    assert refusal.inner_text().strip()
    # a phone photo's size (past the 1 MiB of other bodies) goes through the page to the API
    recharge(page, site, "consumer", "30", proof=PNG + os.urandom(3 * 1024 * 1024))

    # a sandbox: create it, switch to it, reset it
    page.goto("/consumer/workspace")
    expect(page.get_by_role("heading", name="Sandbox")).to_have_count(0)  # LIVE: no reset
    page.locator("#create-workspaceName").fill("Play")
    page.locator("#create-workspaceKind").select_option("SANDBOX")
    submit(page, "create")
    expect(page.get_by_text("Workspace created.")).to_be_visible()
    page.locator("#switch-workspace").select_option(label="Play")
    submit(page, "switch")
    expect(page.get_by_text("Workspace switched.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sandbox")).to_be_visible()
    check(page, "consumer-workspace-sandbox")
    submit(page, "sandbox_reset")
    expect(page.get_by_text("Sandbox reset.")).to_be_visible()

    # roles: create one, rename it; a name that is too long is the API's error at the field
    page.goto("/consumer/roles")
    page.locator("#create-roleName").fill("Auditors")
    submit(page, "create")
    expect(page.get_by_text("Role created.")).to_be_visible()
    page.locator("#update-roleId").select_option(label="Auditors")
    page.locator("#update-roleName").fill("x" * 500)
    submit(page, "update")
    assert error_of(page, "update", "roleName").startswith("Invalid request parameters")
    page.locator("#update-roleId").select_option(label="Auditors")
    page.locator("#update-roleName").fill("Reviewers")
    submit(page, "update")
    expect(page.get_by_text("Role saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Reviewers")).to_be_visible()
    check(page, "consumer-roles-update")


def test_referral_code_note(page: Page, site: Site) -> None:
    me = new_email("note")
    # sign-up with a wrong emailed code first: the API's error at the code
    page.goto("/partner/sign-up")
    page.get_by_label("Email").fill(me)
    page.get_by_label("Password").fill(PASSWORD)
    started = time.time()
    page.get_by_role("button", name="Create account").click()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    assert error_of(page, "verify", "code") == "Invalid verification code"
    page.get_by_label("Code").fill(site.mail_code(me, started))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    approve_partner(site, me)
    page.goto("/partner/referrals")
    page.locator("#create-extraData").fill("first")  # a code or a note is required
    submit(page, "create")
    expect(page.get_by_text("Referral code created.")).to_be_visible()
    expect(page.locator("#note-extraData")).to_have_value("first")
    page.locator("#note-extraData").fill("n" * 1001)
    submit(page, "note")
    assert error_of(page, "note", "extraData").startswith("Invalid request parameters")
    page.locator("#note-extraData").fill("spring campaign")
    submit(page, "note")
    expect(page.get_by_text("Note saved.")).to_be_visible()
    expect(page.locator("#note-extraData")).to_have_value("spring campaign")
    check(page, "partner-referrals-note")
    shot(page, "partner-referrals-note")
