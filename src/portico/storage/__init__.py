"""Object storage for uploaded files and finished exports: one small interface, two backends
(a local directory, any S3-compatible bucket)."""

from portico.storage.base import ObjectWriter, Storage, StorageError
from portico.storage.factory import build_storage

__all__ = ["ObjectWriter", "Storage", "StorageError", "build_storage"]
