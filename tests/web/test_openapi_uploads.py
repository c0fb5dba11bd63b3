"""The OpenAPI document describes the upload and download routes as they behave: a multipart
body read by the route itself, binary downloads, and their error envelopes."""

from __future__ import annotations

from typing import Any


def operation(app: Any, method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["paths"][path][method]
    return found


async def test_the_upload_takes_multipart_and_lists_its_refusals(app: Any) -> None:
    for portal in ("consumer", "partner"):
        upload = operation(app, "post", f"/web/v1/{portal}/files/upload")
        body = upload["requestBody"]["content"]
        assert list(body) == ["multipart/form-data"]
        schema = body["multipart/form-data"]["schema"]
        assert schema["required"] == ["file", "purpose"]
        assert schema["properties"]["file"] == {
            "type": "string",
            "format": "binary",
            "description": schema["properties"]["file"]["description"],
        }
        assert schema["properties"]["purpose"]["enum"] == ["RECHARGE_PROOF", "ATTACHMENT"]
        assert upload["x-permission"] == "file:write"
        responses = upload["responses"]
        assert {"201", "400", "413", "415"} <= set(responses)
        [_, codes] = responses["413"]["content"]["application/json"]["schema"]["allOf"]
        assert codes["properties"]["code"]["enum"] == ["FILE.TOO_LARGE", "REQUEST.BODY_TOO_LARGE"]


async def test_downloads_are_binary(app: Any) -> None:
    binary = {"schema": {"type": "string", "format": "binary"}}
    for path, permission, media_types in (
        (
            "/web/v1/consumer/files/{bizId}/download",
            "file:read",
            ["application/pdf", "image/jpeg", "image/png"],
        ),
        (
            "/web/v1/partner/exports/{bizId}/download",
            "export:read",
            ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"],
        ),
    ):
        download = operation(app, "get", path)
        ok = download["responses"]["200"]
        # the media type each download really has, no envelope
        assert ok["content"] == dict.fromkeys(media_types, binary)
        assert "Content-Disposition" in ok["headers"]
        assert download["x-permission"] == permission
    exports = operation(app, "get", "/web/v1/consumer/exports/{bizId}/download")["responses"]
    assert "EXPORT.NOT_READY" in exports["409"]["description"]
    assert "EXPORT.FAILED" in exports["409"]["description"]
    assert "EXPORT.EXPIRED" in exports["410"]["description"]
