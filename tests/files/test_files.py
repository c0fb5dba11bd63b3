"""Files: streaming upload into the store (local directory and a real S3 server), type from the
bytes, size limit while streaming, workspace isolation, safe downloads; and every failed upload
(too large, disguised, empty, missing parts, truncated, the client gone, the database failing
after the bytes were stored) leaves neither a row nor an object."""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import AccountPortal
from portico.files.models import StoredFile
from portico.runtime import runtime_of
from tests.support.money import Money, User
from tests.support.portal import assert_error, assert_ok
from tests.support.storage import FILE_MAX_BYTES

BOUNDARY = "portico-test-boundary-7f3a"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
PDF = b"%PDF-1.7\n" + os.urandom(2000)
EXE = b"MZ\x90\x00" + os.urandom(2000)  # a Windows executable
FILE_FIELDS = ["bizId", "fileName", "contentType", "fileSize", "purpose", "sha256", "createdAt"]
INVALID = "VALIDATION.INVALID_PARAMETER"
BOTH = pytest.mark.parametrize("backend", ["local", "s3"], indirect=True)
# The routes are the same code on both portals: every test runs on one (the default, named here).
ONE_PORTAL = pytest.mark.parametrize("portal_kind", [AccountPortal.CONSUMER], ids=["consumer"])


def multipart(*parts: tuple[str, str | None, bytes], close: bool = True) -> bytes:
    """A `multipart/form-data` body of (name, file name or None, content) parts, in order."""
    body = b""
    for name, file_name, content in parts:
        disposition = f'form-data; name="{name}"'
        if file_name is not None:
            disposition += f'; filename="{file_name}"'
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if file_name is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + content + b"\r\n"
    if close:
        body += f"--{BOUNDARY}--\r\n".encode()
    return body


def upload_headers(user: User) -> dict[str, str]:
    return user.portal.headers(
        user.token, **{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    )


async def upload(user: User, body: bytes, **headers: str) -> Any:
    return await user.portal.http.post(
        user.portal.prefix + "/files/upload",
        content=body,
        headers={**upload_headers(user), **headers},
    )


async def upload_ok(user: User, content: bytes = PNG, name: str = "proof.png") -> dict[str, Any]:
    body = multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", name, content))
    return dict(assert_ok(await upload(user, body), "2001", 201))


async def file_rows(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(StoredFile))).scalar_one())


async def assert_nothing_stored(app: Any, session: AsyncSession) -> None:
    assert await runtime_of(app).storage.list_keys() == []
    assert await file_rows(session) == 0


class TestUpload:
    @BOTH
    async def test_upload_describe_and_download(self, money: Money, app: Any) -> None:
        name = "квитанция №1.png"
        info = await upload_ok(money.alice, name=name)
        assert list(info) == FILE_FIELDS
        assert info["fileName"] == name
        assert info["contentType"] == "image/png"  # from the bytes, not the part's header
        assert info["fileSize"] == len(PNG)
        assert info["sha256"] == hashlib.sha256(PNG).hexdigest()
        assert info["purpose"] == "RECHARGE_PROOF"
        assert assert_ok(await money.alice.get(f"/files/{info['bizId']}")) == info

        download = await money.alice.get(f"/files/{info['bizId']}/download")
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-type"] == "image/png"
        assert download.headers["content-length"] == str(len(PNG))
        assert download.headers["x-content-type-options"] == "nosniff"
        assert "no-store" in download.headers["cache-control"]
        disposition = download.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="')
        assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        assert disposition.isascii()

        # one object, under a key the server made
        keys = await runtime_of(app).storage.list_keys()
        assert len(keys) == 1
        assert keys[0].startswith(f"files/{money.alice.workspace.biz_id}/")
        assert "png" not in keys[0] and "квитанция" not in keys[0]

    @ONE_PORTAL
    async def test_pdf_and_jpeg_too_and_the_purpose_may_follow_the_file(self, money: Money) -> None:
        jpeg = b"\xff\xd8\xff\xe0" + os.urandom(500)
        for content, kind in ((PDF, "application/pdf"), (jpeg, "image/jpeg")):
            body = multipart(("file", "scan", content), ("purpose", None, b"ATTACHMENT"))
            info = assert_ok(await upload(money.alice, body), "2001", 201)
            assert info["contentType"] == kind and info["purpose"] == "ATTACHMENT"

    @ONE_PORTAL
    async def test_uploads_have_their_own_size_limit(self, money: Money, settings: Any) -> None:
        # far past the JSON body limit, within the file limit
        big = b"%PDF-1.7\n" + os.urandom(settings.max_body_bytes * 2)
        info = await upload_ok(money.alice, big, "big.pdf")
        assert info["fileSize"] == len(big)

    @ONE_PORTAL
    async def test_the_name_cannot_inject_headers_or_paths(self, money: Money, app: Any) -> None:
        info = await upload_ok(money.alice, PDF, "..\\../etc/passwd\x7f\x01;x.pdf")
        assert info["fileName"] == "passwd;x.pdf"
        # line and paragraph separators, NEL, bidi overrides: dropped from the name
        info = await upload_ok(money.alice, PDF, "in\u2028voice\u0085\u202e\u2029.pdf")
        assert info["fileName"] == "invoice.pdf"
        download = await money.alice.get(f"/files/{info['bizId']}/download")
        assert download.headers["content-disposition"] == (
            "attachment; filename=\"invoice.pdf\"; filename*=UTF-8''invoice.pdf"
        )
        # a raw line break cannot even reach the name: the part header ends there
        evil = "a\r\nSet-Cookie: x=1\r\n.pdf"
        body = multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", evil, PDF))
        assert_error(await upload(money.alice, body), 400, INVALID)


