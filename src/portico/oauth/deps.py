"""The process's signing keyring, for routes that issue or check access tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portico.oauth.keys import Keyring
from portico.runtime import runtime_of


async def get_keyring(request: Request) -> Keyring:
    return runtime_of(request.app).keyring


KeyringDep = Annotated[Keyring, Depends(get_keyring)]
