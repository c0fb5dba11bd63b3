"""Turnstile captcha checks against a real local imitation of Cloudflare's siteverify endpoint."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from portico.auth.errors import CaptchaInvalid
from portico.auth.turnstile import verify_turnstile
from portico.config import Settings
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.db import make_settings
from tests.support.portal import Portal, assert_error, assert_ok

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = pytest.mark.xdist_group("turnstile")

SECRET = "test-secret"
GOOD_TOKEN = "good-token"
REMOTE_IP = "198.51.100.7"
CLIENT_IP = "203.0.113.10"  # the peer address of the `http` fixture's client


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    content_type: str
    form: dict[str, list[str]]


@dataclass
class Siteverify:
    """The running imitation; `requests` holds what it was sent (cleared for every test)."""

    base_url: str
    requests: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"{self.base_url}/turnstile/v0/siteverify"

    def seen(self) -> list[SeenRequest]:
        with self.lock:
            return list(self.requests)


# Answers of a misbehaving verify endpoint, by path: none of them may let a request through.
ODD_ANSWERS: dict[str, tuple[str, bytes]] = {
    "/not-json": ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "/empty": ("application/json", b""),
    "/success-string": ("application/json", b'{"success": "true"}'),
    "/success-one": ("application/json", b'{"success": 1}'),
    "/not-an-object": ("application/json", b'[{"success": true}]'),
    "/no-success": ("application/json", b'{"error-codes": []}'),
}


class _SiteverifyHandler(BaseHTTPRequestHandler):
    server: _SiteverifyServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        form = parse_qs(body, keep_blank_values=True)
        seen = SeenRequest("POST", self.path, self.headers.get("Content-Type", ""), form)
        state = self.server.state
        with state.lock:
            state.requests.append(seen)
        if self.path in ODD_ANSWERS:
            content_type, payload = ODD_ANSWERS[self.path]
            self._answer(200, content_type, payload)
            return
        if self.path != "/turnstile/v0/siteverify":
            self._answer(404, "application/json", b'{"success": false}')
            return
        errors = []
        if form.get("secret") != [SECRET]:
            errors.append("invalid-input-secret")
        if form.get("response") != [GOOD_TOKEN]:
            errors.append("invalid-input-response")
        verdict: dict[str, Any] = {"success": not errors, "error-codes": errors}
        if not errors:
            verdict["hostname"] = "portico.test"
        self._answer(200, "application/json", json.dumps(verdict).encode())

    def _answer(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


class _SiteverifyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Siteverify | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _SiteverifyHandler)
        host, port = self.server_address[:2]
        self.state = state or Siteverify(base_url=f"http://{host!s}:{port}")


@pytest.fixture(scope="module")
def siteverify_server() -> Iterator[Siteverify]:
    server = _SiteverifyServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def siteverify(siteverify_server: Siteverify) -> Siteverify:
    with siteverify_server.lock:
        siteverify_server.requests.clear()
    return siteverify_server


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/turnstile/v0/siteverify"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A URL whose server accepts the connection and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port = sock.getsockname()[1]
        yield f"http://127.0.0.1:{port}/turnstile/v0/siteverify"


def turnstile_settings(tmp_path: Path, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "turnstile_secret": SECRET,
        "turnstile_verify_url": url,
        "turnstile_timeout_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


class TestDisabled:
    @pytest.mark.parametrize("token", [None, "", "bad-token", GOOD_TOKEN])
    async def test_no_secret_means_no_check(
        self, tmp_path: Path, siteverify: Siteverify, token: str | None
    ) -> None:
        settings = turnstile_settings(tmp_path, siteverify.url, turnstile_secret="")
        await verify_turnstile(settings, token, REMOTE_IP)
        assert siteverify.seen() == []

    def test_off_by_default(self) -> None:
        assert Settings.model_fields["turnstile_secret"].default == ""


class TestVerifyTurnstile:
    @pytest.mark.parametrize("token", [None, "", "x" * 2049], ids=["none", "empty", "too-long"])
    async def test_missing_or_oversized_token_is_refused_without_asking(
        self, tmp_path: Path, siteverify: Siteverify, token: str | None
    ) -> None:
        with pytest.raises(CaptchaInvalid) as raised:
            await verify_turnstile(turnstile_settings(tmp_path, siteverify.url), token, REMOTE_IP)
        assert raised.value.code == "AUTH.CAPTCHA_INVALID"
        assert raised.value.http_status == 400
        assert siteverify.seen() == []

    async def test_bad_token_is_refused(self, tmp_path: Path, siteverify: Siteverify) -> None:
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(
                turnstile_settings(tmp_path, siteverify.url), "bad-token", REMOTE_IP
            )
        [seen] = siteverify.seen()
        assert seen.form["response"] == ["bad-token"]

    async def test_good_token_passes_and_sends_every_field(
        self, tmp_path: Path, siteverify: Siteverify
    ) -> None:
        await verify_turnstile(turnstile_settings(tmp_path, siteverify.url), GOOD_TOKEN, REMOTE_IP)
        [seen] = siteverify.seen()
        assert seen.method == "POST"
        assert seen.path == "/turnstile/v0/siteverify"
        assert seen.content_type == "application/x-www-form-urlencoded"
        assert seen.form == {"secret": [SECRET], "response": [GOOD_TOKEN], "remoteip": [REMOTE_IP]}

    async def test_good_token_with_wrong_secret_is_refused(
        self, tmp_path: Path, siteverify: Siteverify
    ) -> None:
        settings = turnstile_settings(tmp_path, siteverify.url, turnstile_secret="other-secret")
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(settings, GOOD_TOKEN, REMOTE_IP)
        [seen] = siteverify.seen()
        assert seen.form["secret"] == ["other-secret"]

    async def test_longest_allowed_token_is_sent(
        self, tmp_path: Path, siteverify: Siteverify
    ) -> None:
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(
                turnstile_settings(tmp_path, siteverify.url), "t" * 2048, REMOTE_IP
            )
        [seen] = siteverify.seen()
        assert seen.form["response"] == ["t" * 2048]

    async def test_unreachable_endpoint_fails_closed(self, tmp_path: Path) -> None:
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(
                turnstile_settings(tmp_path, closed_port_url()), GOOD_TOKEN, REMOTE_IP
            )

    async def test_silent_endpoint_fails_closed_after_the_timeout(
        self, tmp_path: Path, silent_url: str
    ) -> None:
        settings = turnstile_settings(tmp_path, silent_url, turnstile_timeout_seconds=0.3)
        started = time.monotonic()
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(settings, GOOD_TOKEN, REMOTE_IP)
        assert time.monotonic() - started < 1.5

    async def test_unknown_path_fails_closed(self, tmp_path: Path, siteverify: Siteverify) -> None:
        url = f"{siteverify.base_url}/somewhere-else"
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(turnstile_settings(tmp_path, url), GOOD_TOKEN, REMOTE_IP)
        assert len(siteverify.seen()) == 1

    @pytest.mark.parametrize("path", list(ODD_ANSWERS))
    async def test_odd_answers_fail_closed(
        self, tmp_path: Path, siteverify: Siteverify, path: str
    ) -> None:
        url = f"{siteverify.base_url}{path}"
        with pytest.raises(CaptchaInvalid):
            await verify_turnstile(turnstile_settings(tmp_path, url), GOOD_TOKEN, REMOTE_IP)
        assert [s.path for s in siteverify.seen()] == [path]


ENDPOINTS: dict[str, tuple[str, dict[str, str]]] = {
    "login": ("/auth/login/initiate", {"email": "alice@example.com", "password": DEFAULT_PASSWORD}),
    "register": (
        "/auth/register/initiate",
        {"email": "newbie@example.com", "password": "Fresh-Pa55word", "accountName": "Newbie"},
    ),
    "forgot": ("/auth/password/forgot", {"email": "alice@example.com"}),
}
endpoints = pytest.mark.parametrize("endpoint", list(ENDPOINTS))


class TestThroughTheApi:
    """Every captcha-guarded route, on both portals."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path, siteverify: Siteverify) -> Settings:
        return make_settings(
            database_url, tmp_path, turnstile_secret=SECRET, turnstile_verify_url=siteverify.url
        )

    @staticmethod
    async def call(portal: Portal, endpoint: str, token: str | None, **kw: Any) -> Any:
        path, body = ENDPOINTS[endpoint]
        if token is not None:
            body = {**body, "turnstileToken": token}
        return await portal.post(path, body, **kw)

    @endpoints
    async def test_without_token_is_refused(
        self, portal: Portal, account: Any, siteverify: Siteverify, endpoint: str
    ) -> None:
        assert_error(await self.call(portal, endpoint, None), 400, "AUTH.CAPTCHA_INVALID")
        assert siteverify.seen() == []
        assert await portal.outbox.messages() == []

    @endpoints
    async def test_empty_token_is_refused(
        self, portal: Portal, account: Any, siteverify: Siteverify, endpoint: str
    ) -> None:
        assert_error(await self.call(portal, endpoint, ""), 400, "AUTH.CAPTCHA_INVALID")
        assert siteverify.seen() == []

    @endpoints
    async def test_bad_token_is_refused(
        self, portal: Portal, account: Any, siteverify: Siteverify, endpoint: str
    ) -> None:
        assert_error(await self.call(portal, endpoint, "bad-token"), 400, "AUTH.CAPTCHA_INVALID")
        [seen] = siteverify.seen()
        assert seen.form == {"secret": [SECRET], "response": ["bad-token"], "remoteip": [CLIENT_IP]}
        assert await portal.outbox.messages() == []

    @endpoints
    async def test_good_token_passes(
        self, portal: Portal, account: Any, siteverify: Siteverify, endpoint: str
    ) -> None:
        data = assert_ok(await self.call(portal, endpoint, GOOD_TOKEN))
        [seen] = siteverify.seen()
        assert seen.form == {"secret": [SECRET], "response": [GOOD_TOKEN], "remoteip": [CLIENT_IP]}
        if endpoint != "forgot":
            assert data["sessionId"]
        assert len(await portal.outbox.messages()) == 1

    async def test_forwarded_address_of_an_untrusted_peer_is_not_sent(
        self, portal: Portal, account: Any, siteverify: Siteverify
    ) -> None:
        response = await self.call(
            portal, "login", GOOD_TOKEN, headers={"CF-Connecting-IP": "198.51.100.99"}
        )
        assert_ok(response)
        [seen] = siteverify.seen()
        assert seen.form["remoteip"] == [CLIENT_IP]

    async def test_failed_captcha_is_not_a_failed_login(
        self, portal: Portal, account: Any, siteverify: Siteverify
    ) -> None:
        for _ in range(6):  # more than login_account_max_failures
            assert_error(await self.call(portal, "login", "bad-token"), 400, "AUTH.CAPTCHA_INVALID")
        assert_ok(await self.call(portal, "login", GOOD_TOKEN))


class TestThroughTheApiWhenVerifyIsDown:
    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(
            database_url,
            tmp_path,
            turnstile_secret=SECRET,
            turnstile_verify_url=closed_port_url(),
            turnstile_timeout_seconds=1.0,
        )

    @endpoints
    async def test_requests_are_refused(self, portal: Portal, account: Any, endpoint: str) -> None:
        response = await TestThroughTheApi.call(portal, endpoint, GOOD_TOKEN)
        assert_error(response, 400, "AUTH.CAPTCHA_INVALID")
        assert await portal.outbox.messages() == []
