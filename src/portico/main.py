"""The application factory: routers for both portals, middleware and the error handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from portico import __version__
from portico.accounts.router import router as profile_router
from portico.api_keys.router import router as api_keys_router
from portico.auth.router import router as auth_router
from portico.config import Settings, get_settings
from portico.constants.router import router as constants_router
from portico.db import Database
from portico.enums import AccountPortal
from portico.exchanges.router import router as exchanges_router
from portico.exports.router import router as exports_router
from portico.files.router import router as files_router
from portico.invitations.router import router as invitations_router
from portico.issuer import errors as issuer_errors
from portico.issuer.backoffice_router import router as issuer_backoffice_router
from portico.issuer.customers_router import router as issuer_customers_router
from portico.issuer.middleware import CorrelationIdMiddleware
from portico.issuer.operations_router import router as issuer_operations_router
from portico.oauth import errors as oauth_errors
from portico.oauth.errors import OAuthError
from portico.oauth.router import router as oauth_router
from portico.onboarding import errors as onboarding_errors
from portico.onboarding.router import PREFIX as ONBOARDING_PREFIX
from portico.onboarding.router import router as onboarding_router
from portico.openapi import install as install_openapi
from portico.ops import metrics
from portico.ops.logs import JsonFormatter
from portico.ops.middleware import OpsMiddleware
from portico.pages import UPLOAD_PAGES, install_pages
from portico.pages.state import CookieJar
from portico.recharges.router import router as recharges_router
from portico.referrals.router import router as referrals_router
from portico.rel.router import router as rel_router
from portico.runtime import Runtime
from portico.sandbox.router import router as sandbox_router
from portico.securechannel.middleware import SecureChannelMiddleware
from portico.securechannel.router import router as secure_channel_router
from portico.security.router import router as security_router
from portico.transfers.router import consumer_router as consumer_transfers_router
from portico.transfers.router import partner_router as partner_transfers_router
from portico.wallets.router import router as wallets_router
from portico.web.context import PORTAL_PREFIXES
from portico.web.docs import DOCS_POLICY, install_docs
from portico.web.error_shapes import ErrorShapeMiddleware
from portico.web.fast_reads import FastReads
from portico.web.fast_transfers import FastPaths, FastTransfers
from portico.web.handlers import install_error_handlers
from portico.web.middleware import (
    BodySizeLimitMiddleware,
    EdgeMiddleware,
    ExactNumbersMiddleware,
    RequestIdFilter,
    UnexpectedErrorMiddleware,
)
from portico.web.routing import portal_routes
from portico.withdrawals.router import router as withdrawals_router
from portico.workspaces.deps import declared_permission
from portico.workspaces.roles_router import router as roles_router
from portico.workspaces.router import router as workspaces_router

# Routes shared by both portals, written once; portal-only routers are added per portal.
SHARED_ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    security_router,
    profile_router,
    workspaces_router,
    roles_router,
    invitations_router,
    api_keys_router,
    wallets_router,
    exchanges_router,
    recharges_router,
    withdrawals_router,
    files_router,
    exports_router,
    secure_channel_router,
    constants_router,
)
SERVER_ROUTERS: tuple[APIRouter, ...] = (
    oauth_router,
    issuer_operations_router,
    issuer_backoffice_router,
    issuer_customers_router,
    rel_router,
    onboarding_router,
)
PORTAL_ONLY_ROUTERS: dict[AccountPortal, tuple[APIRouter, ...]] = {
    AccountPortal.CONSUMER: (consumer_transfers_router, sandbox_router),
    AccountPortal.PARTNER: (partner_transfers_router, referrals_router),
}


def _document_permissions() -> None:
    """Publish each workspace route's required permission as `x-permission` in OpenAPI."""
    routers = SHARED_ROUTERS + tuple(r for rs in PORTAL_ONLY_ROUTERS.values() for r in rs)
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                permission = declared_permission(route.dependant)
                if permission:
                    route.openapi_extra = {
                        **(route.openapi_extra or {}),
                        "x-permission": permission,
                    }


