"""How a page works: a GET renders what the portal API answers, a POST runs one of the page's
actions through the portal API and redirects (post/redirect/get), or renders the page again with
the API's error next to the field or action it concerns.

A page is a template, a loader (the API reads it shows) and its actions (the API calls its
forms make). Every POST carries the CSRF token and names its action in `_action`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from portico.enums import AccountPortal
from portico.institutions.models import PortalAccessCode
from portico.pages.api import ApiResult, PortalApi, SessionExpired
from portico.pages.state import CSRF_FIELD, CookieJar, PageState
from portico.pages.text import Text
from portico.runtime import runtime_of

TEMPLATES = Path(__file__).parent / "templates"

# Pages: scripts, styles and images from this origin only; forms post only to it; no framing.
PAGES_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# `same-origin`, not the API's `no-referrer`: under `no-referrer` a browser sends `Origin: null`
# with a form's POST, and the CSRF check compares the Origin with this site. No address leaves
# the site either way (and the reset link's token is out of the address bar at once).
PAGE_HEADERS = {
    "Content-Security-Policy": PAGES_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _page_query(params: Any, number: int) -> str:
    """The list's query string with another page number (filters kept)."""
    kept = [(k, v) for k, v in params.multi_items() if k != "page"]
    return urlencode([*kept, ("page", str(number))])


def _wallet_option(wallet: dict[str, Any]) -> tuple[str, str]:
    text = f"{wallet['walletName']} · {wallet['availableBalance']} {wallet['currency']}"
    return wallet["bizId"], text


def _permission_option(node: Any) -> tuple[str, str]:
    if isinstance(node, str):
        return node, node
    code = node.get("permissionCode") or node.get("code")
    return code, node.get("permissionName") or node.get("name") or code


environment.filters["pagequery"] = _page_query
environment.filters["pair"] = lambda value: (value, value)
environment.filters["channel_option"] = lambda c: (
    c["bizId"],
    f"{c['channelName']} ({c['currency']})",
)
environment.filters["withdrawal_channel_option"] = lambda c: (
    c["bizId"],
    f"{c['channelName']} ({c['currency']})",
)
environment.filters["role_option"] = lambda r: (r["bizId"], r["roleName"])
environment.filters["membership_option"] = lambda m: (m["workspaceBizId"], m["workspaceName"])
environment.filters["permission_option"] = _permission_option
environment.filters["export_type_option"] = lambda v: (v, Text()(f"exports.type.{v}"))
environment.filters["wallet_option"] = _wallet_option
environment.filters["method_option"] = lambda code: (code, Text()(f"mfa.{code}"))


class Form:
    """The submitted form: stripped strings, empty as None."""

    def __init__(self, data: FormData) -> None:
        self.data = data

    def s(self, name: str) -> str | None:
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return None

    def all(self, name: str) -> list[str]:
        return [v for v in self.data.getlist(name) if isinstance(v, str) and v]

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in (self.s(name) or "").splitlines() if line.strip()]

    def file(self, name: str) -> UploadFile | None:
        value = self.data.get(name)
        return value if isinstance(value, UploadFile) and value.filename else None

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self.data.items() if isinstance(v, str) and k != CSRF_FIELD}


After = Callable[["Ctx", ApiResult, Form], Awaitable[Response | None]]


@dataclass(frozen=True)
class Act:
    """One form's call: `path` (a function of the form when it names an id) and `body`.

    `codes` puts an error code next to a form field; errors the API names no field for go next
    to the action's button. `done` is the text shown after success; `after` replaces the redirect
    (it may render the page with what the API answered, e.g. a secret shown once)."""

    path: str | Callable[[Form, Ctx], str]
    body: Callable[[Form, Ctx], Any] | None = None
    done: str | None = None
    after: After | None = None
    public: bool = False
    codes: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    call: Callable[[Ctx, Form], Awaitable[ApiResult]] | None = None


