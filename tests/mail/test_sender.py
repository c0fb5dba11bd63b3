"""Outgoing mail against real backends: the file outbox, and a local `aiosmtpd` relay."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ipaddress
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portico.config import Settings
from portico.mail.sender import FileOutbox, Mail, Mailer, SmtpRelay
from portico.runtime import runtime_of
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.db import make_settings
from tests.support.portal import Portal, assert_ok

SENDER = "Portico <no-reply@portico.local>"
SENDER_ADDRESS = "no-reply@portico.local"
RELAY_USER = "portico-relay"
RELAY_PASSWORD = "relay-Pa55word"
CODE = re.compile(r"code is (\d{6})\.")


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Collector:
    """An aiosmtpd handler keeping every accepted message (and every accepted login)."""

    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    over_starttls: list[bool] = field(default_factory=list)  # per message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Stored as a local mailbox would: with the wire's CRLF line ends made `\n`.
        raw = cast(bytes, envelope.original_content).replace(b"\r\n", b"\n")
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parse(raw)))
        self.over_starttls.append(session.ssl is not None)
        return "250 2.0.0 Message accepted for delivery"

    def authenticator(self, user: str, password: str) -> Callable[..., AuthResult]:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            accepted = (
                isinstance(data, LoginPassword)
                and data.login == user.encode()
                and data.password == password.encode()
            )
            if accepted:
                self.logins.append(user)
            return AuthResult(success=accepted, handled=False)

        return check


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    collector: Collector

    @property
    def received(self) -> list[Received]:
        return self.collector.received


@contextmanager
def running_smtp(collector: Collector, **smtp_options: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, in its own thread, for the duration of the block."""
    for attempt in range(3):
        controller = Controller(collector, hostname="127.0.0.1", port=free_port(), **smtp_options)
        try:
            controller.start()
        except OSError:  # the free port was taken in between; pick another
            if attempt == 2:
                raise
            continue
        break
    try:
        yield SmtpServer(host="127.0.0.1", port=controller.port, collector=collector)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp(Collector()) as server:
        yield server


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """A relay that refuses to take mail before `RELAY_USER` / `RELAY_PASSWORD` logged in."""
    collector = Collector()
    with running_smtp(
        collector,
        auth_required=True,
        auth_require_tls=False,
        authenticator=collector.authenticator(RELAY_USER, RELAY_PASSWORD),
    ) as server:
        yield server


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def mail_log() -> Iterator[list[logging.LogRecord]]:
    """Records of the `portico.mail` logger (attached directly: the app stops propagation)."""
    handler = _Records()
    logger = logging.getLogger("portico.mail")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def file_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "mail_backend": "file",
        "mail_outbox_dir": tmp_path / "outbox",
    }
    values.update(overrides)
    return Settings(**values)