# The routes whose bodies are uploads, with their own size limit.
UPLOAD_PATHS = tuple(f"{prefix}/files/upload" for prefix in PORTAL_PREFIXES.values())


@cache
def _portal_routes() -> tuple[BaseRoute, ...]:
    """Both portals' routes, built once per process: they do not depend on settings, and
    FastAPI's analysis of every route's dependencies is the costly part of building an app."""
    _document_permissions()
    return portal_routes(
        {portal: SHARED_ROUTERS + PORTAL_ONLY_ROUTERS[portal] for portal in AccountPortal},
        FastPaths(FastReads(), FastTransfers()),
    )


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger("portico")
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter()
        if settings.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    root.propagate = False


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the Portico API."""
    settings = settings or get_settings()
    configure_logging(settings)
    database = database or Database.from_url(
        settings.resolved_database_url,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        pgbouncer=settings.database_pooling == "pgbouncer",
    )
    metrics.track_pool(database.engine, "main")
    if database.side_engine is not database.engine:
        metrics.track_pool(database.side_engine, "side")
    runtime = Runtime.build(settings, database, CookieJar(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.open()
        if settings.gc_freeze:
            # What startup built (the app, its routes and schemas, the models, the pools) lives
            # as long as the process: moved out of the cyclic collector's sight, a full
            # collection no longer walks it, which stalled requests for tens of milliseconds
            # (the reads' p99: 51-79 ms before, 22-27 ms after, in one sitting).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if settings.gc_freeze:
                gc.unfreeze()
            await runtime.close()

    app = FastAPI(
        title="Portico",
        version=__version__,
        description=(
            "The Portico wallet platform: the consumer and partner portal APIs "
            "(`/web/v1/consumer`, `/web/v1/partner`, the six-key envelope), the OAuth2 token "
            "endpoint (`/auth/realms/{realm}/...`, OAuth2 JSON) and the issuer API "
            "(`/issuers/{issuerId}/...`, bare JSON; every refusal "
            '`{"error":{"code","message"}}`).'
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    # `/roles/` is an unknown route (404 envelope), not a redirect to `/roles`.
    app.router.redirect_slashes = False
    app.state.runtime = runtime  # the one item of state (`portico.runtime.runtime_of`)
    install_error_handlers(app)
    app.add_exception_handler(OAuthError, oauth_errors.handle_oauth_error)
    install_openapi(app)
    app.router.routes.extend(_portal_routes())
    # The server APIs beside the portals: their own bodies, no envelope.
    for router in SERVER_ROUTERS:
        app.include_router(router)
    install_docs(app)
    install_pages(app)

    # One layer (web.middleware.EdgeMiddleware) for what every request needs; the layers only
    # some requests need run, in this order (outermost first), for those requests only.
    app.add_middleware(
        EdgeMiddleware,
        html_policy=DOCS_POLICY,
        special=[
            (
                ErrorShapeMiddleware,
                {
                    "shapes": [
                        ("/auth/realms/", oauth_errors.shape),
                        ("/issuers/", issuer_errors.shape),
                        (f"{ONBOARDING_PREFIX}/", onboarding_errors.shape),
                    ]
                },
            ),
            (CorrelationIdMiddleware, {}),
            (
                BodySizeLimitMiddleware,
                {
                    "max_bytes": settings.max_body_bytes,
                    "upload_max_bytes": settings.file_max_bytes,
                    "upload_suffixes": UPLOAD_PATHS,
                    "upload_prefixes": UPLOAD_PAGES,
                    "path_limits": (
                        (
                            f"{ONBOARDING_PREFIX}/onBoarding/customer",
                            settings.onboarding_max_body_bytes,
                        ),
                    ),
                },
            ),
            (SecureChannelMiddleware, {}),
            (ExactNumbersMiddleware, {}),
            (UnexpectedErrorMiddleware, {}),
        ],
    )
    # Outermost: `/healthz`, `/readyz` and `/metrics` cost nothing of the stack above (they are
    # not in the OpenAPI document: no route serves them), and every request is counted.
    app.add_middleware(OpsMiddleware, settings=settings, database=database, jobs=runtime.jobs)
    return app
