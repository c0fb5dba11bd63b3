"""The portal routes: every router included under each portal's prefix, and the dispatch index
that finds the route owning a path without trying every route of both portals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, Depends
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from portico.enums import AccountPortal
from portico.web.context import PORTAL_PREFIXES, get_portal_context, route_path

SELECTED_ROUTE = "portico.portal_route"


class FastPath(Protocol):
    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer the request and return None, or change nothing and return the `receive` the
        route reads the request from (the body read so far replayed)."""
        ...


class PortalDispatch(BaseRoute):
    """Finds a portal route by its portal prefix and first path segment (`/transfer`,
    `/auth`, ...) in a dict, instead of FastAPI trying every route of both portals in turn
    (~0.3 ms a request, more than once a request).

    It stands before the portal routes and only ever answers a full match; anything else
    (an unknown path: 404, a wrong method: 405) falls through to the same routes behind it,
    which also serve the OpenAPI document.
    """

    def __init__(
        self, sections: dict[tuple[str, str], list[BaseRoute]], fast: FastPath | None = None
    ) -> None:
        self.sections = sections
        self.prefixes = tuple(PORTAL_PREFIXES.values())
        # `web.fast_transfers.FastPaths`: offered each matched request first.
        self.fast = fast

    def _section(self, scope: Scope) -> list[BaseRoute]:
        if scope["type"] != "http":
            return []
        path = route_path(scope)
        for prefix in self.prefixes:
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] == "/":
                segment = path[len(prefix) + 1 :].split("/", 1)[0]
                return self.sections.get((prefix, segment), [])
        return []

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        for route in self._section(scope):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return match, {**child_scope, SELECTED_ROUTE: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope[SELECTED_ROUTE]
        if self.fast is not None:
            passed = await self.fast.answer(scope, receive, send)
            if passed is None:
                return
            receive = passed
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


def portal_routes(
    routers: Mapping[AccountPortal, Sequence[APIRouter]], fast: FastPath | None = None
) -> tuple[BaseRoute, ...]:
    """Each portal's routers under its prefix (with the portal-context dependency), behind a
    `PortalDispatch` that indexes them (and offers each request to `fast` first).

    Each (portal, router) pair is included on its own, so `PortalDispatch` can go straight to
    the one that owns a path's first segment."""
    parent = APIRouter()
    sections: dict[tuple[str, str], list[BaseRoute]] = {}
    for portal, portal_routers in routers.items():
        prefix = PORTAL_PREFIXES[portal]
        for router in portal_routers:
            parent.include_router(router, prefix=prefix, dependencies=[Depends(get_portal_context)])
            included = parent.routes[-1]
            for route in router.routes:
                owners = sections.setdefault((prefix, getattr(route, "path", "").split("/")[1]), [])
                if included not in owners:
                    owners.append(included)
    return (PortalDispatch(sections, fast), *parent.routes)
