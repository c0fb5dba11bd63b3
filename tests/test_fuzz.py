"""Property-based fuzzing of every portal route: bad input never gets a 500, and every answer
is the documented envelope.

The routes are read from the OpenAPI document, so a route added later is fuzzed without a change
here. Each operation gets `PORTICO_FUZZ_EXAMPLES` generated requests (Hypothesis, derandomized):
arbitrary JSON, mutations of the request body's schema (wrong types, missing and extra keys),
raw non-JSON bytes, wrong content types, random query and path parameters, and every kind of
portal access code, bearer token and workspace header, valid ones included. One app and one
database serve the whole module; the last test checks the seeded accounts came through intact.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from portico.accounts.models import Account
from portico.auth.models import ThrottleCounter
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.config import Settings
from portico.db import Database, utcnow
from portico.enums import AccountPortal
from portico.envelope import VERSION
from portico.main import create_app
from portico.runtime import runtime_of
from portico.security.models import AuthSession
from portico.security.tokens import AccessClaims
from portico.tenancy import scoped
from portico.workspaces import permissions
from portico.workspaces.models import WorkspaceRole
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.factories.workspaces import add_member, create_role, owned_workspace
from tests.support.conformance import document
from tests.support.db import make_settings, truncate
from tests.support.mail import Outbox
from tests.support.portal import Portal

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = pytest.mark.xdist_group("fuzz")

# One event loop for the module: the app, its engine and every example share it.
in_module_loop = pytest.mark.asyncio(loop_scope="module")

ENVELOPE_KEYS = ["version", "timestamp", "success", "code", "message", "data"]
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$")
SUCCESS_CODE = re.compile(r"^2\d{3}$")
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# 204 is allowed only where the OpenAPI document declares it (no route does yet).
EXPECTED_STATUSES = {200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 429}
CLIENT_IP = "203.0.113.10"
PROXY_IP = "127.0.0.1"  # configured as a trusted proxy below: its CF-Connecting-IP is read
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


# --- The operations, from the OpenAPI document -------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    portal: AccountPortal
    body_schema: dict[str, Any] | None
    query: tuple[tuple[str, dict[str, Any]], ...]
    path_params: tuple[str, ...]
    statuses: frozenset[int]

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _resolve(schema: Any, spec: dict[str, Any]) -> Any:
    """`schema` with every `$ref` inlined (the request schemas are not recursive)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return _resolve(spec["components"]["schemas"][name], spec)
        return {key: _resolve(value, spec) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolve(item, spec) for item in schema]
    return schema


def _portal_of(path: str) -> AccountPortal:
    for portal in AccountPortal:
        if path.startswith(f"/web/v1/{portal.value.lower()}/"):
            return portal
    raise AssertionError(f"{path} is under no portal")


def portal_operations() -> list[Operation]:
    """Every operation under /web/v1/, read from the app's OpenAPI document."""
    spec = document()
    operations = []
    for path, item in spec["paths"].items():
        if not path.startswith("/web/v1/"):
            continue
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            params = op.get("parameters", [])
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            operations.append(
                Operation(
                    method=method,
                    path=path,
                    portal=_portal_of(path),
                    body_schema=_resolve(schema, spec) if schema else None,
                    query=tuple(
                        (p["name"], _resolve(p.get("schema", {}), spec))
                        for p in params
                        if p["in"] == "query"
                    ),
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    statuses=frozenset(int(s) for s in op.get("responses", {}) if s.isdigit()),
                )
            )
    return operations


OPERATIONS = portal_operations()
# Requests per operation. The default spreads a fixed total over the operations (at least 20
# each), so the file keeps its time budget as routes are added; set it to fuzz harder.
TOTAL_EXAMPLES = 4800
EXAMPLES = int(
    os.environ.get("PORTICO_FUZZ_EXAMPLES") or max(20, TOTAL_EXAMPLES // len(OPERATIONS))
)


# --- JSON values, written as text by hand (NaN, Infinity and huge numbers included) -----------


class Raw(str):
    """A JSON number token written as is (`NaN`, `1e999`, 5000 digits...)."""


@dataclass(frozen=True)
class Obj:
    """A JSON object as ordered pairs, so duplicate keys can be written."""

    pairs: tuple[tuple[str, Any], ...]


def dump(value: Any, *, ascii_only: bool = True) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, list):
        return "[" + ",".join(dump(item, ascii_only=ascii_only) for item in value) + "]"
    if isinstance(value, Obj):
        return (
            "{"
            + ",".join(
                json.dumps(key, ensure_ascii=ascii_only) + ":" + dump(item, ascii_only=ascii_only)
                for key, item in value.pairs
            )
            + "}"
        )
    raise TypeError(type(value))


