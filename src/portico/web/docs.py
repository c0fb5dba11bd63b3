"""`/docs`: Swagger UI served from this server, under a strict Content-Security-Policy.

FastAPI's page loads Swagger UI from a CDN and starts it with an inline script, which a strict
policy forbids (and a machine without internet cannot load). Here the assets come from the
`fastapi-offline` package and the page has no inline script or style: the policy allows only
this origin.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH = "/docs/assets"

# Scripts, styles and images only from this origin (the UI's icons are inline SVG data URIs),
# requests ("Try it out") only to it, and no framing.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

# Relative URLs, so the page also works behind a proxy that serves the API under a path.
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API documentation</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/assets/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
"""
_START = """window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""


def install_docs(app: FastAPI) -> None:
    """Serve `/docs`, its start script and the Swagger UI assets."""
    page = _PAGE.format(title=app.title)

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> Response:
        return HTMLResponse(page)

    @app.get("/docs/start.js", include_in_schema=False)
    async def docs_start() -> Response:
        return Response(_START, media_type="text/javascript")

    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")
