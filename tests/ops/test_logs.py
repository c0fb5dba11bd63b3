"""`PORTICO_LOG_FORMAT=json`: one JSON line per request and per security event; the logs of a
full sign-in, a transfer and a failed login hold no secret (password, mailed code, tokens,
email)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from portico.enums import AccountPortal
from portico.ops.logs import JsonFormatter
from portico.web.middleware import RequestIdFilter
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.money import Money
from tests.support.portal import assert_error, assert_ok

pytestmark = pytest.mark.parametrize("portal_kind", [AccountPortal.CONSUMER], ids=["consumer"])


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything `portico.*` logs at INFO and above, formatted as `PORTICO_LOG_FORMAT=json`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("portico")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_sign_in_transfer_and_failed_login_leak_nothing(
    money: Money, json_log: io.StringIO
) -> None:
    alice, portal = money.alice, money.alice.portal
    email = alice.account.email
    wallet = await money.fund(alice, amount="50")

    # a full sign-in: password, mailed code, tokens
    started = assert_ok(
        await portal.post("/auth/login/initiate", {"email": email, "password": DEFAULT_PASSWORD})
    )
    code = await portal.outbox.last_code(email)
    tokens = assert_ok(
        await portal.post(
            "/auth/login/verify",
            {"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": code},
        )
    )
    refreshed = assert_ok(
        await portal.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]})
    )
    # a transfer by email
    transfer = {
        "fromWalletBizId": wallet,
        "toAccountEmail": money.bob.account.email,
        "amount": "12.34",
        "remark": "rent for may",
    }
    assert_ok(
        await portal.post(
            "/transfer/command/create", transfer, token=refreshed["accessToken"], headers={}
        ),
        "2001",
        201,
    )
    # a failed login (a wrong password), then a wrong code
    wrong = await portal.post("/auth/login/initiate", {"email": email, "password": "Not-it-123!"})
    assert_error(wrong, 401, "AUTH.INVALID_CREDENTIALS")
    again = assert_ok(
        await portal.post("/auth/login/initiate", {"email": email, "password": DEFAULT_PASSWORD})
    )
    bad_code = "000000" if code != "000000" else "111111"
    assert_error(
        await portal.post(
            "/auth/login/verify",
            {"sessionId": again["sessionId"], "mfaMethod": "EMAIL", "code": bad_code},
        ),
        401,
        "AUTH.MFA_CODE_INVALID",
    )
    assert_ok(await portal.post("/auth/logout", token=refreshed["accessToken"]))

    text = json_log.getvalue()
    secrets = {
        "password": DEFAULT_PASSWORD,
        "wrong password": "Not-it-123!",
        "code": code,
        "access token": tokens["accessToken"],
        "refresh token": tokens["refreshToken"],
        "new access token": refreshed["accessToken"],
        "new refresh token": refreshed["refreshToken"],
        "login session": started["sessionId"],
        "payer email": email,
        "payee email": money.bob.account.email,
        "amount": "12.34",
        "remark": "rent for may",
    }
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} is in the log"
    # the domain alone is no email, but neither is the local part written anywhere
    assert email.split("@")[0] not in text

    records = lines(json_log)
    requests = [r for r in records if r["message"] == "request"]
    assert len(requests) == 8
    for line in requests:
        assert set(line) == {
            "time",
            "level",
            "logger",
            "request_id",
            "message",
            "method",
            "route",
            "status",
            "duration_ms",
            "account_id",
            "workspace_id",
        }
        assert len(line["request_id"]) == 32
    created = next(r for r in requests if r["route"].endswith("/transfer/command/create"))
    assert created["route"] == "/web/v1/consumer/transfer/command/create"
    assert created["status"] == 201 and created["method"] == "POST"
    assert created["account_id"] == alice.account.biz_id
    assert created["workspace_id"] == alice.workspace.biz_id
    unsigned = next(r for r in requests if r["route"].endswith("/auth/login/initiate"))
    assert unsigned["account_id"] is None

    events = [(r["event"], r.get("reason")) for r in records if r["message"] == "security"]
    assert events == [
        ("signin_failed", "INVALID_CREDENTIALS"),
        ("signin_failed", "MFA_CODE_INVALID"),
        ("session_ended", "LOGOUT"),
    ]
    failure = next(r for r in records if r.get("event") == "signin_failed")
    assert failure["account_id"] == alice.account.biz_id and failure["portal"] == "CONSUMER"
    assert failure["ip"] == "203.0.113.10"


async def test_security_events_are_lines_of_their_own(
    money: Money, json_log: io.StringIO, settings: Any
) -> None:
    alice, portal = money.alice, money.alice.portal
    assert_ok(await alice.post("/security/mfa/backup-codes/generate"))
    key = await alice.post("/api-keys", {"name": "books", "scopes": ["wallet:read"]})
    key_id = assert_ok(key, "2001", 201)["apiKeyId"]
    assert_error(await alice.post("/sandbox/reset"), 403, "ACCESS.PERMISSION_DENIED")
    for _ in range(settings.login_account_max_failures + 1):
        await portal.post(
            "/auth/login/initiate", {"email": alice.account.email, "password": "Not-it-123!"}
        )
    events = [r for r in lines(json_log) if r["message"] == "security"]
    by_event = {r["event"]: r for r in events}
    assert by_event["mfa_changed"]["change"] == "BACKUP_CODES_GENERATED"
    assert by_event["mfa_changed"]["account_id"] == alice.account.biz_id
    assert by_event["api_key_created"]["api_key_id"] == key_id
    assert by_event["api_key_created"]["workspace_id"] == alice.workspace.biz_id
    refused = by_event["permission_refused"]
    assert refused["route"] == "/web/v1/consumer/sandbox/reset"
    assert refused["account_id"] == alice.account.biz_id
    assert by_event["signin_locked"]["scope"] == "account"
    failures = [r for r in events if r["event"] == "signin_failed"]
    assert len(failures) == settings.login_account_max_failures
    assert alice.account.email not in json_log.getvalue()
