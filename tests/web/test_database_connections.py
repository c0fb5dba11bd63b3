"""Pooled database connections: one the server has closed is never handed to a request (no
ping round trip per request does this), and a connection lost mid-request answers 503."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
from starlette.requests import Request

from portico.db import Database, _discard_closed, create_engine
from portico.web.handlers import _handle_database_error
from tests.support.portal import Portal, assert_ok


async def test_requests_go_on_after_the_server_ended_every_pooled_connection(
    portal: Portal, account: Any, database: Database
) -> None:
    if database.is_sqlite:
        # a SQLite file has no server to end connections; the check itself is tested below
        pytest.skip("PostgreSQL only: needs a server that can end connections")
    token = str((await portal.login(account.email))["accessToken"])
    assert_ok(await portal.get("/profile", token=token))
    admin_engine = create_engine(
        database.engine.url.render_as_string(hide_password=False), null_pool=True
    )
    try:
        async with admin_engine.connect() as admin:
            ended = await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert len(ended.all()) >= 1
    finally:
        await admin_engine.dispose()
    await asyncio.sleep(0.3)  # the event loop reads each closed socket
    for _ in range(5):
        assert_ok(await portal.get("/profile", token=token))


async def test_a_connection_lost_mid_request_is_503() -> None:
    class Lost(Exception):
        pass

    request = Request({"type": "http", "method": "POST", "path": "/x", "headers": []})
    error = DBAPIError("SELECT 1", {}, Lost(), connection_invalidated=True)
    response = await _handle_database_error(request, error)
    assert response.status_code == 503
    assert json.loads(bytes(response.body))["code"] == "SYSTEM.UNAVAILABLE"


class _Driver:
    def __init__(self, closed: bool) -> None:
        self.closed = closed

    def is_closed(self) -> bool:
        return self.closed


class _Adapted:
    def __init__(self, driver: object) -> None:
        self.driver_connection = driver


def test_the_checkout_check_refuses_only_a_closed_driver_connection() -> None:
    # the same check on every backend; SQLite's driver has no server to close it
    with pytest.raises(DisconnectionError):
        _discard_closed(_Adapted(_Driver(closed=True)), None, None)
    _discard_closed(_Adapted(_Driver(closed=False)), None, None)
    _discard_closed(_Adapted(object()), None, None)  # a driver without is_closed()


async def test_the_check_is_installed_on_every_engine(database: Database) -> None:
    assert event.contains(database.engine.sync_engine, "checkout", _discard_closed)
    assert event.contains(database.side_engine.sync_engine, "checkout", _discard_closed)
