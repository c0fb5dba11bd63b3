"""Token endpoint bodies, as Keycloak answers them (snake_case, `not-before-policy`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from portico.oauth.service import IssuedTokens

FORM_FIELDS = {
    "grant_type": {
        "type": "string",
        "enum": ["client_credentials", "refresh_token"],
        "description": "`password` and every other grant: `unsupported_grant_type`",
    },
    "client_id": {"type": "string", "description": "apiKeyId or issuer client id (or Basic)"},
    "client_secret": {"type": "string", "description": "the secret (or HTTP Basic)"},
    "scope": {"type": "string", "description": "space-delimited subset of the client's scopes"},
    "refresh_token": {"type": "string", "description": "for `grant_type=refresh_token`"},
}
TOKEN_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": FORM_FIELDS,
                }
            }
        },
    }
}
INTROSPECT_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": {"type": "string"},
                        "client_id": FORM_FIELDS["client_id"],
                        "client_secret": FORM_FIELDS["client_secret"],
                    },
                }
            }
        },
    }
}


class TokenOut(BaseModel):
    """The token answer (RFC 6749 §5.1, Keycloak's field set)."""

    model_config = ConfigDict(populate_by_name=True)

    access_token: str
    expires_in: int
    refresh_expires_in: int
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the token type, not a secret
    not_before_policy: int = Field(0, alias="not-before-policy")
    session_state: str
    scope: str

    @classmethod
    def of(cls, issued: IssuedTokens) -> TokenOut:
        return cls(
            access_token=issued.access_token,
            expires_in=issued.expires_in,
            refresh_expires_in=issued.refresh_expires_in,
            refresh_token=issued.refresh_token,
            session_state=issued.session_state,
            scope=issued.scope,
        )


class OAuthErrorOut(BaseModel):
    """RFC 6749 §5.2: `invalid_request`, `invalid_client`, `invalid_grant`,
    `unsupported_grant_type`, `invalid_scope` (and `invalid_token` for bearer checks)."""

    error: str
    error_description: str


class IntrospectionOut(BaseModel):
    """RFC 7662: `{"active": false}` for any token that is not valid right now."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