def smtp_settings(tmp_path: Path, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "mail_outbox_dir": tmp_path / "outbox",
        "mail_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
        "smtp_user": "",
        "smtp_password": "",
        "smtp_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


def eml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml")) if directory.exists() else []


def assert_delivery_failure_logged(records: list[logging.LogRecord], to: str, text: str) -> None:
    """One error naming the recipient's domain and the failure's kind, never the address (nor
    a traceback, whose SMTP refusal would quote it) nor the mail's content."""
    [record] = records
    domain = to.rpartition("@")[2]
    assert record.getMessage().startswith(f"mail delivery to a recipient at {domain} failed: ")
    assert record.levelno == logging.ERROR
    assert record.exc_info is None
    assert to not in record.getMessage() and text not in record.getMessage()


class TestBackendChoice:
    def test_file_outbox_defaults_to_var_dir_mail(self, tmp_path: Path) -> None:
        mailer = Mailer(file_settings(tmp_path, mail_outbox_dir=None))
        assert isinstance(mailer.backend, FileOutbox)
        assert mailer.backend.directory == tmp_path / "var" / "mail"

    def test_configured_outbox_dir(self, tmp_path: Path) -> None:
        mailer = Mailer(file_settings(tmp_path))
        assert isinstance(mailer.backend, FileOutbox)
        assert mailer.backend.directory == tmp_path / "outbox"

    def test_smtp_backend(self, tmp_path: Path) -> None:
        mailer = Mailer(smtp_settings(tmp_path, 2525))
        assert isinstance(mailer.backend, SmtpRelay)


class TestFileOutbox:
    async def test_send_writes_one_complete_message(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path)
        text = "Hello Bob,\nyour code is 123456.\nGrüße aus Zürich\n"
        await Mailer(settings).send(
            Mail(to="bob@example.com", subject="Grüße von Portico", text=text)
        )

        outbox = settings.resolved_mail_outbox_dir
        assert [p.suffix for p in outbox.iterdir()] == [".eml"]  # and no `.part` left behind
        raw = eml_files(outbox)[0].read_bytes()
        message = parse(raw)
        assert message["From"] == SENDER
        assert message["To"] == "bob@example.com"
        assert message["Subject"] == "Grüße von Portico"
        assert b"Subject: =?utf-8?" in raw  # the non-ASCII header is encoded on the wire
        sent_at = parsedate_to_datetime(str(message["Date"]))
        assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)
        assert re.fullmatch(r"<[^<>@\s]+@portico\.local>", str(message["Message-ID"]))
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert message.get_content() == text

    async def test_default_directory_is_created(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path, mail_outbox_dir=None)
        assert not (tmp_path / "var").exists()
        await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        assert len(eml_files(tmp_path / "var" / "mail")) == 1

    async def test_send_later_is_delivered_by_drain(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path)
        mailer = Mailer(settings)
        mailer.send_later(Mail(to="bob@example.com", subject="Later", text="Sent later\n"))
        await mailer.drain()
        files = eml_files(settings.resolved_mail_outbox_dir)
        assert len(files) == 1
        message = parse(files[0].read_bytes())
        assert message["Subject"] == "Later"
        assert message.get_content() == "Sent later\n"
        assert not list(settings.resolved_mail_outbox_dir.glob("*.part"))
        await mailer.drain()  # nothing pending: returns at once

    async def test_two_concurrent_sends_make_two_files(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path)
        mailer = Mailer(settings)
        await asyncio.gather(
            mailer.send(Mail(to="one@example.com", subject="One", text="1\n")),
            mailer.send(Mail(to="two@example.com", subject="Two", text="2\n")),
        )
        files = eml_files(settings.resolved_mail_outbox_dir)
        assert len(files) == 2
        messages = [parse(p.read_bytes()) for p in files]
        assert {m["To"] for m in messages} == {"one@example.com", "two@example.com"}
        assert len({m["Message-ID"] for m in messages}) == 2

    async def test_many_background_sends_are_all_written_whole(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path)
        mailer = Mailer(settings)
        for n in range(20):
            mailer.send_later(
                Mail(to=f"user{n}@example.com", subject=f"Mail {n}", text=f"Body {n}\n")
            )
        await mailer.drain()
        outbox = settings.resolved_mail_outbox_dir
        assert not list(outbox.glob("*.part"))
        messages = [parse(p.read_bytes()) for p in eml_files(outbox)]
        assert sorted(m.get_content() for m in messages) == sorted(f"Body {n}\n" for n in range(20))

    async def test_file_names_sort_in_sending_order(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path)
        mailer = Mailer(settings)
        for n in range(3):
            await mailer.send(Mail(to="bob@example.com", subject=f"Mail {n}", text="x\n"))
        subjects = [parse(p.read_bytes())["Subject"] for p in eml_files(tmp_path / "outbox")]
        assert subjects == ["Mail 0", "Mail 1", "Mail 2"]

    async def test_header_injection_is_refused(self, tmp_path: Path) -> None:
        settings = file_settings(tmp_path)
        mail = Mail(to="bob@example.com\r\nBcc: eve@example.com", subject="Hi", text="Hi\n")
        with pytest.raises(ValueError, match="linefeed or carriage return"):
            await Mailer(settings).send(mail)
        assert eml_files(settings.resolved_mail_outbox_dir) == []


