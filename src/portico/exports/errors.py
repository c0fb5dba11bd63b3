"""Export failures."""

from __future__ import annotations

from portico.errors import AppError


class ExportNotReady(AppError):
    code = "EXPORT.NOT_READY"
    message = "Export is not ready yet"
    http_status = 409


class ExportFailed(AppError):
    code = "EXPORT.FAILED"
    message = "Export failed"
    http_status = 409


class ExportExpired(AppError):
    code = "EXPORT.EXPIRED"
    message = "Export has expired"
    http_status = 410
