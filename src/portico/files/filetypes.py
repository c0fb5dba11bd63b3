"""What a file is for, and which content types each purpose accepts.

The type is decided from the file's first bytes (its magic number), never from the client's
`Content-Type` or file name: a renamed executable matches none of these and is refused.
"""

from __future__ import annotations

from enum import StrEnum


class FilePurpose(StrEnum):
    RECHARGE_PROOF = "RECHARGE_PROOF"
    ATTACHMENT = "ATTACHMENT"


PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"

# (leading bytes, content type, file name extension)
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", PDF, ".pdf"),
    (b"\x89PNG\r\n\x1a\n", PNG, ".png"),
    (b"\xff\xd8\xff", JPEG, ".jpg"),
)
SNIFF_BYTES = max(len(magic) for magic, _, _ in SIGNATURES)

ALLOWED_TYPES: dict[FilePurpose, frozenset[str]] = {
    FilePurpose.RECHARGE_PROOF: frozenset({PDF, PNG, JPEG}),
    FilePurpose.ATTACHMENT: frozenset({PDF, PNG, JPEG}),
}
ANY_ALLOWED = frozenset().union(*ALLOWED_TYPES.values())


def sniff(head: bytes) -> str | None:
    """The content type the leading bytes show, if it is one we know."""
    for magic, content_type, _ in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None
