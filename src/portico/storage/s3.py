"""Any S3-compatible store (AWS S3, MinIO, Ceph, R2) through aiobotocore.

Writes buffer one part (5 MiB, S3's minimum) at a time: an object that fits in one part is a
single PUT at commit, a larger one a multipart upload, aborted if the write is abandoned.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from portico.storage.base import CHUNK_SIZE, StorageError, check_key

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

PART_SIZE = 5 * 1024 * 1024


class S3Writer:
    def __init__(self, client: S3Client, bucket: str, key: str) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[CompletedPartTypeDef] = []

    async def _upload_part(self, data: bytes) -> None:
        if self.upload_id is None:
            started = await self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key)
            self.upload_id = started["UploadId"]
        number = len(self.parts) + 1
        done = await self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"ETag": done["ETag"], "PartNumber": number})

    async def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        try:
            while len(self.buffer) >= PART_SIZE:
                part = bytes(self.buffer[:PART_SIZE])
                del self.buffer[:PART_SIZE]
                await self._upload_part(part)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"upload of {self.key} failed") from exc

    async def commit(self) -> None:
        try:
            if self.upload_id is None:
                await self.client.put_object(
                    Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer)
                )
            else:
                if self.buffer:
                    await self._upload_part(bytes(self.buffer))
                await self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self.upload_id,
                    MultipartUpload={"Parts": self.parts},
                )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"upload of {self.key} failed") from exc
        finally:
            self.buffer.clear()

    async def abort(self) -> None:
        self.buffer.clear()
        if self.upload_id is not None:
            with contextlib.suppress(BotoCoreError, ClientError):
                await self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
                )


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
        addressing_style: str = "auto",
    ) -> None:
        if not bucket:
            raise StorageError("PORTICO_S3_BUCKET is required for the s3 storage backend")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client_options: dict[str, Any] = {
            "region_name": region,
            "config": AioConfig(
                s3={"addressing_style": addressing_style},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        }
        if endpoint_url:
            self._client_options["endpoint_url"] = endpoint_url
        if access_key_id:
            self._client_options["aws_access_key_id"] = access_key_id
            self._client_options["aws_secret_access_key"] = secret_access_key
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None

    async def open(self) -> None:
        if self._client is None:
            client = get_session().create_client("s3", **self._client_options)
            self._client = await self._stack.enter_async_context(client)

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None

    @property
    def client(self) -> S3Client:
        if self._client is None:
            raise StorageError("the S3 storage is not open")
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def writer(self, key: str) -> S3Writer:
        return S3Writer(self.client, self.bucket, self._key(key))

    async def read(self, key: str) -> AsyncIterator[bytes]:
        try:
            found = await self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"no object {key}") from exc
        async with found["Body"] as body:
            async for chunk in body.iter_chunks(CHUNK_SIZE):
                yield chunk

    async def delete(self, key: str) -> None:
        full = self._key(key)
        try:
            await self.client.delete_object(Bucket=self.bucket, Key=full)
            uploads = await self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=full)
            for upload in uploads.get("Uploads", []):
                if upload.get("Key") == full and "UploadId" in upload:
                    await self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=full, UploadId=upload["UploadId"]
                    )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"delete of {key} failed") from exc

    async def list_keys(self, prefix: str = "") -> list[str]:
        full = self.prefix + prefix
        keys: set[str] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            keys.update(item["Key"] for item in page.get("Contents", []) if "Key" in item)
        uploads = await self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=full)
        keys.update(item["Key"] for item in uploads.get("Uploads", []) if "Key" in item)
        return sorted(key.removeprefix(self.prefix) for key in keys)
