"""Personal data markers on model columns.

Every column that can hold a person's data carries `info=pii(...)`: the consumer erasure
(`portico.issuer.erasure`) overwrites each marked column of the rows it erases with the marker's
`erased` value, and a test proves no marked column of an erased consumer still holds its data.
Columns whose names look personal but are not (`channel_name` of an issuer's recharge channel,
say) carry `info=NOT_PII`, so a new personal column is never left unmarked by accident (a test
checks every column whose name looks personal is marked one way or the other).
"""

from __future__ import annotations

from typing import Any

PII_KEY = "pii"
ERASED_KEY = "erased"
# `erased` sentinel: a unique, meaningless address built from the row's own id
# (`deleted-<bizId>@deleted.invalid`), for email columns that must stay unique and non-null.
ERASED_EMAIL = "portico:erased-email"


def pii(erased: Any = None) -> dict[str, Any]:
    """Column info for personal data; `erased` is what erasure writes (NULL by default)."""
    return {PII_KEY: True, ERASED_KEY: erased}


NOT_PII: dict[str, Any] = {PII_KEY: False}


def is_pii(info: dict[str, Any]) -> bool:
    return bool(info.get(PII_KEY))
