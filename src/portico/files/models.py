"""Uploaded files: the bytes live in the storage backend, the facts about them here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, UTCDateTime, utcnow
from portico.pii import pii


class StoredFile(Base):
    """A file of a workspace: its sniffed type, size and SHA-256, and the server-made key of
    its bytes in the store (never the client's file name)."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(30))
    # The client's name for the file: it can name a person ("passport_jane_doe.png").
    file_name: Mapped[str] = mapped_column(String(255), info=pii("erased"))
    content_type: Mapped[str] = mapped_column(String(100))
    file_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the consumer who owns the workspace is deleted: the bytes are personal data
    # (an ID photo, a bank slip), so the maintenance sweep deletes them from the store and
    # sets `purged_at`. An erased file is not found any more, before and after the sweep.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