@ONE_PORTAL
class TestFailedUploads:
    """Each refusal is answered and leaves neither a row nor an object."""

    @BOTH
    async def test_too_large_while_streaming(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        content = b"%PDF-1.7\n" + os.urandom(FILE_MAX_BYTES)
        body = multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", "big.pdf", content))
        assert_error(await upload(money.alice, body), 413, "FILE.TOO_LARGE")
        await assert_nothing_stored(app, session)

    async def test_a_declared_body_past_the_upload_limit(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        response = await upload(
            money.alice,
            multipart(("file", "a.pdf", PDF)),
            **{"Content-Length": str(FILE_MAX_BYTES * 2)},
        )
        assert_error(response, 413, "REQUEST.BODY_TOO_LARGE")
        await assert_nothing_stored(app, session)

    @BOTH
    async def test_disguised_and_empty_files(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        for purpose_first in (True, False):
            parts = [("purpose", None, b"RECHARGE_PROOF"), ("file", "invoice.pdf", EXE)]
            body = multipart(*(parts if purpose_first else parts[::-1]))
            assert_error(await upload(money.alice, body), 400, "FILE.TYPE_NOT_ALLOWED")
        text_file = multipart(
            ("purpose", None, b"RECHARGE_PROOF"), ("file", "a.pdf", b"hello world")
        )
        assert_error(await upload(money.alice, text_file), 400, "FILE.TYPE_NOT_ALLOWED")
        empty = multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", "empty.pdf", b""))
        assert_error(await upload(money.alice, empty), 400, "FILE.EMPTY")
        await assert_nothing_stored(app, session)

    async def test_missing_parts_and_malformed_bodies(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        bodies = [
            multipart(("purpose", None, b"RECHARGE_PROOF")),  # no file
            multipart(("file", "a.pdf", PDF)),  # no purpose
            multipart(("purpose", None, b"SELFIE"), ("file", "a.pdf", PDF)),
            multipart(("file", "a.pdf", PDF), ("purpose", None, b"NOPE")),
            multipart(
                ("purpose", None, b"RECHARGE_PROOF"), ("file", "a.pdf", PDF), ("file", "b.pdf", PDF)
            ),
            multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", "a.pdf", PDF), close=False),
            b"not multipart at all",
            b"",
        ]
        for body in bodies:
            assert_error(await upload(money.alice, body), 400, INVALID)
        no_boundary = await upload(money.alice, PDF, **{"Content-Type": "multipart/form-data"})
        assert_error(no_boundary, 400, INVALID)
        as_json = await money.alice.post(
            "/files/upload", {"file": "x", "purpose": "RECHARGE_PROOF"}
        )
        assert_error(as_json, 415, "REQUEST.UNSUPPORTED_MEDIA_TYPE")
        await assert_nothing_stored(app, session)

    @BOTH
    async def test_the_client_gone_mid_body(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        content = b"%PDF-1.7\n" + os.urandom(FILE_MAX_BYTES - 1024)
        body = multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", "a.pdf", content))
        headers = {**upload_headers(money.alice), "Content-Length": str(len(body))}
        chunks = [body[i : i + 65536] for i in range(0, len(body) - 100_000, 65536)]

        async def receive() -> dict[str, Any]:
            if chunks:
                return {"type": "http.request", "body": chunks.pop(0), "more_body": True}
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        path = money.alice.portal.prefix + "/files/upload"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("203.0.113.10", 40000),
            "server": ("portico.test", 80),
        }
        await app(scope, receive, send)
        assert sent[0]["status"] == 400
        await assert_nothing_stored(app, session)

    @BOTH
    async def test_a_database_error_after_the_bytes_were_stored(
        self, money: Money, app: Any, session: AsyncSession
    ) -> None:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            await session.execute(
                text(
                    "CREATE FUNCTION refuse_files() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'files refused'; END $$ LANGUAGE plpgsql"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER refuse_files BEFORE INSERT ON files "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_files()"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE TRIGGER refuse_files BEFORE INSERT ON files "
                    "BEGIN SELECT RAISE(ABORT, 'files refused'); END"
                )
            )
        await session.commit()
        try:
            body = multipart(("purpose", None, b"RECHARGE_PROOF"), ("file", "a.png", PNG))
            response = await upload(money.alice, body)
            assert response.status_code >= 400 and response.json()["success"] is False
            await assert_nothing_stored(app, session)
        finally:
            await session.execute(
                text("DROP TRIGGER refuse_files" + (" ON files" if postgres else ""))
            )
            if postgres:
                await session.execute(text("DROP FUNCTION refuse_files()"))
            await session.commit()


@ONE_PORTAL
class TestIsolation:
    async def test_another_workspace_file_is_not_found(self, money: Money) -> None:
        info = await upload_ok(money.alice)
        for path in (f"/files/{info['bizId']}", f"/files/{info['bizId']}/download"):
            assert_error(await money.bob.get(path), 404, "RESOURCE.NOT_FOUND")
        for unknown in ("non-existent-file-id", "x" * 100):
            assert_error(await money.alice.get(f"/files/{unknown}"), 404, "RESOURCE.NOT_FOUND")
            assert_error(
                await money.alice.get(f"/files/{unknown}/download"), 404, "RESOURCE.NOT_FOUND"
            )

    async def test_a_missing_object_is_not_found(self, money: Money, app: Any) -> None:
        info = await upload_ok(money.alice)
        for key in await runtime_of(app).storage.list_keys():
            await runtime_of(app).storage.delete(key)
        assert_error(
            await money.alice.get(f"/files/{info['bizId']}/download"), 404, "RESOURCE.NOT_FOUND"
        )
