"""Secure channel: key, sessions, encrypted requests and responses."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.cli.maintenance import rotate_channel_key
from portico.config import Settings
from portico.db import Database, utcnow
from portico.main import create_app
from portico.runtime import runtime_of
from portico.securechannel.models import ChannelKey, ChannelSession
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.portal import Portal, assert_error, assert_ok

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Channel:
    """A test client of the channel protocol."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.key = AESGCM.generate_key(bit_length=256)
        self.session_id = ""

    async def open(self) -> dict[str, Any]:
        info = assert_ok(await self.portal.get("/secure-channel/public-key"))
        public = serialization.load_der_public_key(base64.b64decode(info["publicKey"]))
        assert isinstance(public, rsa.RSAPublicKey)
        wrapped = base64.b64encode(public.encrypt(self.key, OAEP)).decode()
        data: dict[str, Any] = assert_ok(
            await self.portal.post(
                "/secure-channel/session", {"keyId": info["keyId"], "encryptedKey": wrapped}
            )
        )
        self.session_id = data["sessionId"]
        return data

    def seal(self, payload: Any, iv: bytes | None = None) -> dict[str, str]:
        iv = iv or os.urandom(12)
        ciphertext = AESGCM(self.key).encrypt(iv, json.dumps(payload).encode(), None)
        return {
            "iv": base64.b64encode(iv).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }

    def unseal(self, response: httpx.Response) -> Any:
        body = response.json()
        plain = AESGCM(self.key).decrypt(
            base64.b64decode(body["iv"]), base64.b64decode(body["ciphertext"]), None
        )
        return json.loads(plain)

    async def post(
        self, path: str, payload: Any, *, token: str | None = None, raw: Any = None
    ) -> httpx.Response:
        return await self.portal.post(
            path,
            raw if raw is not None else self.seal(payload),
            token=token,
            headers={"X-SC-Session-Id": self.session_id},
        )

    async def get(self, path: str, *, token: str | None = None) -> httpx.Response:
        return await self.portal.get(
            path, token=token, headers={"X-SC-Session-Id": self.session_id}
        )


