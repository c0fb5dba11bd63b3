"""File upload failures."""

from __future__ import annotations

from portico.errors import AppError


class FileTooLarge(AppError):
    code = "FILE.TOO_LARGE"
    message = "File is too large"
    http_status = 413


class FileTypeNotAllowed(AppError):
    code = "FILE.TYPE_NOT_ALLOWED"
    message = "File type is not allowed for this purpose"
    http_status = 400


class FileEmpty(AppError):
    code = "FILE.EMPTY"
    message = "File is empty"
    http_status = 400
