"""The consumer and partner portals in the browser: server-rendered pages on the portal API.

`/` offers both portals; each opens at `/consumer/` or `/partner/`. See the README's design
note ("The web pages") for why the pages are rendered on the server and how they are secured.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from portico.enums import AccountPortal
from portico.pages import views
from portico.pages.api import PortalApi, SessionExpired
from portico.pages.framework import PAGE_HEADERS, PAGES, Page, access_code, environment, handle
from portico.pages.text import Text
from portico.runtime import runtime_of

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/assets"
# Headers of an API download passed on to the browser.
DOWNLOAD_HEADERS = ("content-type", "content-disposition", "content-length")

# The pages whose forms upload a file (a recharge's proof): their bodies may be as large as an
# upload to the API, which they pass the file on to (and which judges its size and type).
UPLOAD_PAGES = tuple(f"/{portal.value.lower()}/recharges/" for portal in AccountPortal)

__all__ = ["UPLOAD_PAGES", "install_pages", "views"]


async def _landing(request: Request) -> Response:
    html = environment.get_template("landing.html").render(t=Text())
    return HTMLResponse(html, headers=PAGE_HEADERS)


async def _download(request: Request, portal: AccountPortal, kind: str, back: str) -> Response:
    """An export's or an uploaded file's bytes (`kind`: `exports` or `files`), fetched from the
    API with the browser's session and passed on; on an error, back to the `back` page with
    the API's message."""
    jar = runtime_of(request.app).pages_cookie_jar
    state = jar.read(request, portal)
    root = f"/{portal.value.lower()}"
    code = await access_code(request, portal)
    if code is None or not state.signed_in:
        return RedirectResponse(f"{root}/sign-in", status_code=303)
    api = PortalApi(request, portal, code, state)
    try:
        result = await api.call("GET", f"/{kind}/{request.path_params['biz_id']}/download")
    except SessionExpired:
        state.add_flash(Text()("session.expired"))
        response: Response = RedirectResponse(f"{root}/sign-in", status_code=303)
    else:
        upstream = result.response
        if upstream is None or not upstream.is_success or result.code:
            state.add_flash(result.message or Text()("error.unexpected"))
            response = RedirectResponse(f"{root}{back}", status_code=303)
        else:
            headers = {k: v for k, v in upstream.headers.items() if k in DOWNLOAD_HEADERS}
            response = StreamingResponse(
                iter([upstream.content]), headers={**headers, "Cache-Control": "no-store"}
            )
    jar.write(request, response, portal, state)
    return response


def _page_route(portal: AccountPortal, page: Page) -> Route:
    root = f"/{portal.value.lower()}"
    path = root + page.path

    async def endpoint(request: Request) -> Response:
        return await handle(request, portal, page)

    return Route(path, endpoint, methods=["GET", "POST"], name=f"pages-{portal.value}-{page.name}")


def install_pages(app: FastAPI) -> None:
    routes = [Route("/", _landing, methods=["GET"], name="pages-landing")]
    for portal in AccountPortal:
        root = f"/{portal.value.lower()}"
        routes.append(Route(root, lambda r, to=root + "/": RedirectResponse(to, status_code=308)))
        for kind, back in (("exports", "/exports"), ("files", "/recharge")):
            download = partial(_download, portal=portal, kind=kind, back=back)
            routes.append(Route(f"{root}/{kind}/{{biz_id}}/download", download))
        routes.extend(_page_route(portal, p) for p in PAGES if portal in p.portals)
    app.router.routes.extend(routes)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="pages-assets")
