"""The configured storage backend."""

from __future__ import annotations

from portico.config import Settings
from portico.storage.base import Storage
from portico.storage.local import LocalStorage
from portico.storage.s3 import S3Storage


def build_storage(settings: Settings) -> Storage:
    """`PORTICO_STORAGE_BACKEND`: `local` (a directory) or `s3` (a bucket)."""
    if settings.storage_backend == "s3":
        return S3Storage(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            addressing_style=settings.s3_addressing_style,
        )
    return LocalStorage(settings.resolved_storage_dir)
