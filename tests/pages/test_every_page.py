"""Every page of both portals: no serious or critical axe-core violation, a screenshot each,
and on every form a wrong input that shows the API's own error next to its field."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.page_flows import approve_partner, recharge, sign_in, sign_out, sign_up
from tests.support.pages import Site, new_email, shot

# One xdist worker runs the browser tests: one site, one Chromium.
pytestmark = pytest.mark.xdist_group("pages")

PUBLIC = ["/sign-in", "/sign-up", "/forgot-password"]
SIGNED_IN = [
    "/dashboard",
    "/transfer",
    "/exchange",
    "/recharge",
    "/withdraw",
    "/security",
    "/sessions",
    "/ip-whitelist",
    "/workspace",
    "/roles",
    "/api-keys",
    "/exports",
]
axe = Axe()


def check(page: Page, name: str) -> None:
    results = axe.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"
    shot(page, name)


def error_of(page: Page, action: str, field: str) -> str:
    locator = page.locator(f"#{action}-{field}-error")
    expect(locator).to_be_visible()
    return locator.inner_text()


@pytest.mark.parametrize("portal", ["consumer", "partner"])
def test_every_page(page: Page, site: Site, portal: str) -> None:
    page.goto("/")
    check(page, "landing")
    for path in PUBLIC:
        page.goto(f"/{portal}{path}")
        check(page, f"{portal}{path.replace('/', '-')}")
    me = new_email(f"{portal}-pages")
    sign_up(page, site, portal, me)
    if portal == "partner":
        approve_partner(site, me)
    recharge(page, site, portal, "50")
    check(page, f"{portal}-recharge-detail")
    pages = SIGNED_IN + (["/referrals"] if portal == "partner" else [])
    for path in pages:
        page.goto(f"/{portal}{path}")
        expect(page.locator("h1")).to_be_visible()
        check(page, f"{portal}{path.replace('/', '-')}")
    # the pages with what only an action shows
    page.goto(f"/{portal}/exchange")
    page.locator("#quote-amount").fill("10")
    page.get_by_role("button", name="Get quote").click()
    check(page, f"{portal}-exchange-quote")
    page.goto(f"/{portal}/api-keys")
    page.get_by_label("Key name").fill("ci")
    page.locator("input[name=scopes]").first.check()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#api-key-secret")).to_be_visible()
    check(page, f"{portal}-api-key-created")


def test_wrong_input_on_every_form_shows_the_api_error(page: Page, site: Site) -> None:
    portal = "partner"  # the partner portal has every form the consumer one has, and more
    me = new_email("wrong")
    # sign-up: an address that is none
    page.goto(f"/{portal}/sign-up")
    page.get_by_label("Email").fill("not-an-address")
    page.get_by_label("Password").fill("Good-Pass-2026!")
    page.get_by_role("button", name="Create account").click()
    assert error_of(page, "register", "email").startswith("Invalid request parameters")
    sign_up(page, site, portal, me)
    approve_partner(site, me)
    sign_out(page)
    # sign-in: a wrong password, then a wrong code
    page.goto(f"/{portal}/sign-in")
    page.get_by_label("Email").fill(me)
    page.get_by_label("Password").fill("Wrong-Pass-2026!")
    page.get_by_role("button", name="Continue").click()
    assert error_of(page, "login", "password")
    page.get_by_label("Password").fill("Browser-Pass-2026!")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Sign in").click()
    assert error_of(page, "verify", "code") == "Invalid verification code"
    sign_in(page, site, portal, me)
    # forgot / reset
    page.goto(f"/{portal}/forgot-password")
    page.get_by_label("Email").fill("nope")
    page.get_by_role("button", name="Send the link").click()
    assert error_of(page, "forgot", "email").startswith("Invalid request parameters")

    cases = [
        # (page, action, {field: value}, field the error shows at)
        ("/transfer", "transfer", {"to": me, "amount": "abc"}, "amount"),
        ("/exchange", "quote", {"amount": "-5"}, "amount"),
        ("/recharge", "quote", {"amount": "0"}, "amount"),
        ("/recharge", "create", {"amount": "x"}, "amount"),
        ("/withdraw", "create", {"amount": "x"}, "withdrawalChannelBizId"),
        ("/withdraw", "channel", {"channelName": "", "currency": "USD"}, "channelName"),
        ("/security", "totp_verify", {"code": "123456"}, "_"),
        (
            "/security",
            "password",
            {"currentPassword": "Wrong-1234!", "newPassword": "Other-Pass-2026!"},
            "currentPassword",
        ),
        ("/security", "profile", {"accountPhone": "not a phone"}, "accountPhone"),
        ("/sessions", "config", {"maxConcurrentSessions": "99"}, "maxConcurrentSessions"),
        ("/ip-whitelist", "save", {"ips": "300.1.2.3"}, "ips"),
        ("/workspace", "create", {"workspaceName": ""}, "workspaceName"),
        ("/workspace", "update", {"workspaceName": "x" * 500}, "workspaceName"),
        ("/workspace", "invite", {"email": "nobody"}, "email"),
        ("/roles", "create", {"roleName": ""}, "roleName"),
        ("/api-keys", "create", {"name": ""}, "name"),
        ("/referrals", "create", {"code": "!!"}, "code"),
    ]
    for path, action, fields, at in cases:
        page.goto(f"/{portal}{path}")
        form = page.locator(f"form:has(input[name=_action][value={action}])").first
        for name, value in fields.items():
            form.locator(f"[name={name}]").fill(value)
        form.locator("button[type=submit]").click()
        if at == "_":
            locator = page.locator(f"#{action}-error")
            expect(locator).to_be_visible()
        else:
            locator = page.locator(f"#{action}-{at}-error")
            expect(locator, f"{path} {action}").to_be_visible()
        assert locator.inner_text().strip(), f"{path} {action}"
        shot(page, f"error-{path.strip('/')}-{action}")
    # exchange confirm: a quote that is not there any more
    page.goto(f"/{portal}/exchange")
    page.locator("#quote-amount").fill("10")
    page.get_by_role("button", name="Get quote").click()
    page.locator("form:has(input[name=_action][value=confirm]) input[name=quoteId]").evaluate(
        "input => input.value = 'q_expired_or_unknown'"
    )
    page.get_by_role("button", name="Exchange now").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    # export: a type the API does not know (the select offers only known ones)
    page.goto(f"/{portal}/exports")
    page.locator("#create-exportType").evaluate("s => s.options[0].value = 'NOTHING'")
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page.locator("#create-exportType-error")).to_be_visible()