class TestSmtpBackend:
    async def test_send_delivers_to_the_relay(
        self, tmp_path: Path, smtp_server: SmtpServer
    ) -> None:
        mailer = Mailer(smtp_settings(tmp_path, smtp_server.port))
        text = "Your sign-in verification code is 654321.\n\nGrüße\n"
        await mailer.send(Mail(to="bob@example.com", subject="Your code", text=text))

        [received] = smtp_server.received
        assert received.mail_from == SENDER_ADDRESS
        assert received.rcpt_tos == ["bob@example.com"]
        message = received.message
        assert message["From"] == SENDER
        assert message["To"] == "bob@example.com"
        assert message["Subject"] == "Your code"
        assert message["Date"] is not None
        assert re.fullmatch(r"<[^<>@\s]+@portico\.local>", str(message["Message-ID"]))
        assert message.get_content() == text
        assert eml_files(tmp_path / "outbox") == []  # nothing fell back to the file outbox

    async def test_send_later_and_drain_deliver(
        self, tmp_path: Path, smtp_server: SmtpServer
    ) -> None:
        mailer = Mailer(smtp_settings(tmp_path, smtp_server.port))
        mailer.send_later(Mail(to="one@example.com", subject="One", text="1\n"))
        mailer.send_later(Mail(to="two@example.com", subject="Two", text="2\n"))
        await mailer.drain()
        delivered = sorted((r.rcpt_tos[0], r.message.get_content()) for r in smtp_server.received)
        assert delivered == [("one@example.com", "1\n"), ("two@example.com", "2\n")]
        assert all(len(r.rcpt_tos) == 1 for r in smtp_server.received)

    async def test_unreachable_relay_raises_on_send(self, tmp_path: Path) -> None:
        mailer = Mailer(smtp_settings(tmp_path, free_port()))
        with pytest.raises(ConnectionRefusedError):
            await mailer.send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))

    async def test_unreachable_relay_is_logged_in_background(
        self, tmp_path: Path, mail_log: list[logging.LogRecord]
    ) -> None:
        mailer = Mailer(smtp_settings(tmp_path, free_port()))
        mailer.send_later(Mail(to="bob@example.com", subject="Hi", text="secret code 111111\n"))
        await mailer.drain()  # does not raise
        assert_delivery_failure_logged(mail_log, "bob@example.com", "111111")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
class TestSmtpLogin:
    async def test_correct_login_delivers(
        self, tmp_path: Path, smtp_auth_server: SmtpServer
    ) -> None:
        settings = smtp_settings(
            tmp_path, smtp_auth_server.port, smtp_user=RELAY_USER, smtp_password=RELAY_PASSWORD
        )
        await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi there\n"))
        assert smtp_auth_server.collector.logins == [RELAY_USER]
        [received] = smtp_auth_server.received
        assert received.rcpt_tos == ["bob@example.com"]
        assert received.message.get_content() == "Hi there\n"

    async def test_wrong_password_raises_on_send(
        self, tmp_path: Path, smtp_auth_server: SmtpServer
    ) -> None:
        settings = smtp_settings(
            tmp_path, smtp_auth_server.port, smtp_user=RELAY_USER, smtp_password="wrong-password"
        )
        with pytest.raises(smtplib.SMTPAuthenticationError) as raised:
            await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        assert raised.value.smtp_code == 535
        assert smtp_auth_server.collector.logins == []
        assert smtp_auth_server.received == []

    async def test_wrong_user_raises_on_send(
        self, tmp_path: Path, smtp_auth_server: SmtpServer
    ) -> None:
        settings = smtp_settings(
            tmp_path, smtp_auth_server.port, smtp_user="intruder", smtp_password=RELAY_PASSWORD
        )
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        assert smtp_auth_server.received == []

    async def test_no_login_is_refused_by_the_relay(
        self, tmp_path: Path, smtp_auth_server: SmtpServer
    ) -> None:
        settings = smtp_settings(tmp_path, smtp_auth_server.port)
        with pytest.raises(smtplib.SMTPSenderRefused) as raised:
            await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        assert raised.value.smtp_code == 530
        assert smtp_auth_server.received == []

    async def test_wrong_password_in_background_is_logged_not_raised(
        self, tmp_path: Path, smtp_auth_server: SmtpServer, mail_log: list[logging.LogRecord]
    ) -> None:
        settings = smtp_settings(
            tmp_path, smtp_auth_server.port, smtp_user=RELAY_USER, smtp_password="wrong-password"
        )
        mailer = Mailer(settings)
        mailer.send_later(Mail(to="bob@example.com", subject="Hi", text="secret code 222222\n"))
        await mailer.drain()  # does not raise
        assert smtp_auth_server.received == []
        assert_delivery_failure_logged(mail_log, "bob@example.com", "222222")
        assert mail_log[0].getMessage().endswith(": SMTPAuthenticationError")