RAW_NUMBERS = [
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1e-999",
    "-0",
    "0e0",
    "1E+2",
    "9" * 5000,  # over Python's int-from-string limit
    "-" + "9" * 5000,
    "1" + "0" * 400 + ".5",
]
INTERESTING_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "null",
    "true",
    "0",
    "-1",
    "NaN",
    "1e309",
    "a@b.co",
    "a@b",
    "@",
    "a@b.co\x00",
    " a@b.co ",
    "user@[127.0.0.1]",
    "\u202e\u0000\ufeff",
    "🙂" * 3,
    "\U0001d54f",
    "\ud800",
    "\udfff",
    "x" * 257,
    "'; DROP TABLE accounts;--",
    '" OR 1=1 --',
    "%s%s%n",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\\",
    "\r\n",
    "UTC",
    "Europe/Paris",
    "Not/A_Zone",
    "US",
    "ZZ",
    "en",
    "xx-YYYY",
    "+14155550100",
    "EMAIL",
    "TOTP",
    "BACKUP_CODE",
    "SMS",
    "LIVE",
    "SANDBOX",
    "123456",
    "000000",
    "ABCD-EFGH",
    "10.0.0.0/8",
    "::1",
    "999.1.1.1",
    "0.0.0.0/0",
    "pac_nope",
]


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each `weight` times as likely as a weight of 1 (`one_of` would
    merge repeats of one strategy, so the repeats are sampled instead)."""
    expanded = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(expanded).flatmap(lambda strategy: strategy)


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in `n` draws (`integers(0, n - 1) == 0` is far likelier: 0 is simplest)."""
    return st.sampled_from([False] * (n - 1) + [True])


