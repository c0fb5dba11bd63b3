"""`/secure-channel/...`: the server key, and opening and closing channel sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header
from starlette.responses import Response

from portico.deps import AuthKitDep
from portico.envelope import Envelope, NoContent, UtcDateTime, WireModel, no_content, ok
from portico.errors import InvalidParameter
from portico.securechannel import service
from portico.securechannel.errors import InvalidPayload

router = APIRouter(tags=["secure-channel"])


class PublicKeyOut(WireModel):
    key_id: str
    public_key: str
    algorithm: str
    key_size: int
    created_at: UtcDateTime
    expires_at: UtcDateTime | None


class ChannelOut(WireModel):
    session_id: str
    algorithm: str
    expires_at: UtcDateTime


@router.get("/secure-channel/public-key", response_model=Envelope[PublicKeyOut])
async def public_key(kit: AuthKitDep) -> Response:
    """The server's RSA-OAEP-2048 public key (base64 DER SubjectPublicKeyInfo)."""
    key = await service.current_key(kit.database, kit.box)
    return ok(
        PublicKeyOut(
            key_id=key.key_id,
            public_key=key.public_key_der_b64,
            algorithm="RSA-OAEP-2048",
            key_size=2048,
            created_at=key.created_at,
            expires_at=key.expires_at,
        )
    )


@router.post("/secure-channel/session", response_model=Envelope[ChannelOut])
async def open_session(kit: AuthKitDep, body: Annotated[Any, Body()] = None) -> Response:
    """Open a channel with `{"keyId","encryptedKey"}`: an AES-256 key wrapped with RSA-OAEP."""
    if not isinstance(body, dict):
        raise InvalidPayload()
    channel = await service.open_channel(
        kit.database,
        kit.box,
        key_id=body.get("keyId"),
        encrypted_key=body.get("encryptedKey"),
        ttl_seconds=kit.settings.secure_channel_session_ttl_seconds,
    )
    if channel is None:
        raise InvalidPayload()
    return ok(
        ChannelOut(
            session_id=channel.session_id, algorithm="AES-256-GCM", expires_at=channel.expires_at
        )
    )


@router.post("/secure-channel/session/close", response_model=NoContent)
async def close_session(
    kit: AuthKitDep,
    x_sc_session_id: Annotated[str | None, Header(description="Channel session to close")] = None,
) -> Response:
    """Close a channel session (idempotent)."""
    if not x_sc_session_id:
        raise InvalidParameter("X-SC-Session-Id")
    await service.close_channel(kit.database, x_sc_session_id)
    return no_content()