class TestSmtpEndToEnd:
    """The app with the SMTP backend: sign-in codes travel through the relay."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
        return make_settings(
            database_url,
            tmp_path,
            mail_backend="smtp",
            smtp_host=smtp_server.host,
            smtp_port=smtp_server.port,
            smtp_tls="none",
            smtp_user="",
            smtp_password="",
        )

    async def test_login_code_arrives_by_smtp_and_signs_in(
        self, portal: Portal, account: Any, app: Any, smtp_server: SmtpServer, settings: Settings
    ) -> None:
        started = assert_ok(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
            )
        )
        await runtime_of(app).mailer.drain()

        [received] = smtp_server.received
        assert received.mail_from == SENDER_ADDRESS
        assert received.rcpt_tos == [account.email]
        assert received.message["To"] == account.email
        match = CODE.search(received.message.get_content())
        assert match, received.message.get_content()
        code = match.group(1)
        assert code in str(received.message["Subject"])
        assert eml_files(settings.resolved_mail_outbox_dir) == []

        tokens = assert_ok(
            await portal.post(
                "/auth/login/verify",
                {"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": code},
            )
        )
        assert tokens["tokenType"] == "Bearer"
        assert tokens["accessToken"]
        assert tokens["refreshToken"]

    async def test_registration_code_arrives_by_smtp(
        self, portal: Portal, app: Any, smtp_server: SmtpServer
    ) -> None:
        body = {
            "email": "newbie@example.com",
            "password": "Fresh-Pa55word",
            "accountName": "Newbie",
        }
        started = assert_ok(await portal.post("/auth/register/initiate", body))
        await runtime_of(app).mailer.drain()

        [received] = smtp_server.received
        assert received.rcpt_tos == ["newbie@example.com"]
        match = CODE.search(received.message.get_content())
        assert match, received.message.get_content()
        tokens = assert_ok(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": match.group(1)}
            )
        )
        assert tokens["accessToken"]


class TestSmtpRelayDown:
    """A relay that is down never fails the request: the failure is logged."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(
            database_url,
            tmp_path,
            mail_backend="smtp",
            smtp_host="127.0.0.1",
            smtp_port=free_port(),
            smtp_tls="none",
            smtp_user="",
            smtp_password="",
        )

    async def test_login_initiate_still_succeeds(
        self, portal: Portal, account: Any, app: Any, mail_log: list[logging.LogRecord]
    ) -> None:
        response = await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_ok(response)
        await runtime_of(app).mailer.drain()
        assert_delivery_failure_logged(mail_log, account.email, "code is")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, its own CA; returns (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portico test relay")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay-cert.pem", directory / "relay-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TestSmtpTls:
    """STARTTLS and implicit TLS against a relay with its own certificate authority."""

    @pytest.fixture
    def certificate(self, tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
        cert, key = self_signed_certificate(tmp_path)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert, key)
        return cert, server_context

    async def test_starttls_then_login_delivers(
        self, tmp_path: Path, certificate: tuple[Path, ssl.SSLContext]
    ) -> None:
        ca_file, server_context = certificate
        collector = Collector()
        # the relay demands STARTTLS before anything, and refuses AUTH in the clear
        with running_smtp(
            collector,
            tls_context=server_context,
            require_starttls=True,
            auth_required=True,
            authenticator=collector.authenticator(RELAY_USER, RELAY_PASSWORD),
        ) as relay:
            settings = smtp_settings(
                tmp_path,
                relay.port,
                smtp_tls="starttls",
                smtp_ca_file=ca_file,
                smtp_user=RELAY_USER,
                smtp_password=RELAY_PASSWORD,
            )
            await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        assert collector.logins == [RELAY_USER]
        assert collector.over_starttls == [True]
        [received] = collector.received
        assert received.message.get_content() == "Hi\n"

    async def test_implicit_tls_delivers(
        self, tmp_path: Path, certificate: tuple[Path, ssl.SSLContext]
    ) -> None:
        ca_file, server_context = certificate
        collector = Collector()
        with running_smtp(collector, ssl_context=server_context) as relay:
            settings = smtp_settings(tmp_path, relay.port, smtp_tls="tls", smtp_ca_file=ca_file)
            await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        [received] = collector.received
        assert received.rcpt_tos == ["bob@example.com"]

    @pytest.mark.parametrize("mode", ["starttls", "tls"])
    async def test_an_untrusted_certificate_is_refused(
        self, tmp_path: Path, certificate: tuple[Path, ssl.SSLContext], mode: str
    ) -> None:
        _, server_context = certificate
        collector = Collector()
        options: dict[str, Any] = (
            {"tls_context": server_context, "require_starttls": True}
            if mode == "starttls"
            else {"ssl_context": server_context}
        )
        with running_smtp(collector, **options) as relay:
            settings = smtp_settings(tmp_path, relay.port, smtp_tls=mode)  # system CAs only
            with pytest.raises(ssl.SSLCertVerificationError):
                await Mailer(settings).send(Mail(to="bob@example.com", subject="Hi", text="Hi\n"))
        assert collector.received == []
