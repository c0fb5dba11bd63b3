"""The basic request dependencies, as `Annotated` aliases named for what they grant: each one
is a part of the process's `Runtime` (`portico.runtime`), or the request's unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.db import request_session
from portico.runtime import Runtime, runtime_of
from portico.security.kit import AuthKit
from portico.storage import Storage


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request.app)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work (`portico.db.request_session`)."""
    database = runtime_of(request.app).database
    async with request_session(database, request.method, request.scope.get("endpoint")) as s:
        yield s


# scope="function": the transaction commits before the response is sent, never after.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_settings_dep(request: Request) -> Settings:
    return runtime_of(request.app).settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_storage(request: Request) -> Storage:
    return runtime_of(request.app).storage


StorageDep = Annotated[Storage, Depends(get_storage)]


async def get_auth_kit(request: Request) -> AuthKit:
    return runtime_of(request.app).auth_kit


AuthKitDep = Annotated[AuthKit, Depends(get_auth_kit)]
