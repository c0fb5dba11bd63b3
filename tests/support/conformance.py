"""Every answer the tests receive from a portal operation (or a `rel` one) matches
`/openapi.json`.

The `http` client of the test suite runs each response through `check_response`: its status must
be one the operation documents, an error's `code` one of that status's codes, and the body valid
against the documented schema (the envelope with the route's `data`, or the error envelope). So
the whole suite, which reaches every success and most failures for real, keeps the document
honest beside the generated requests of `tests/test_openapi_conformance.py`. A new error code
or field must be published (`@raises(...)`, the response model) for its tests to pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import jsonschema_rs

from portico.config import Settings
from portico.db import Database
from portico.main import create_app
from portico.openapi import build_document

# Every API: the portals, the token endpoint, the issuer API (the customer data store `rel`
# included) and the onboarding API.
CHECKED_PREFIXES = ("/web/v1/", "/auth/realms/", "/issuers/", "/caas-lcm/")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


@cache
def document() -> dict[str, Any]:
    settings = Settings(
        database_url="sqlite+aiosqlite:///:memory:",
        secret_key="openapi-only-secret-0123456789abcdef0123",
        log_level="WARNING",
    )
    # The engine is never connected: only the document is wanted.
    database = Database.for_command(settings.database_url)
    return build_document(create_app(settings, database=database))


@cache
def operations() -> tuple[Operation, ...]:
    found = []
    for path, item in document()["paths"].items():
        if not path.startswith(CHECKED_PREFIXES):
            continue
        regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        for method, operation in item.items():
            found.append(Operation(method.upper(), path, re.compile(regex), operation["responses"]))
    # Literal segments win over parameters (`/api-keys/available-permissions`, not `{keyBizId}`).
    return tuple(sorted(found, key=lambda op: op.path.count("{")))


def find_operation(method: str, path: str) -> Operation | None:
    return next((op for op in operations() if op.method == method and op.pattern.match(path)), None)


@cache
def _validator(path: str, method: str, status: str) -> Any:
    operation = document()["paths"][path][method.lower()]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document()["components"]}, validate_formats=True
    )


def conformance_errors(
    method: str, path: str, status: int, content: bytes, content_type: str = ""
) -> list[str]:
    """What is wrong with this answer by the document (nothing for an undocumented route)."""
    operation = find_operation(method, path)
    if operation is None:
        return []
    where = f"{method} {operation.path} answered {status}"
    documented = operation.responses.get(str(status))
    if documented is None:
        return [f"{where}, a status it does not document ({sorted(operation.responses)})"]
    if "content" not in documented:
        return [] if content == b"" else [f"{where} with a body, documented as empty"]
    if "application/json" not in documented["content"]:
        # a download: its media type must be one the operation lists
        media_type = content_type.split(";")[0].strip()
        if media_type in documented["content"]:
            return []
        return [f"{where} as {media_type!r}, not one of {sorted(documented['content'])}"]
    try:
        body = json.loads(content)
    except ValueError:
        return [f"{where} with a body that is not JSON"]
    validator = _validator(operation.path, method, str(status))
    problems = [
        f"{where}: {error.message} at {list(error.instance_path)}"
        for error in validator.iter_errors(body)
    ]
    return problems[:5]


async def check_response(response: httpx.Response) -> None:
    """An `httpx` response hook: fail the test on an answer the document does not describe."""
    if response.headers.get("x-sc-encrypted"):
        return  # a secure-channel answer: its envelope is inside the ciphertext
    await response.aread()
    request = response.request
    problems = conformance_errors(
        request.method,
        request.url.path,
        response.status_code,
        response.content,
        response.headers.get("content-type", ""),
    )
    assert not problems, "the answer does not match /openapi.json:\n" + "\n".join(problems)
