"""TOTP and backup codes: setup, verify, revoke, and signing in with them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.security.models import BackupCode, MfaEnrollment
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.portal import Portal, assert_error, assert_ok


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def _enable_totp(portal: Portal, token: str) -> str:
    setup = assert_ok(await portal.post("/security/mfa/otp/setup", token=token))
    assert_ok(
        await portal.post(
            "/security/mfa/otp/verify", {"code": _code(setup["secret"], -1)}, token=token
        )
    )
    return str(setup["secret"])


async def _initiate(portal: Portal, email: str) -> dict[str, Any]:
    data: dict[str, Any] = assert_ok(
        await portal.post("/auth/login/initiate", {"email": email, "password": DEFAULT_PASSWORD})
    )
    return data


class TestMfaList:
    async def test_fresh_account_lists_only_email_as_documented(
        self, portal: Portal, account: Any
    ) -> None:
        tokens = await portal.login(account.email)
        data = assert_ok(await portal.get("/security/mfa", token=tokens["accessToken"]))
        assert data == [
            {
                "mfaMethod": {
                    "code": "EMAIL",
                    "value": 10011001,
                    "label": "Email",
                    "description": "Email verification code",
                },
                "isEnabled": True,
                "isPrimary": True,
                "verifiedAt": None,
            }
        ]

    async def test_lists_the_methods_that_exist(self, portal: Portal, account: Any) -> None:
        token = (await portal.login(account.email))["accessToken"]

        async def listed() -> list[tuple[str, bool, bool]]:
            data = assert_ok(await portal.get("/security/mfa", token=token))
            return [
                (m["mfaMethod"]["code"], m["isEnabled"], m["verifiedAt"] is not None) for m in data
            ]

        # backup codes are not a method of this list (their state: security/mfa/backup-codes)
        assert_ok(await portal.post("/security/mfa/backup-codes/generate", token=token))
        assert await listed() == [("EMAIL", True, False)]
        setup = assert_ok(await portal.post("/security/mfa/otp/setup", token=token))
        assert await listed() == [("EMAIL", True, False), ("TOTP", False, False)]
        assert_ok(
            await portal.post(
                "/security/mfa/otp/verify", {"code": _code(setup["secret"], -1)}, token=token
            )
        )
        assert await listed() == [("EMAIL", True, False), ("TOTP", True, True)]
        assert_ok(
            await portal.post(
                "/security/mfa/otp/revoke", {"code": _code(setup["secret"])}, token=token
            ),
            code="2004",
        )
        assert await listed() == [("EMAIL", True, False)]

    async def test_a_non_ascii_code_is_a_wrong_code(self, portal: Portal, account: Any) -> None:
        token = (await portal.login(account.email))["accessToken"]
        assert_ok(await portal.post("/security/mfa/otp/setup", token=token))
        for code in ["１２３４５６", "12345é", "\u0663\u0663\u0663\u0663\u0663\u0663"]:
            response = await portal.post("/security/mfa/otp/verify", {"code": code}, token=token)
            assert_error(response, 400, "MFA.CODE_INVALID")

    async def test_requires_token(self, portal: Portal) -> None:
        for path in ["/security/mfa", "/security/mfa/backup-codes"]:
            assert_error(await portal.get(path), 401, "ACCESS.TOKEN_MISSING")
        for path in [
            "/security/mfa/otp/setup",
            "/security/mfa/otp/verify",
            "/security/mfa/otp/revoke",
            "/security/mfa/backup-codes/generate",
        ]:
            assert_error(await portal.post(path, {"code": "123456"}), 401, "ACCESS.TOKEN_MISSING")


class TestTotp:
    async def test_setup_shape_and_secret_encrypted(
        self, portal: Portal, account: Any, session: AsyncSession, settings: Any
    ) -> None:
        tokens = await portal.login(account.email)
        setup = assert_ok(await portal.post("/security/mfa/otp/setup", token=tokens["accessToken"]))
        assert list(setup) == ["secret", "qrCodeUri", "issuer", "accountName"]
        assert len(setup["secret"]) == 32
        assert (
            setup["qrCodeUri"]
            == f"otpauth://totp/Portico:{account.email}?secret={setup['secret']}&issuer=Portico"
        )
        assert (setup["issuer"], setup["accountName"]) == ("Portico", account.email)
        stored = (
            await session.execute(
                select(MfaEnrollment.secret_encrypted).where(MfaEnrollment.method == "TOTP")
            )
        ).scalar_one()
        assert stored and setup["secret"] not in stored

    async def test_enable_then_login_with_totp(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        secret = await _enable_totp(portal, tokens["accessToken"])
        mfa = assert_ok(await portal.get("/security/mfa", token=tokens["accessToken"]))
        totp = next(m for m in mfa if m["mfaMethod"]["code"] == "TOTP")
        assert totp["isEnabled"] is True and totp["verifiedAt"] is not None
        started = await _initiate(portal, account.email)
        assert [m["code"] for m in started["mfaMethods"]] == ["EMAIL", "TOTP"]
        done = assert_ok(
            await portal.post(
                "/auth/login/verify",
                {"sessionId": started["sessionId"], "mfaMethod": "TOTP", "code": _code(secret)},
            )
        )
        assert_ok(await portal.get("/profile", token=done["accessToken"]))

    async def test_code_accepted_once(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        secret = await _enable_totp(portal, tokens["accessToken"])
        code = _code(secret)
        first = await _initiate(portal, account.email)
        assert_ok(
            await portal.post(
                "/auth/login/verify",
                {"sessionId": first["sessionId"], "mfaMethod": "TOTP", "code": code},
            )
        )
        second = await _initiate(portal, account.email)
        replay = await portal.post(
            "/auth/login/verify",
            {"sessionId": second["sessionId"], "mfaMethod": "TOTP", "code": code},
        )
        assert_error(replay, 401, "AUTH.MFA_CODE_INVALID")

    async def test_drift_of_one_step_only(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        secret = await _enable_totp(portal, tokens["accessToken"])
        started = await _initiate(portal, account.email)
        too_old = await portal.post(
            "/auth/login/verify",
            {"sessionId": started["sessionId"], "mfaMethod": "TOTP", "code": _code(secret, -3)},
        )
        assert_error(too_old, 401, "AUTH.MFA_CODE_INVALID")
        assert_ok(
            await portal.post(
                "/auth/login/verify",
                {"sessionId": started["sessionId"], "mfaMethod": "TOTP", "code": _code(secret, 1)},
            )
        )

    async def test_verify_failures(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        token = tokens["accessToken"]
        assert_error(
            await portal.post("/security/mfa/otp/verify", {"code": "123456"}, token=token),
            400,
            "MFA.TOTP_NOT_SET_UP",
        )
        setup = assert_ok(await portal.post("/security/mfa/otp/setup", token=token))
        wrong = "000000" if _code(setup["secret"]) != "000000" else "111111"
        assert_error(
            await portal.post("/security/mfa/otp/verify", {"code": wrong}, token=token),
            400,
            "MFA.CODE_INVALID",
        )
        assert_error(
            await portal.post("/security/mfa/otp/verify", {}, token=token),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_error(
            await portal.post("/security/mfa/otp/verify", {"code": 123456}, token=token),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_ok(
            await portal.post(
                "/security/mfa/otp/verify", {"code": _code(setup["secret"])}, token=token
            )
        )
        assert_error(
            await portal.post("/security/mfa/otp/setup", token=token),
            400,
            "MFA.TOTP_ALREADY_ENABLED",
        )

    async def test_revoke(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        token = tokens["accessToken"]
        assert_error(
            await portal.post("/security/mfa/otp/revoke", {"code": "123456"}, token=token),
            400,
            "MFA.TOTP_NOT_SET_UP",
        )
        secret = await _enable_totp(portal, token)
        assert_error(
            await portal.post("/security/mfa/otp/revoke", {"code": "12"}, token=token),
            400,
            "MFA.CODE_INVALID",
        )
        assert_error(
            await portal.post("/security/mfa/otp/revoke", None, token=token),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_ok(
            await portal.post("/security/mfa/otp/revoke", {"code": _code(secret)}, token=token),
            code="2004",
        )
        started = await _initiate(portal, account.email)
        assert [m["code"] for m in started["mfaMethods"]] == ["EMAIL"]

    async def test_wrong_codes_lock_the_account(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        secret = await _enable_totp(portal, tokens["accessToken"])
        wrong = "000000" if _code(secret) != "000000" else "111111"
        for _ in range(5):
            started = await _initiate(portal, account.email)
            response = await portal.post(
                "/auth/login/verify",
                {"sessionId": started["sessionId"], "mfaMethod": "TOTP", "code": wrong},
            )
            assert_error(response, 401, "AUTH.MFA_CODE_INVALID")
        locked = await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(locked, 429, "AUTH.TOO_MANY_ATTEMPTS")


class TestBackupCodes:
    async def test_generate_shape_and_storage(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        tokens = await portal.login(account.email)
        token = tokens["accessToken"]
        assert assert_ok(await portal.get("/security/mfa/backup-codes", token=token)) == {
            "remainingCount": 0,
            "totalGenerated": 0,
        }
        data = assert_ok(await portal.post("/security/mfa/backup-codes/generate", token=token))
        assert list(data) == ["codes", "remainingCount", "totalGenerated"]
        assert len(data["codes"]) == len(set(data["codes"])) == 10
        assert (data["remainingCount"], data["totalGenerated"]) == (10, 10)
        stored = set((await session.execute(select(BackupCode.code_hash))).scalars())
        assert not stored & set(data["codes"]) and len(stored) == 10
        assert assert_ok(await portal.get("/security/mfa/backup-codes", token=token)) == {
            "remainingCount": 10,
            "totalGenerated": 10,
        }

    async def test_login_with_backup_code_once(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        codes = assert_ok(
            await portal.post("/security/mfa/backup-codes/generate", token=tokens["accessToken"])
        )["codes"]
        started = await _initiate(portal, account.email)
        assert [m["code"] for m in started["mfaMethods"]] == ["EMAIL", "BACKUP_CODE"]
        done = assert_ok(
            await portal.post(
                "/auth/login/verify",
                {
                    "sessionId": started["sessionId"],
                    "mfaMethod": "BACKUP_CODE",
                    "code": codes[0].upper(),
                },
            )
        )
        status = assert_ok(
            await portal.get("/security/mfa/backup-codes", token=done["accessToken"])
        )
        assert status == {"remainingCount": 9, "totalGenerated": 10}
        again = await _initiate(portal, account.email)
        replay = await portal.post(
            "/auth/login/verify",
            {"sessionId": again["sessionId"], "mfaMethod": "BACKUP_CODE", "code": codes[0]},
        )
        assert_error(replay, 401, "AUTH.MFA_CODE_INVALID")

    async def test_parallel_use_of_one_code_succeeds_once(
        self, portal: Portal, account: Any
    ) -> None:
        tokens = await portal.login(account.email)
        codes = assert_ok(
            await portal.post("/security/mfa/backup-codes/generate", token=tokens["accessToken"])
        )["codes"]
        challenges = [await _initiate(portal, account.email) for _ in range(4)]
        responses = await asyncio.gather(
            *[
                portal.post(
                    "/auth/login/verify",
                    {"sessionId": c["sessionId"], "mfaMethod": "BACKUP_CODE", "code": codes[1]},
                )
                for c in challenges
            ]
        )
        assert sum(r.status_code == 200 for r in responses) == 1

    async def test_regenerate_invalidates_old_codes(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        old = assert_ok(
            await portal.post("/security/mfa/backup-codes/generate", token=tokens["accessToken"])
        )["codes"]
        assert_ok(
            await portal.post("/security/mfa/backup-codes/generate", token=tokens["accessToken"])
        )
        started = await _initiate(portal, account.email)
        response = await portal.post(
            "/auth/login/verify",
            {"sessionId": started["sessionId"], "mfaMethod": "BACKUP_CODE", "code": old[0]},
        )
        assert_error(response, 401, "AUTH.MFA_CODE_INVALID")

    async def test_not_offered_without_codes(self, portal: Portal, account: Any) -> None:
        started = await _initiate(portal, account.email)
        response = await portal.post(
            "/auth/login/verify",
            {"sessionId": started["sessionId"], "mfaMethod": "BACKUP_CODE", "code": "abcd-efgh"},
        )
        assert_error(response, 401, "AUTH.MFA_CODE_INVALID")
