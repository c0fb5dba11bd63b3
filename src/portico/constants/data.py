"""Reference data: every ISO 3166 country and the canonical IANA time zones.

Values are stable: the documented ones are kept (China 95010301, Japan 95010302, UTC 95010101,
Asia/Shanghai 95010102) and the rest are numbered in alphabetical order after them.
"""

from __future__ import annotations

import importlib.resources
import zoneinfo
from datetime import UTC, datetime
from functools import cache
from typing import Any

import phonenumbers
import pycountry
from babel.dates import get_timezone_name

COUNTRY_BASE = 95010300
TIMEZONE_BASE = 95010100
_PINNED_COUNTRIES = ("CN", "JP")
_PINNED_ZONES = ("UTC", "Asia/Shanghai")
_ZONE_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def countries() -> tuple[dict[str, Any], ...]:
    by_code = {c.alpha_2: c for c in pycountry.countries}
    order = list(_PINNED_COUNTRIES) + sorted(set(by_code) - set(_PINNED_COUNTRIES))
    result = []
    for index, code in enumerate(order, start=1):
        country = by_code[code]
        phone = phonenumbers.country_code_for_region(code)
        result.append(
            {
                "code": code,
                "value": COUNTRY_BASE + index,
                "label": getattr(country, "common_name", None) or country.name,
                "alpha2Code": code,
                "alpha3Code": country.alpha_3,
                "numericCode": int(country.numeric),
                "phoneCode": str(phone) if phone else None,
            }
        )
    return tuple(result)


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c["code"] for c in countries())


@cache
def timezone_ids() -> tuple[str, ...]:
    # The list shipped in the pinned `tzdata` package, not the host's: same numbering everywhere.
    shipped = importlib.resources.files("tzdata").joinpath("zones").read_text().split()
    zones = {z for z in shipped if z.startswith(_ZONE_REGIONS)}
    zones -= set(_PINNED_ZONES)
    return _PINNED_ZONES + tuple(sorted(zones))


def _offset_label(zone_id: str, now: datetime) -> str:
    offset = now.astimezone(zoneinfo.ZoneInfo(zone_id)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@cache
def _zone_label(zone_id: str) -> str:
    try:
        label = get_timezone_name(zone_id, width="long", zone_variant="standard", locale="en_US")
    except (LookupError, ValueError):
        return zone_id
    return str(label) if label and not str(label).startswith("Unknown") else zone_id


def timezones(now: datetime | None = None) -> list[dict[str, Any]]:
    moment = now or datetime.now(UTC)
    return [
        {
            "code": zone.upper().replace("/", "_").replace("-", "_"),
            "value": TIMEZONE_BASE + index,
            "label": _zone_label(zone),
            "zoneIdCode": zone,
            "utcOffset": _offset_label(zone, moment),
        }
        for index, zone in enumerate(timezone_ids(), start=1)
    ]
