"""Reference data bodies: the enum-object shape without `description`, plus the extra keys."""

from __future__ import annotations

from pydantic import Field

from portico.envelope import WireModel


class CountryOut(WireModel):
    code: str = Field(description="ISO 3166-1 alpha-2 code")
    value: int
    label: str
    alpha2_code: str
    alpha3_code: str
    numeric_code: int
    phone_code: str | None


class TimezoneOut(WireModel):
    code: str = Field(description="The zone id in upper case, `/` and `-` as `_`")
    value: int
    label: str
    zone_id_code: str = Field(description="The IANA zone id")
    utc_offset: str = Field(pattern=r"^UTC[+-]\d{1,2}(:\d{2})?$")
