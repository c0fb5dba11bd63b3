"""The route template of a request, for metrics labels and log lines."""

from __future__ import annotations

from starlette.types import Scope

from portico.web.context import PORTAL_PREFIXES, route_path

UNMATCHED = "<unmatched>"
_PORTAL_PREFIXES = tuple(PORTAL_PREFIXES.values())


def route_template(scope: Scope) -> str:
    """The route template that served the request (`/web/v1/consumer/wallets/{walletBizId}`),
    never the path itself; `<unmatched>` when no route took it (an unknown path)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    path = route_path(scope)
    for prefix in _PORTAL_PREFIXES:
        if path.startswith(prefix + "/") and not template.startswith(prefix + "/"):
            return prefix + template  # the portal routers' own paths carry no prefix
    return template
