"""The six-key response envelope, wire schemas' base class, and the page object."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, PlainSerializer
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema
from starlette.responses import Response

from portico.enums import WireEnum

VERSION = "2.0.0"
T = TypeVar("T")
E = TypeVar("E", bound=WireEnum)


def _format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcDateTime = Annotated[
    datetime,
    PlainSerializer(_format_datetime, return_type=str),
]


def _literal(values: Iterable[Any]) -> core_schema.LiteralSchema:
    # `enum` even for one value (pydantic alone writes a lone `const` then).
    unique = list(dict.fromkeys(values))
    return core_schema.literal_schema(unique, metadata={"pydantic_js_updates": {"enum": unique}})


class _AsEnumObject:
    """Serialises a `WireEnum` member as its enum object and publishes that object's schema: a
    component named `<Enum>Object` whose `code`, `value`, `label` and `description` list the
    enum's real values."""

    def __get_pydantic_core_schema__(
        self, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        if not (isinstance(source_type, type) and issubclass(source_type, WireEnum)):
            raise TypeError(f"EnumObject needs a concrete WireEnum, not {source_type!r}")
        members = list(source_type)
        name = f"{source_type.__name__}Object"
        shape = core_schema.typed_dict_schema(
            {
                "code": core_schema.typed_dict_field(_literal(m.value for m in members)),
                "value": core_schema.typed_dict_field(_literal(m.info.value for m in members)),
                "label": core_schema.typed_dict_field(_literal(m.info.label for m in members)),
                "description": core_schema.typed_dict_field(
                    _literal(m.info.description for m in members)
                ),
            },
            ref=name,
            extra_behavior="forbid",
            metadata={
                "pydantic_js_updates": {
                    "title": name,
                    "description": f"The `{source_type.__name__}` enum object.",
                }
            },
        )
        schema = dict(handler(source_type))
        schema["serialization"] = core_schema.plain_serializer_function_ser_schema(
            _enum_to_wire, return_schema=shape
        )
        return schema


def _enum_to_wire(member: WireEnum) -> dict[str, Any]:
    return member.to_wire()


# `EnumObject[AccountStatus]`: the member in Python, the documented enum object on the wire.
EnumObject = Annotated[E, _AsEnumObject()]


class WireModel(BaseModel):
    """A response object: camelCase keys, nulls always emitted, and exactly its fields (the
    published schema says `additionalProperties: false`)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, extra="forbid"
    )


class RequestModel(BaseModel):
    """A request body: camelCase keys, strict JSON types, unknown keys ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, strict=True, extra="ignore"
    )


class _EnvelopeBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal["2.0.0"]
    timestamp: Annotated[int, Field(description="Server time in epoch milliseconds")]


class Envelope(_EnvelopeBase, Generic[T]):
    """A success: `"2000"` Success with the answer in `data`."""

    success: Literal[True]
    code: Literal["2000"]
    message: Literal["Success"]
    data: T


class Created(_EnvelopeBase, Generic[T]):
    """A create: HTTP 201, `"2001"` Created with the new object in `data`."""

    success: Literal[True]
    code: Literal["2001"]
    message: Literal["Created"]
    data: T


class NoContent(_EnvelopeBase):
    """An action with no result: HTTP 200, `"2004"` No Content, `data: null`."""

    success: Literal[True]
    code: Literal["2004"]
    message: Literal["No Content"]
    data: None


class ErrorEnvelope(_EnvelopeBase):
    """A failure: a `DOMAIN.REASON` code, its message, `data: null`."""

    success: Literal[False]
    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$")]
    message: str
    data: None


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
        """A page of a paged query; no records at all is the documented empty page
        (`"pageSize":0,"paginated":false`), whatever page was asked for."""
        if total_records == 0:
            return cls.unpaged(0)
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


def stored_answer(body: bytes, status: int) -> Response:
    """An answer written before, sent again as it was (a booking's stored 201, a replay)."""
    return Response(content=body, status_code=status, media_type="application/json")


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
    return Response(content=_dumps(body), status_code=status, media_type="application/json")


def _dumps(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`
    writes it, through orjson (a few times faster); what orjson refuses (an integer beyond 64
    bits) goes through `json`."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


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
