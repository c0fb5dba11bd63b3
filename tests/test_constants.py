"""Countries and time zones."""

from __future__ import annotations

from tests.support.portal import Portal, assert_error, assert_ok


class TestCountries:
    async def test_all_countries_with_documented_ones_first(self, portal: Portal) -> None:
        data = assert_ok(await portal.get("/constants/countries"))
        assert len(data) == 249
        assert data[0] == {
            "code": "CN",
            "value": 95010301,
            "label": "China",
            "alpha2Code": "CN",
            "alpha3Code": "CHN",
            "numericCode": 156,
            "phoneCode": "86",
        }
        assert data[1] == {
            "code": "JP",
            "value": 95010302,
            "label": "Japan",
            "alpha2Code": "JP",
            "alpha3Code": "JPN",
            "numericCode": 392,
            "phoneCode": "81",
        }
        values = [c["value"] for c in data]
        assert len(set(values)) == len(values)
        us = next(c for c in data if c["code"] == "US")
        assert us["phoneCode"] == "1" and us["alpha3Code"] == "USA"

    async def test_numbering_is_stable(self, portal: Portal) -> None:
        first = assert_ok(await portal.get("/constants/countries"))
        second = assert_ok(await portal.get("/constants/countries"))
        assert first == second


class TestTimezones:
    async def test_iana_zones_with_documented_ones_first(self, portal: Portal) -> None:
        data = assert_ok(await portal.get("/constants/timezones"))
        assert data[0] == {
            "code": "UTC",
            "value": 95010101,
            "label": "Coordinated Universal Time",
            "zoneIdCode": "UTC",
            "utcOffset": "UTC+0",
        }
        assert data[1] == {
            "code": "ASIA_SHANGHAI",
            "value": 95010102,
            "label": "China Standard Time",
            "zoneIdCode": "Asia/Shanghai",
            "utcOffset": "UTC+8",
        }
        zones = {z["zoneIdCode"]: z for z in data}
        assert len(zones) > 300
        assert zones["Asia/Kolkata"]["utcOffset"] == "UTC+5:30"
        assert zones["America/New_York"]["utcOffset"] in {"UTC-5", "UTC-4"}

    async def test_needs_portal_code(self, portal: Portal) -> None:
        response = await portal.http.get(f"{portal.prefix}/constants/timezones")
        assert_error(response, 403, "ACCESS.PORTAL_CODE_INVALID")