def with_nul(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`texts` with a NUL character added at the start, the end or the middle."""
    return st.builds(
        lambda text, where: text[:where] + "\x00" + text[where:],
        texts,
        st.sampled_from([0, 1, 1_000]),
    )


long_strings = st.builds(
    lambda unit, times: unit * times,
    st.text(min_size=1, max_size=3),
    st.integers(min_value=100, max_value=10_000),
)
strings = st.one_of(
    st.text(max_size=16),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Mn"]), max_size=6),
    st.sampled_from(INTERESTING_STRINGS),
    long_strings,
)
integers = st.one_of(
    st.integers(min_value=-20, max_value=200),
    st.integers(),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**300)]),
)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, -0.0, 1e308, 5e-324, 3.0]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    floats,
    strings,
    st.sampled_from(RAW_NUMBERS).map(Raw),
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(["", "__proto__", "constructor", "\x00"]))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(st.tuples(keys, children), max_size=4).map(lambda ps: Obj(tuple(ps))),
    ),
    max_leaves=8,
)


def _camel_variants(name: str) -> list[str]:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return [snake, name.lower(), name.upper(), name + " ", name.capitalize()]


def typed_value(schema: dict[str, Any], vocab: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Values of the schema's own type, often invalid at the edges (lengths, ranges)."""
    if "anyOf" in schema:
        return st.one_of([typed_value(s, vocab) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low = int(schema.get("minimum", -5))
        high = int(schema.get("maximum", low + 100))
        edge = st.integers(min_value=low - 2, max_value=high + 2)
        return st.one_of(edge, integers) if kind == "integer" else st.one_of(edge, floats)
    if kind == "array":
        item = typed_value(schema.get("items", {}), vocab)
        lists = [st.lists(item, max_size=min(int(schema.get("maxItems", 5)), 5))]
        if "maxItems" in schema:  # one too many
            too_many = int(schema["maxItems"]) + 1
            lists.append(st.lists(st.just("x"), min_size=too_many, max_size=too_many))
        return st.one_of(lists)
    if kind == "object":
        return shaped_object(schema, vocab)
    if kind == "string":
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", 40))
        options = [
            vocab,
            with_nul(vocab),  # PostgreSQL refuses NUL in text: it must never reach a query
            with_nul(vocab),
            st.text(min_size=low, max_size=max(low, min(high, 20))),
            strings,
        ]
        if high < 10_000:  # one character too long
            options.append(st.text(min_size=1, max_size=1).map(lambda c: c * (high + 1)))
        if low > 0:  # one character too short
            options.append(st.text(min_size=low - 1, max_size=low - 1))
        if schema.get("format") == "email":
            options.append(st.emails())
        if "pattern" in schema:
            options.append(st.from_regex(schema["pattern"], fullmatch=True))
        return st.one_of(options)
    return json_values


def shaped_object(schema: dict[str, Any], vocab: st.SearchStrategy[str]) -> st.SearchStrategy[Obj]:
    """The schema's shape mutated: any subset of its keys (required ones may be missing),
    each holding a value of its type or of any JSON type, plus extra, renamed or repeated keys."""
    properties: dict[str, Any] = schema.get("properties", {})
    names = list(properties)
    # Built once: constructing strategies (regexes above all) on every draw is slow.
    own_type = {name: typed_value(properties[name], vocab) for name in names}
    any_value = {
        name: weighted((4, own_type[name]), (1, vocab), (2, json_values)) for name in names
    }
    renamed = {name: st.sampled_from(_camel_variants(name)) for name in names}

    @st.composite
    def build(draw: st.DrawFn) -> Obj:
        chosen = names
        if names and draw(one_in(4)):  # usually the full shape, so handlers run, not just parsing
            chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
        pairs: list[tuple[str, Any]] = []
        for name in chosen:
            value = draw(any_value[name])
            key = name
            if draw(one_in(16)):
                key = draw(renamed[name])
            pairs.append((key, value))
        if pairs and draw(one_in(11)):  # a repeated key
            pairs.append((pairs[0][0], draw(json_values)))
        if draw(one_in(3)):
            pairs += draw(st.lists(st.tuples(keys, json_values), max_size=2))
        return Obj(tuple(pairs))

    return build()


# --- Requests ------------------------------------------------------------------------------------


class Marker:
    """A header value resolved when the request is sent (a live token)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


VALID_TOKEN = Marker("Bearer <a live access token of the portal's seeded account>")
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=24,
)


@dataclass
class FuzzRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str | Marker]
    content: bytes | None
    via_proxy: bool

    @property
    def url(self) -> str:
        """The path and query, percent-encoded by hand (lone surrogates included)."""
        if not self.query:
            return self.path

        def quote(text: str) -> str:
            return urllib.parse.quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")

        return self.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in self.query)

    def describe(self) -> str:
        headers = {k: v if isinstance(v, str) else v.name for k, v in self.headers.items()}
        body = (
            self.content
            if self.content is None or len(self.content) <= 600
            else (self.content[:600] + b"...(%d bytes)" % len(self.content))
        )
        return (
            f"{self.method} {self.url}\n"
            f"  client: {PROXY_IP if self.via_proxy else CLIENT_IP}\n"
            f"  headers: {headers!r}\n  body: {body!r}"
        )


@dataclass
class World:
    """The app, its data, and the fixed values the generated requests draw on."""

    app: Any
    settings: Settings
    database: Database
    institution: InstitutionCodes
    accounts: dict[AccountPortal, Account]
    member_accounts: dict[AccountPortal, Account]
    contexts: dict[AccountPortal, PortalContext]
    workspaces: dict[AccountPortal, str]
    static_tokens: dict[AccountPortal, dict[str, str]]
    vocabulary: list[str]
    clients: dict[bool, httpx.AsyncClient]
    errors: list[logging.LogRecord]
    snapshot: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    live_tokens: dict[AccountPortal, str | None] = field(default_factory=dict)
    strategies: dict[str, st.SearchStrategy[FuzzRequest]] = field(default_factory=dict)

    def other(self, portal: AccountPortal) -> AccountPortal:
        return next(p for p in AccountPortal if p != portal)

    async def mint(self, portal: AccountPortal) -> str:
        """A fresh signed-in session of the portal's seeded account (no password, no mail)."""
        client = ClientInfo(CLIENT_IP, "fuzz", None, None, None)
        async with self.database.sessionmaker() as s:
            account = await s.get(Account, self.accounts[portal].id)
            assert account is not None
            issued = await open_session(
                s,
                runtime_of(self.app).auth_kit,
                account=account,
                ctx=self.contexts[portal],
                client=client,
            )
            await s.commit()
        return issued.access_token

    async def live_token(self, portal: AccountPortal) -> str:
        token = self.live_tokens.get(portal)
        if token is None:
            token = self.live_tokens[portal] = await self.mint(portal)
        return token

    async def send(self, request: FuzzRequest, portal: AccountPortal) -> httpx.Response:
        headers = {}
        for name, value in request.headers.items():
            if isinstance(value, Marker):
                value = f"Bearer {await self.live_token(portal)}"
            headers[name] = value.encode("latin-1")
        return await self.clients[request.via_proxy].request(
            request.method, request.url, headers=headers, content=request.content
        )

    def request_strategy(self, op: Operation) -> st.SearchStrategy[FuzzRequest]:
        if op.id not in self.strategies:
            self.strategies[op.id] = self._build_strategy(op)
        return self.strategies[op.id]

    def _build_strategy(self, op: Operation) -> st.SearchStrategy[FuzzRequest]:
        portal, other = op.portal, self.other(op.portal)
        vocab = st.sampled_from(self.vocabulary)
        own_code = self.institution.code(portal)
        # The valid code and token are the likeliest: without them nothing past the gate runs.
        codes = weighted(
            (8, st.just(own_code)),
            (1, st.just(self.institution.code(other))),
            (1, st.none()),
            (1, st.sampled_from(["", " ", own_code.upper(), f" {own_code}", own_code + "x"])),
            (1, st.just("pac_" + "x" * 120)),
            (1, header_text),
        )
        tokens = self.static_tokens[portal]
        bearer = st.builds(lambda t: f"Bearer {t}", st.sampled_from(sorted(tokens.values())))
        segment = st.from_regex(r"[A-Za-z0-9_-]{0,40}", fullmatch=True)
        authorization = weighted(
            (7, st.just(VALID_TOKEN)),
            (1, st.none()),
            (2, bearer),  # expired, revoked, forged, other portal's...
            (1, st.builds(lambda t: f"Bearer {t}", header_text)),
            (1, st.builds(lambda a, b, c: f"Bearer {a}.{b}.{c}", segment, segment, segment)),
            (1, st.sampled_from(["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer x.y.z"])),
            (1, header_text),
        )
        workspace = weighted(
            (3, st.none()),
            (3, st.just(self.workspaces[portal])),
            (1, st.just(self.workspaces[other])),
            (1, header_text),
            (1, st.just("w" * 200)),
        )
        request_id = st.one_of(
            st.none(),
            st.from_regex(r"[A-Za-z0-9._:-]{1,128}", fullmatch=True),
            header_text,
            st.just("x" * 200),
        )
        extra_headers = st.dictionaries(
            st.sampled_from(
                ["User-Agent", "X-Client-Hash", "CF-IPCountry", "X-Locale", "CF-Connecting-IP"]
            ),
            st.one_of(header_text, st.sampled_from(["198.51.100.7", "::1", "1.2.3", "x" * 2000])),
            max_size=3,
        )
        content_types = st.sampled_from(
            [
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "multipart/form-data; boundary=xyz",
                "application/xml",
                "application/json; charset=utf-16",
                "application/json; charset=nonsense",
                "application/vnd.api+json",
                "application/octet-stream",
                "json",
                "",
                "*/*",
            ]
        )
        json_bodies = [json_values]
        if op.body_schema is not None:
            json_bodies = [shaped_object(op.body_schema, vocab)] * 3 + json_bodies
        any_json = st.one_of(json_bodies)

        @st.composite
        def body(draw: st.DrawFn) -> tuple[bytes | None, str | None]:
            kind = draw(
                st.sampled_from(
                    ["json"] * (12 if op.body_schema else 1)
                    + ["none", "raw", "wrong-type", "no-type", "utf16", "huge", "deep"]
                )
            )
            if kind == "none":
                return None, draw(st.sampled_from([None, "application/json"]))
            if kind == "raw":
                raw = draw(
                    st.one_of(
                        st.binary(max_size=80),
                        st.sampled_from(
                            [b"{", b'{"a":', b"\xff\xfe\x00", b"[1,]", b"{'a': 1}", b"\x00", b" "]
                        ),
                    )
                )
                return raw, "application/json"
            if kind == "huge":  # over the body limit
                return b" " * (self.settings.max_body_bytes + 1), "application/json"
            if kind == "deep":
                depth = draw(st.sampled_from([50, 900, 5000, 200_000]))
                return (b"[" * depth + b"]" * depth), "application/json"
            text = dump(draw(any_json), ascii_only=draw(st.booleans()))
            if kind == "utf16":
                return text.encode("utf-16", "surrogatepass"), "application/json"
            encoded = text.encode("utf-8", "surrogatepass")
            if draw(one_in(16)):
                encoded = b"\xef\xbb\xbf" + encoded  # a byte order mark
            if kind == "wrong-type":
                return encoded, draw(content_types)
            if kind == "no-type":
                return encoded, None
            return encoded, "application/json"

        query_values = st.one_of(
            st.integers(min_value=-3, max_value=130).map(str),
            integers.map(str),
            strings.filter(lambda s: len(s) < 2000),
        )
        documented_query = [name for name, _ in op.query]
        query = st.lists(
            st.tuples(st.sampled_from(documented_query) if documented_query else keys, query_values)
            | st.tuples(keys, query_values),
            max_size=4,
        )
        path_value = st.one_of(
            vocab, with_nul(vocab), strings.filter(lambda s: len(s) < 500), st.just("")
        )

        @st.composite
        def request(draw: st.DrawFn) -> FuzzRequest:
            path = op.path
            for name in op.path_params:
                value = draw(path_value).encode("utf-8", "surrogatepass")
                path = path.replace("{" + name + "}", urllib.parse.quote_from_bytes(value, safe=""))
            method = op.method.upper()
            if draw(one_in(13)):
                method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
            headers: dict[str, str] = {}
            for name, strategy in [
                ("X-PORTAL-ACCESS-CODE", codes),
                ("Authorization", authorization),
                ("X-Workspace-Id", workspace),
                ("X-Request-Id", request_id),
            ]:
                value = draw(strategy)
                if value is not None:
                    headers[name] = value
            headers.update(draw(extra_headers))
            content, content_type = draw(body())
            if content_type is not None:
                headers["Content-Type"] = content_type
            return FuzzRequest(
                method=method,
                path=path,
                query=draw(query),
                headers=headers,
                content=content,
                via_proxy=draw(one_in(8)),
            )

        return request()


# --- The world: app, data, clients -------------------------------------------------------------


class _ErrorLog(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _fake_jwt(header: dict[str, Any], payload: dict[str, Any], signature: str = "") -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}.{signature}"


async def _static_tokens(
    world_app: Any,
    database: Database,
    accounts: dict[AccountPortal, Account],
    contexts: dict[AccountPortal, PortalContext],
    mint: Any,
) -> dict[AccountPortal, dict[str, str]]:
    """Tokens that never become valid: expired, revoked, forged, other portal's, unknown session."""
    kit = runtime_of(world_app).auth_kit
    result: dict[AccountPortal, dict[str, str]] = {}
    for portal, account in accounts.items():
        other = next(p for p in AccountPortal if p != portal)
        own = await mint(portal)
        claims = kit.tokens.read_access_token(own)
        assert claims is not None
        expired = kit.tokens.issue_access_token(claims, now=utcnow() - timedelta(days=2))
        revoked = await mint(portal)
        revoked_claims = kit.tokens.read_access_token(revoked)
        async with database.sessionmaker() as s:
            await s.execute(
                update(AuthSession)
                .where(AuthSession.biz_id == revoked_claims.session_biz_id)
                .values(revoked_at=utcnow(), revoke_reason="FUZZ")
            )
            await s.commit()
        unknown_session = kit.tokens.issue_access_token(
            AccessClaims(
                account_biz_id=account.biz_id,
                session_biz_id="no-such-session",
                portal=portal.value,
                institution_biz_id=contexts[portal].institution_biz_id,
            )
        )
        now = int(utcnow().timestamp())
        payload = {
            "iss": "portico",
            "sub": account.biz_id,
            "sid": claims.session_biz_id,
            "prt": portal.value,
            "ins": contexts[portal].institution_biz_id,
            "iat": now,
            "exp": now + 3600,
        }
        result[portal] = {
            "expired": expired,
            "revoked": revoked,
            "unknown-session": unknown_session,
            "other-portal": await mint(other),
            "wrong-key": jwt.encode(payload, "not-the-secret-" * 3, algorithm="HS256"),
            "alg-none": _fake_jwt({"alg": "none", "typ": "JWT"}, payload),
            "no-claims": jwt.encode(
                {"iss": "portico"}, settings_secret(world_app), algorithm="HS256"
            ),
            "wrong-types": jwt.encode(
                {**payload, "sub": 5, "sid": None, "prt": ["x"], "exp": "soon"},
                settings_secret(world_app),
                algorithm="HS256",
            ),
        }
    return result


def settings_secret(app: Any) -> str:
    secret: str = runtime_of(app).settings.resolved_secret_key
    return secret


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    settings = make_settings(
        database_url, tmp_path_factory.mktemp("fuzz"), trusted_proxies=[f"{PROXY_IP}/32"]
    )
    database = Database.from_url(
        settings.resolved_database_url, pool_size=settings.database_pool_size
    )
    app = create_app(settings, database=database)
    errors: list[logging.LogRecord] = []
    handler = _ErrorLog(errors)
    logging.getLogger("portico").addHandler(handler)
    try:
        async with app.router.lifespan_context(app):
            async with database.sessionmaker() as s:
                institution = await create_institution(s)
                accounts, members, workspaces = {}, {}, {}
                vocabulary = list(INTERESTING_STRINGS)
                for portal in AccountPortal:
                    account = await create_account(
                        s, institution_id=institution.institution_id, portal=portal
                    )
                    member = await create_account(
                        s,
                        institution_id=institution.institution_id,
                        portal=portal,
                        email="bob@example.com",
                    )
                    workspace = await owned_workspace(s, owner=account)
                    custom = await create_role(
                        s, workspace=workspace, permission_codes=["member:read"]
                    )
                    await add_member(s, workspace=workspace, account=member, role=custom)
                    roles = (
                        await s.execute(scoped(select(WorkspaceRole), WorkspaceRole, workspace.id))
                    ).scalars()
                    vocabulary += [r.biz_id for r in roles]
                    vocabulary += [account.biz_id, member.biz_id, workspace.biz_id]
                    vocabulary += [account.email, member.email, account.email.upper()]
                    accounts[portal], members[portal] = account, member
                    workspaces[portal] = workspace.biz_id
                await s.commit()
            vocabulary += list(permissions.all_codes())
            vocabulary += [institution.biz_id, CLIENT_IP, f"{CLIENT_IP}/32", "203.0.113.0/24"]
            contexts = {
                portal: PortalContext(portal, institution.institution_id, institution.biz_id)
                for portal in AccountPortal
            }
            clients = {
                via_proxy: httpx.AsyncClient(
                    # A 500 is answered, not raised here: the properties below judge it.
                    transport=httpx.ASGITransport(
                        app=app,
                        client=(PROXY_IP if via_proxy else CLIENT_IP, 40000),
                        raise_app_exceptions=False,
                    ),
                    base_url="http://portico.test",
                )
                for via_proxy in (False, True)
            }
            built = World(
                app=app,
                settings=settings,
                database=database,
                institution=institution,
                accounts=accounts,
                member_accounts=members,
                contexts=contexts,
                workspaces=workspaces,
                static_tokens={},
                vocabulary=sorted(set(vocabulary)),
                clients=clients,
                errors=errors,
            )
            built.static_tokens = await _static_tokens(
                app, database, accounts, contexts, built.mint
            )
            built.vocabulary += [t for ts in built.static_tokens.values() for t in ts.values()]
            built.snapshot = await account_snapshot(built)
            try:
                yield built
            finally:
                for client in clients.values():
                    await client.aclose()
    finally:
        logging.getLogger("portico").removeHandler(handler)
        await truncate(database)
        await database.dispose()


async def account_snapshot(world: World) -> dict[str, tuple[Any, ...]]:
    """What bad input must never change: identity, status and credentials of every account."""
    async with world.database.sessionmaker() as s:
        rows = (await s.execute(select(Account).order_by(Account.id))).scalars().all()
        return {
            a.biz_id: (a.email, a.status, a.portal, a.institution_id, a.password_hash)
            for a in rows
            if a.id in {x.id for x in [*world.accounts.values(), *world.member_accounts.values()]}
        }


# --- The properties ------------------------------------------------------------------------------


def check_response(
    op: Operation, request: FuzzRequest, response: httpx.Response, world: World
) -> None:
    errors = [
        logging.Formatter().format(record) for record in world.errors
    ]  # tracebacks of the server, if it logged any
    context = f"\nrequest: {request.describe()}\nresponse: {response.status_code} {response.content[:500]!r}"
    if errors:
        context += "\nserver log:\n" + "\n".join(errors)
    status = response.status_code
    allowed = EXPECTED_STATUSES | ({204} & op.statuses)
    assert status != 500, "500 Internal Server Error" + context
    assert status in allowed, f"unexpected status {status}" + context
    assert "x-request-id" in response.headers, "no X-Request-Id" + context
    sent_id = request.headers.get("X-Request-Id")
    if sent_id is not None and VALID_REQUEST_ID.match(sent_id):
        assert response.headers["x-request-id"] == sent_id, "X-Request-Id not echoed" + context
    if status == 204:
        assert response.content == b"", "204 with a body" + context
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError("body is not JSON" + context) from None
    assert isinstance(body, dict) and list(body) == ENVELOPE_KEYS, "not the envelope" + context
    assert body["version"] == VERSION, context
    assert isinstance(body["timestamp"], int) and not isinstance(body["timestamp"], bool), context
    assert isinstance(body["message"], str) and isinstance(body["code"], str), context
    assert body["success"] is (status < 400), "success does not match the status" + context
    if status >= 400:
        assert body["data"] is None, "error with data" + context
        assert ERROR_CODE.match(body["code"]), "error code is not DOMAIN.REASON" + context
    else:
        assert SUCCESS_CODE.match(body["code"]), "success code is not 2xxx" + context
    assert not errors, "the server logged an error" + context


@in_module_loop
@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
async def test_bad_input_never_breaks_the_envelope(
    world: World, op: Operation, data: st.DataObject
) -> None:
    request = data.draw(world.request_strategy(op), label="request")
    world.errors.clear()
    response = await world.send(request, op.portal)
    if response.status_code == 401 and request.headers.get("Authorization") is VALID_TOKEN:
        world.live_tokens[op.portal] = None  # it was signed out (logout): sign in afresh
    check_response(op, request, response, world)


@in_module_loop
async def test_bad_input_changed_no_account(world: World) -> None:
    """After the fuzzing: identity, status and password of every account are as seeded, and the
    seeded accounts still sign in with their password.

    The brute-force counters are reset first: the fuzz's wrong passwords and codes lock the
    accounts for a while on purpose (429), which is the documented answer, not a change.
    """
    assert await account_snapshot(world) == world.snapshot
    async with world.database.sessionmaker() as s:
        await s.execute(delete(ThrottleCounter))
        await s.commit()
    outbox = Outbox(directory=world.settings.resolved_mail_outbox_dir, app=world.app)
    for portal, account in world.accounts.items():
        front = Portal(world.clients[False], portal, world.institution.code(portal), outbox)
        tokens = await front.login(account.email)
        profile = await front.get("/profile", token=tokens["accessToken"])
        assert profile.status_code == 200, profile.text
        assert profile.json()["data"]["accountEmail"] == account.email, profile.text


def test_every_portal_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 2 * 40
    assert {op.portal for op in OPERATIONS} == set(AccountPortal)