Loader = Callable[["Ctx"], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    template: str
    load: Loader
    actions: dict[str, Act] = field(default_factory=dict)
    public: bool = False
    portals: tuple[AccountPortal, ...] = (AccountPortal.CONSUMER, AccountPortal.PARTNER)
    nav: str | None = None  # the text key of its entry in the menu


class Ctx:
    """One page request: the portal, the browser's state, the API client and the words."""

    def __init__(
        self,
        request: Request,
        portal: AccountPortal,
        page: Page,
        jar: CookieJar,
        state: PageState,
        api: PortalApi,
    ) -> None:
        self.request = request
        self.portal = portal
        self.page = page
        self.jar = jar
        self.state = state
        self.api = api
        self.t = Text()
        self.errors: dict[str, dict[str, str]] = {}
        self.values: dict[str, str] = {}
        self.submitted: str | None = None
        self.extra: dict[str, Any] = {}
        self.status = 200

    @property
    def root(self) -> str:
        return f"/{self.portal.value.lower()}"

    def url(self, path: str = "/") -> str:
        return self.root + path

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.request.path_params)

    def query(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value.strip() if value and value.strip() else None

    def page_number(self) -> int:
        value = self.query("page") or "1"
        return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else 1

    def redirect(self, path: str) -> Response:
        return RedirectResponse(self.url(path), status_code=303)

    def fail(self, action: str, result: ApiResult, act: Act | None, item: str | None) -> None:
        """Put the API's error where it belongs: on the fields it names, else on the action."""
        key = f"{action}:{item}" if item else action
        errors = self.errors.setdefault(key, {})
        mapped = (act.fields if act else {}) | {}
        placed = False
        for api_field in result.fields:
            errors[mapped.get(api_field, api_field)] = result.message
            placed = True
        if act and result.code in act.codes:
            errors[act.codes[result.code]] = result.message
            placed = True
        if not placed:
            errors["_"] = result.message or self.t("error.unexpected")
        self.status = 400

    async def render(self, **data: Any) -> Response:
        loaded = await self.page.load(self)
        if isinstance(loaded, Response):
            return loaded
        template = environment.get_template(self.page.template)
        html = template.render(
            t=self.t,
            ctx=self,
            portal=self.portal.value.lower(),
            root=self.root,
            here=self.request.url.path,
            csrf=self.jar.csrf_token(self.state),
            errors=self.errors,
            values=self.values,
            submitted=self.submitted,
            flash=self.state.take_flash(),
            signed_in=self.state.signed_in,
            email=self.state.email,
            nav=nav_for(self.portal) if self.state.signed_in else [],
            new_reference=uuid.uuid4().hex,
            **loaded,
            **self.extra,
            **data,
        )
        return HTMLResponse(html, status_code=self.status, headers=PAGE_HEADERS)


PAGES: list[Page] = []


def nav_for(portal: AccountPortal) -> list[tuple[str, str]]:
    return [(p.path, p.nav) for p in PAGES if p.nav and portal in p.portals]


def resolve_path(act: Act, form: Form, ctx: Ctx) -> str:
    return act.path if isinstance(act.path, str) else act.path(form, ctx)


async def access_code(request: Request, portal: AccountPortal) -> str | None:
    """The portal access code the pages send: configured, else the only enabled one."""
    runtime = runtime_of(request.app)
    settings = runtime.settings
    configured = (
        settings.web_consumer_access_code
        if portal == AccountPortal.CONSUMER
        else settings.web_partner_access_code
    )
    if configured:
        return str(configured)
    cache = runtime.pages_access_codes
    if portal in cache:
        return cache[portal]
    async with runtime.database.transaction() as session:
        codes = list(
            (
                await session.execute(
                    select(PortalAccessCode.code)
                    .where(
                        PortalAccessCode.portal == portal.value,
                        PortalAccessCode.enabled.is_(True),
                    )
                    .limit(2)
                )
            ).scalars()
        )
    if len(codes) != 1:
        return None
    code = str(codes[0])
    cache[portal] = code
    return code


async def handle(request: Request, portal: AccountPortal, page: Page) -> Response:
    jar = runtime_of(request.app).pages_cookie_jar
    state = jar.read(request, portal)
    code = await access_code(request, portal)
    if code is None:
        text = Text()
        html = environment.get_template("unconfigured.html").render(t=text, portal=portal.value)
        return HTMLResponse(html, status_code=503, headers=PAGE_HEADERS)
    api = PortalApi(request, portal, code, state)
    ctx = Ctx(request, portal, page, jar, state, api)
    try:
        response = await _dispatch(ctx)
    except SessionExpired:
        state.sign_out()
        state.add_flash(ctx.t("session.expired"))
        response = ctx.redirect("/sign-in")
    if not page.public and not state.signed_in and response.status_code == 200:
        response = ctx.redirect("/sign-in")
    jar.write(request, response, portal, state)
    return response


async def _dispatch(ctx: Ctx) -> Response:
    page, request = ctx.page, ctx.request
    if not page.public and not ctx.state.signed_in:
        return ctx.redirect("/sign-in")
    if request.method != "POST":
        return await ctx.render()
    form = Form(await request.form())
    if not ctx.jar.csrf_valid(ctx.state, form.s(CSRF_FIELD)) or not _same_origin(request):
        ctx.status = 403
        ctx.errors["_page"] = {"_": ctx.t("error.csrf")}
        return await ctx.render()
    action = form.s("_action") or ""
    act = page.actions.get(action)
    if act is None:
        ctx.status = 400
        ctx.errors["_page"] = {"_": ctx.t("error.unknown_action")}
        return await ctx.render()
    ctx.submitted = action
    ctx.values = form.values()
    if act.call is not None:
        result = await act.call(ctx, form)
    else:
        path = resolve_path(act, form, ctx)
        body = act.body(form, ctx) if act.body else {}
        if act.public:
            result = await ctx.api.public("POST", path, json=body)
        else:
            result = await ctx.api.post(path, body)
    if not result.ok:
        ctx.fail(action, result, act, form.s("_item"))
        return await ctx.render()
    if act.after is not None:
        response = await act.after(ctx, result, form)
        if response is not None:
            return response
    if act.done:
        ctx.state.add_flash(ctx.t(act.done))
    return RedirectResponse(request.url.path + _keep_query(request), status_code=303)


def _keep_query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def _same_origin(request: Request) -> bool:
    """A browser names the page that sent a POST in `Origin`; it must be this site."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # no browser leaves it out of a cross-site POST; the token is checked too
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host
