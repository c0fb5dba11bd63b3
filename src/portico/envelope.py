"""The six-key response envelope, wire schemas' base class, and the page object."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from portico.enums import WireEnum

VERSION = "2.0.0"
T = TypeVar("T")


def _format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcDateTime = Annotated[datetime, PlainSerializer(_format_datetime, return_type=str)]
EnumObject = Annotated[WireEnum, PlainSerializer(lambda e: e.to_wire(), return_type=dict)]


class WireModel(BaseModel):
    """A response object: camelCase keys, nulls always emitted."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class RequestModel(BaseModel):
    """A request body: camelCase keys, strict JSON types, unknown keys ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, strict=True, extra="ignore"
    )


class Envelope(BaseModel, Generic[T]):
    """The documented envelope (for the OpenAPI document)."""

    version: str = VERSION
    timestamp: int
    success: bool
    code: str
    message: str
    data: T | None = None


class Pagination(WireModel):
    total_pages: int
    total_records: int
    current_page: int
    page_size: int
    has_next: bool
    empty: bool
    paginated: bool

    @classmethod
    def paged(cls, *, total_records: int, page: int, page_size: int) -> Pagination:
        total_pages = math.ceil(total_records / page_size) if page_size else 0
        return cls(
            total_pages=total_pages,
            total_records=total_records,
            current_page=page,
            page_size=page_size,
            has_next=page < total_pages,
            empty=total_records == 0,
            paginated=True,
        )

    @classmethod
    def unpaged(cls, total_records: int) -> Pagination:
        return cls(
            total_pages=1 if total_records else 0,
            total_records=total_records,
            current_page=1,
            page_size=total_records,
            has_next=False,
            empty=total_records == 0,
            paginated=False,
        )


class Page(WireModel, Generic[T]):
    items: list[T]
    pagination: Pagination


def _jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True)
    if isinstance(data, list):
        return [_jsonable(item) for item in data]
    if isinstance(data, WireEnum):
        return data.to_wire()
    return data


def _render(status: int, success: bool, code: str, message: str, data: Any) -> Response:
    # Key order is part of the contract: version, timestamp, success, code, message, data.
    body = {
        "version": VERSION,
        "timestamp": int(time.time() * 1000),
        "success": success,
        "code": code,
        "message": message,
        "data": _jsonable(data),
    }
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content=content, status_code=status, media_type="application/json")


def ok(data: Any = None) -> Response:
    """200 `"2000"` Success."""
    return _render(200, True, "2000", "Success", data)


def created(data: Any) -> Response:
    """201 `"2001"` Created."""
    return _render(201, True, "2001", "Created", data)


def no_content() -> Response:
    """200 `"2004"` No Content, `data: null`."""
    return _render(200, True, "2004", "No Content", None)


def error_response(code: str, message: str, status: int) -> Response:
    """An error envelope: `success:false`, `data:null`."""
    return _render(status, False, code, message, None)
