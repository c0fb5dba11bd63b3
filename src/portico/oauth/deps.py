"""The process's signing keyring, for routes that issue or check access tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portico.oauth.keys import Keyring


async def get_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.oauth_keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(get_keyring)]
