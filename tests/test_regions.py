"""The official administrative list the bot ships, and finding a regency as people type it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services import regions
from bot.services.dates import today_in


def test_the_list_has_every_province_regency_and_city() -> None:
    provinces = regions.provinces()
    every = [regency for province in provinces for regency in province.regencies]
    assert len(provinces) == 38
    assert len(every) == 514
    assert sum(regency.kind == "kabupaten" for regency in every) == 416
    assert sum(regency.kind == "kota" for regency in every) == 98
    assert len({regency.code for regency in every}) == 514


def test_known_entries_and_their_time_zones() -> None:
    assert regions.region_name("62") == "Kalimantan Tengah"
    assert regions.region_name("62.10") == "Kabupaten Gunung Mas"
    assert regions.regency("62.71").name == "Kota Palangkaraya"  # type: ignore[union-attr]
    assert regions.regency("93.01").province_code == "93"  # type: ignore[union-attr]
    assert regions.province("93").name == "Papua Selatan"  # type: ignore[union-attr]
    assert regions.province("31").name == "DKI Jakarta"  # type: ignore[union-attr]
    zone_names = {code: regions.zone_of(code).tzname(None) for code in ("62.10", "51", "93.01")}
    assert zone_names == {"62.10": "WIB", "51": "WITA", "93.01": "WIT"}


def test_today_is_the_places() -> None:
    # 16:30 UTC: still the 29th in Jakarta (23:30 WIB), already the 30th in Merauke (01:30).
    moment = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)
    assert today_in(regions.zone_of("32.73"), moment).day == 29
    assert today_in(regions.zone_of("93.01"), moment).day == 30


def test_a_regency_is_found_as_people_write_it() -> None:
    def found(province: str, typed: str) -> list[str]:
        return [regency.name for regency in regions.match_regencies(province, typed)]

    for typed in ("gunung mas", "Kab. Gunung Mas", "kab. gumas", "GUMAS", "gunung mass"):
        assert found("62", typed) == ["Kabupaten Gunung Mas"], typed
    for typed in ("kota palangkaraya", "Palangka Raya", "kota palangka raya"):
        assert found("62", typed) == ["Kota Palangkaraya"], typed
    assert found("32", "bandung") == ["Kabupaten Bandung", "Kota Bandung"]
    assert found("32", "kota bandung") == ["Kota Bandung"]
    assert found("62", "Kota Bandung") == [], "only within the province chosen"
    assert found("62", "") == []
