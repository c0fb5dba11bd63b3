"""The streaming `multipart/form-data` reader of `files/upload`.

The `file` part goes straight from the socket into the store, chunk by chunk, while its size,
SHA-256 and leading bytes are taken: nothing holds the whole file, and the size limit stops
the upload the moment it is passed. Any failure (too large, a refused type, a malformed or
truncated body, the client gone) aborts the write, so no object is left behind.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from portico.errors import InvalidParameter, UnsupportedMediaType
from portico.files.errors import FileEmpty, FileTooLarge, FileTypeNotAllowed
from portico.files.filetypes import ALLOWED_TYPES, ANY_ALLOWED, SNIFF_BYTES, FilePurpose, sniff
from portico.storage import ObjectWriter, Storage

MAX_PARTS = 8
MAX_FIELD_BYTES = 256
MAX_HEADER_BYTES = 4096
MAX_FILE_NAME = 255


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file that is now committed to the store under `storage_key`."""

    storage_key: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    purpose: FilePurpose


def clean_file_name(raw: str) -> str:
    """The client's name, for display only: no directories, no control or format characters
    (nothing that could break a header), at most 255 characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = name.strip(" .")[:MAX_FILE_NAME]
    return name or "file"


@dataclass
class _Part:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    name: str = ""
    data: bytearray = field(default_factory=bytearray)


class _Reader:
    """Collects the parser's callbacks; the async side drains them after each chunk."""

    def __init__(self) -> None:
        self.parts = 0
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.header_bytes = 0
        self.file_seen = False
        self.file_name = ""
        self.in_file = False
        self.file_chunks: list[bytes] = []
        self.fields: dict[str, str] = {}
        self.ended = False

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InvalidParameter()
        self.part = _Part()
        self.header_bytes = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self.header_value += data[start:end]

    def _count_header(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > MAX_HEADER_BYTES:
            raise InvalidParameter()

    def on_header_end(self) -> None:
        self.part.headers.append((bytes(self.header_name).lower(), bytes(self.header_value)))
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        disposition = next((v for k, v in self.part.headers if k == b"content-disposition"), b"")
        kind, options = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in options:
            raise InvalidParameter()
        self.part.name = options[b"name"].decode("utf-8", "replace")
        if self.part.name == "file":
            if self.file_seen:
                raise InvalidParameter()  # one file per upload
            self.file_seen = True
            self.in_file = True
            self.file_name = options.get(b"filename", b"").decode("utf-8", "replace")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.file_chunks.append(data[start:end])
            return
        self.part.data += data[start:end]
        if len(self.part.data) > MAX_FIELD_BYTES:
            raise InvalidParameter()

    def on_part_end(self) -> None:
        if self.in_file:
            self.in_file = False
            return
        if self.part.name in self.fields:
            raise InvalidParameter()
        self.fields[self.part.name] = self.part.data.decode("utf-8", "replace").strip()

    def on_end(self) -> None:
        self.ended = True


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        raise UnsupportedMediaType()
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise InvalidParameter()
    return boundary


def _purpose(raw: str | None) -> FilePurpose:
    try:
        return FilePurpose(raw or "")
    except ValueError as exc:
        raise InvalidParameter() from exc


class _Sink:
    """The store write of the file part, with its running size, digest and sniffed type."""

    def __init__(self, storage: Storage, key: str, max_bytes: int) -> None:
        self.storage, self.key, self.max_bytes = storage, key, max_bytes
        self.writer: ObjectWriter | None = None
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = b""
        self.content_type: str | None = None

    async def feed(self, chunks: list[bytes], purpose: FilePurpose | None) -> None:
        data = b"".join(chunks)
        if not data:
            return
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FileTooLarge()
        if self.content_type is None and len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self.decide(purpose)
        self.digest.update(data)
        if self.writer is None:
            self.writer = self.storage.writer(self.key)
        await self.writer.write(data)

    def decide(self, purpose: FilePurpose | None) -> str:
        """Refuse the bytes as soon as they show a type no purpose (or not this one) accepts."""
        self.content_type = sniff(self.head)
        allowed = ALLOWED_TYPES[purpose] if purpose else ANY_ALLOWED
        if self.content_type not in allowed:
            raise FileTypeNotAllowed()
        return self.content_type

    async def abort(self) -> None:
        if self.writer is not None:
            await self.writer.abort()


async def receive_upload(
    request: Request, *, storage: Storage, key: str, max_bytes: int
) -> ReceivedFile:
    """Stream the body's `file` part into `storage` under `key` and commit it; read `purpose`.

    Refusals: not multipart (415), malformed or truncated, no `file` part, no or an unknown
    `purpose` (400 `VALIDATION.INVALID_PARAMETER`), empty (400 `FILE.EMPTY`), over
    `max_bytes` (413 `FILE.TOO_LARGE`), a type the purpose does not accept (400
    `FILE.TYPE_NOT_ALLOWED`)."""
    reader = _Reader()
    parser = MultipartParser(
        _boundary(request),
        {
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
            "on_end": reader.on_end,
        },
    )
    sink = _Sink(storage, key, max_bytes)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            purpose = _purpose(reader.fields["purpose"]) if "purpose" in reader.fields else None
            await sink.feed(reader.file_chunks, purpose)
            reader.file_chunks.clear()
        parser.finalize()
        if not reader.ended or not reader.file_seen:
            raise InvalidParameter()
        purpose = _purpose(reader.fields.get("purpose"))
        if sink.size == 0:
            raise FileEmpty()
        content_type = sink.decide(purpose)
        if sink.writer is None:  # pragma: no cover - a non-empty file has a writer
            raise FileEmpty()
        await sink.writer.commit()
    except ClientDisconnect as exc:
        await sink.abort()
        raise InvalidParameter("the client went away mid-upload") from exc
    except FormParserError as exc:
        await sink.abort()
        raise InvalidParameter() from exc
    except BaseException:
        await sink.abort()
        raise
    return ReceivedFile(
        storage_key=key,
        file_name=clean_file_name(reader.file_name),
        content_type=content_type,
        size=sink.size,
        sha256=sink.digest.hexdigest(),
        purpose=purpose,
    )
