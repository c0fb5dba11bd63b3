"""`/constants/...`: public reference data (only the portal header is needed)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.constants import data
from portico.constants.schemas import CountryOut, TimezoneOut
from portico.envelope import Envelope, ok

router = APIRouter(tags=["constants"])


@router.get("/constants/countries", response_model=Envelope[list[CountryOut]])
async def list_countries() -> Response:
    """Every ISO 3166 country: codes, numeric code and phone code."""
    return ok(list(data.countries()))


@router.get("/constants/timezones", response_model=Envelope[list[TimezoneOut]])
async def list_timezones() -> Response:
    """The IANA time zones with their current UTC offsets."""
    return ok(data.timezones())
