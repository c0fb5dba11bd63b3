"""File bodies."""

from __future__ import annotations

from typing import Any

from portico.envelope import UtcDateTime, WireModel
from portico.files.filetypes import FilePurpose
from portico.files.models import StoredFile


class FileInfoOut(WireModel):
    biz_id: str
    file_name: str
    content_type: str
    file_size: int
    purpose: str
    sha256: str
    created_at: UtcDateTime

    @classmethod
    def from_row(cls, row: StoredFile) -> FileInfoOut:
        return cls(
            biz_id=row.biz_id,
            file_name=row.file_name,
            content_type=row.content_type,
            file_size=row.file_size,
            purpose=row.purpose,
            sha256=row.sha256,
            created_at=row.created_at,
        )


# `files/upload` reads its body itself (streaming), so its OpenAPI body is declared by hand.
UPLOAD_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "purpose"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file (PDF, PNG or JPEG, decided from its bytes)",
                        },
                        "purpose": {"type": "string", "enum": [p.value for p in FilePurpose]},
                    },
                }
            }
        },
    }
}