class TestPublicKey:
    async def test_shape_and_shared_by_portals_and_processes(
        self, portal: Portal, institution: Any, settings: Settings, database: Database
    ) -> None:
        data = assert_ok(await portal.get("/secure-channel/public-key"))
        assert list(data) == [
            "keyId",
            "publicKey",
            "algorithm",
            "keySize",
            "createdAt",
            "expiresAt",
        ]
        assert (data["algorithm"], data["keySize"], data["expiresAt"]) == (
            "RSA-OAEP-2048",
            2048,
            None,
        )
        assert len(data["keyId"]) == 12 and int(data["keyId"], 16) >= 0
        der = base64.b64decode(data["publicKey"])
        assert serialization.load_der_public_key(der).key_size == 2048  # type: ignore[union-attr]
        other = "/web/v1/partner" if portal.prefix.endswith("consumer") else "/web/v1/consumer"
        code = institution.partner if other.endswith("partner") else institution.consumer
        again = assert_ok(
            await portal.http.get(
                f"{other}/secure-channel/public-key", headers={"X-PORTAL-ACCESS-CODE": code}
            )
        )
        assert again == data
        second = create_app(
            settings, database=Database.from_url(settings.resolved_database_url, pool_size=2)
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=second), base_url="http://b"
        ) as client:
            from_second = assert_ok(
                await client.get(
                    f"{portal.prefix}/secure-channel/public-key", headers=portal.headers()
                )
            )
        await runtime_of(second).database.dispose()
        assert from_second == data

    async def test_rotation_keeps_old_key_for_grace(
        self, portal: Portal, settings: Settings, session: AsyncSession
    ) -> None:
        old_channel = Channel(portal)
        old_info = assert_ok(await portal.get("/secure-channel/public-key"))
        await rotate_channel_key(settings, 3600)
        new_info = assert_ok(await portal.get("/secure-channel/public-key"))
        assert new_info["keyId"] != old_info["keyId"]
        public = serialization.load_der_public_key(base64.b64decode(old_info["publicKey"]))
        wrapped = base64.b64encode(public.encrypt(old_channel.key, OAEP)).decode()  # type: ignore[union-attr]
        assert_ok(
            await portal.post(
                "/secure-channel/session", {"keyId": old_info["keyId"], "encryptedKey": wrapped}
            )
        )
        await session.execute(
            update(ChannelKey)
            .where(ChannelKey.key_id == old_info["keyId"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
        response = await portal.post(
            "/secure-channel/session", {"keyId": old_info["keyId"], "encryptedKey": wrapped}
        )
        assert_error(response, 400, "SECURE_CHANNEL.INVALID_PAYLOAD")


class TestSession:
    async def test_open(self, portal: Portal) -> None:
        data = await Channel(portal).open()
        assert list(data) == ["sessionId", "algorithm", "expiresAt"]
        assert data["algorithm"] == "AES-256-GCM"

    async def test_bad_payloads(self, portal: Portal) -> None:
        info = assert_ok(await portal.get("/secure-channel/public-key"))
        public = serialization.load_der_public_key(base64.b64decode(info["publicKey"]))
        short = base64.b64encode(public.encrypt(os.urandom(16), OAEP)).decode()  # type: ignore[union-attr]
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        foreign = base64.b64encode(stranger.encrypt(os.urandom(32), OAEP)).decode()
        for body in [
            {},
            None,
            [],
            {"keyId": info["keyId"]},
            {"keyId": "nope", "encryptedKey": foreign},
            {"keyId": info["keyId"], "encryptedKey": "!!not base64!!"},
            {"keyId": info["keyId"], "encryptedKey": foreign},
            {"keyId": info["keyId"], "encryptedKey": short},
            {"keyId": 5, "encryptedKey": 5},
        ]:
            assert_error(
                await portal.post("/secure-channel/session", body),
                400,
                "SECURE_CHANNEL.INVALID_PAYLOAD",
            )

    async def test_close(self, portal: Portal, account: Any) -> None:
        channel = Channel(portal)
        await channel.open()
        headers = {"X-SC-Session-Id": channel.session_id}
        assert_ok(await portal.post("/secure-channel/session/close", headers=headers), code="2004")
        assert_ok(await portal.post("/secure-channel/session/close", headers=headers), code="2004")
        assert_ok(
            await portal.post(
                "/secure-channel/session/close", headers={"X-SC-Session-Id": "unknown"}
            ),
            code="2004",
        )
        assert_error(
            await portal.post("/secure-channel/session/close"), 400, "VALIDATION.INVALID_PARAMETER"
        )
        response = await channel.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(response, 400, "SECURE_CHANNEL.INVALID_PAYLOAD")


class TestEncryptedCalls:
    async def test_full_login_through_the_channel(self, portal: Portal, account: Any) -> None:
        channel = Channel(portal)
        await channel.open()
        started = await channel.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert started.status_code == 200 and started.headers["x-sc-encrypted"] == "1"
        assert set(started.json()) == {"iv", "ciphertext"}
        envelope = channel.unseal(started)
        assert (envelope["success"], envelope["code"]) == (True, "2000")
        code = await portal.outbox.last_code(account.email)
        done = channel.unseal(
            await channel.post(
                "/auth/login/verify",
                {"sessionId": envelope["data"]["sessionId"], "mfaMethod": "EMAIL", "code": code},
            )
        )
        token = done["data"]["accessToken"]
        profile = channel.unseal(await channel.get("/profile", token=token))
        assert profile["data"]["accountEmail"] == account.email
        # errors come back encrypted too, with their status
        wrong = await channel.post(
            "/auth/login/initiate", {"email": account.email, "password": "wrong-password"}
        )
        assert (
            wrong.status_code == 401 and channel.unseal(wrong)["code"] == "AUTH.INVALID_CREDENTIALS"
        )

    async def test_tampering_changes_nothing(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        tokens = await portal.sign_in(account)
        channel = Channel(portal)
        await channel.open()
        sealed = channel.seal({"accountName": "Mallory"})
        raw = bytearray(base64.b64decode(sealed["ciphertext"]))
        raw[0] ^= 1
        tampered = {"iv": sealed["iv"], "ciphertext": base64.b64encode(bytes(raw)).decode()}
        wrong_iv = {
            "iv": base64.b64encode(os.urandom(12)).decode(),
            "ciphertext": sealed["ciphertext"],
        }
        for raw_body in [
            tampered,
            wrong_iv,
            {"iv": "x", "ciphertext": "y"},
            {"plain": "json"},
            ["list"],
            {"iv": base64.b64encode(b"short").decode(), "ciphertext": sealed["ciphertext"]},
        ]:
            response = await channel.post(
                "/profile/update", None, token=tokens["accessToken"], raw=raw_body
            )
            assert_error(response, 400, "SECURE_CHANNEL.INVALID_PAYLOAD")
        profile = assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        assert profile["accountName"] == "Alice"
        before = len(await portal.outbox.messages(account.email))
        response = await channel.post("/auth/login/initiate", None, raw=tampered)
        assert_error(response, 400, "SECURE_CHANNEL.INVALID_PAYLOAD")
        assert len(await portal.outbox.messages(account.email)) == before

    async def test_unknown_and_expired_channels(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        channel = Channel(portal)
        await channel.open()
        await session.execute(
            update(ChannelSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
        response = await channel.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(response, 400, "SECURE_CHANNEL.INVALID_PAYLOAD")
        channel.session_id = "not-a-channel"
        assert_error(
            await channel.get("/constants/countries"), 400, "SECURE_CHANNEL.INVALID_PAYLOAD"
        )
