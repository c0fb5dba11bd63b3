"""A `rel` client: the issuer API's customer data store with an issuer client's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.oauth import IssuerApi


@dataclass
class Rel:
    api: IssuerApi

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        return await self.api.http.request(
            method,
            self.api.url(f"/rel{path}"),
            json=body,
            headers=self.api.headers(token, **(headers or {})),
            **kw,
        )

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return await self.call("POST", path, body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return await self.call("PUT", path, body, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.call("DELETE", path, **kw)

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = await self.call(method, path, body, **kw)
        assert response.status_code == 200, response.text
        return response.json()
