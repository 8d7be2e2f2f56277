"""The open data API (Open311 GeoReport v2, read-only) and everything the public site
serves, against a real database filled through the bot's own services: the documented
fields and nothing more, registered cases only, small regions withheld, and no one's
personal data anywhere. Set TEST_POSTGRES_URL (and TEST_REDIS_URL) to run on PostgreSQL."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.config import Settings
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.dates import today_in_indonesia
from bot.web.app import SECURITY_HEADERS
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case
from tests.helpers.web import Seeder, running_site

OPEN311_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "requested_datetime",
    "updated_datetime",
    "agency_responsible",
    "address",
}
BANDUNG = "32.73"  # Kota Bandung, Jawa Barat
GUNUNG_MAS = "62.10"  # Kabupaten Gunung Mas, Kalimantan Tengah


@dataclass
class Site:
    url: str
    seed: Seeder
    sessions: SessionFactory
    http: aiohttp.ClientSession

    async def json(self, path: str, status: int = 200) -> tuple[object, dict[str, str]]:
        async with self.http.get(self.url + path) as response:
            assert response.status == status, (path, response.status, await response.text())
            assert_secured(path, response)
            assert response.content_type == "application/json"
            return await response.json(), dict(response.headers)

    async def text(self, path: str) -> str:
        async with self.http.get(self.url + path) as response:
            assert response.status in (200, 404), (path, response.status)
            assert_secured(path, response)
            return await response.text()

    async def listed(self, query: str = "") -> list[str]:
        records, _ = await self.json(f"/open311/v2/requests.json{query}")
        assert isinstance(records, list)
        return [record["service_request_id"] for record in records]


def assert_secured(path: str, response: aiohttp.ClientResponse) -> None:
    """Every answer, a CSV, an API error or a page, carries the headers and no cookie."""
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    assert "Set-Cookie" not in response.headers, path


@contextlib.asynccontextmanager
async def open_site(
    database_url: str, redis_url: str | None, cache_seconds: float
) -> AsyncIterator[Site]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        web_cache_seconds=cache_seconds,
        _env_file=None,
    )
    try:
        async with running_site(settings) as url, aiohttp.ClientSession() as http:
            yield Site(url, Seeder(sessions), sessions, http)
    finally:
        await engine.dispose()


@pytest.fixture
async def site(database_url: str, redis_url: str | None) -> AsyncIterator[Site]:
    """Nothing cached: each answer reads the database as it is now."""
    async with open_site(database_url, redis_url, cache_seconds=0) as opened:
        yield opened


async def test_services_are_the_violation_categories(site: Site) -> None:
    services, _ = await site.json("/open311/v2/services.json")
    assert [service["service_code"] for service in services] == list(CATEGORY_KEYS)
    for service in services:
        assert set(service) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }
        assert service["metadata"] is False
        assert service["type"] == "realtime"
    first = services[0]
    assert first["service_name"].startswith("Kampanye di media sosial")
    english, _ = await site.json("/open311/v2/services.json?lang=en")
    assert english[0]["service_name"].startswith("Campaigning on social media")
    assert english[0]["group"] == "Civil-servant neutrality"


async def test_only_registered_cases_are_published_with_the_documented_fields(site: Site) -> None:
    published = {
        status: await site.seed.case(status, region=BANDUNG)
        for status in ("registered", "examination", "established", "not_established", "closed")
    }
    unregistered = [
        await site.seed.case(status, region=BANDUNG)
        for status in ("received", "initial_review", "not_registered")
    ]
    listed = await site.listed()
    assert sorted(listed) == sorted(published.values())
    for code in unregistered:
        await site.json(f"/open311/v2/requests/{code}.json", status=404)

    records, _ = await site.json("/open311/v2/requests.json")
    today = today_in_indonesia()
    by_code = {record["service_request_id"]: record for record in records}
    for status, code in published.items():
        record = by_code[code]
        assert set(record) == OPEN311_FIELDS
        assert record["status"] == ("open" if status in ("registered", "examination") else "closed")
        assert record["status_notes"] is None
        assert record["service_code"] == "social_media"
        assert record["agency_responsible"] == "Bawaslu Kota Bandung"
        assert record["address"] == "Kota Bandung"
        # Rounded to the day: midnight in Western Indonesia Time.
        filed = datetime.fromisoformat(record["requested_datetime"])
        assert (filed.date(), filed.time().isoformat(), filed.utcoffset()) == (
            today,
            "00:00:00",
            timedelta(hours=7),
        )
        single, _ = await site.json(f"/open311/v2/requests/{code.lower()}.json")
        assert single == [record]


async def test_filters_and_pages(site: Site) -> None:
    open_cases = [await site.seed.case("registered", region=BANDUNG) for _ in range(4)]
    closed = [await site.seed.case("closed", region=BANDUNG, category="campaign_props")]
    closed.append(await site.seed.case("not_established", region="32.04"))  # Kabupaten Bandung
    closed += [await site.seed.case("established", region="32.04") for _ in range(4)]

    assert sorted(await site.listed("?status=open")) == sorted(open_cases)
    assert sorted(await site.listed("?status=closed")) == sorted(closed)
    assert await site.listed("?service_code=campaign_props") == [closed[0]]
    assert sorted(await site.listed("?region=32.04")) == sorted(closed[1:])
    assert len(await site.listed("?region=32")) == 10  # the province: both regencies
    assert len(await site.listed("?office=32.73")) == 5
    assert await site.listed("?office=62") == []
    tomorrow = (today_in_indonesia() + timedelta(days=1)).isoformat()
    assert await site.listed(f"?start_date={tomorrow}") == []
    assert len(await site.listed(f"?end_date={tomorrow}T00:00:00Z")) == 10

    pages = [await site.listed(f"?page={page}&page_size=3") for page in (1, 2, 3, 4)]
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert sorted(code for page in pages for code in page) == sorted(open_cases + closed)

    for bad in ("?status=pending", "?service_code=bribery", "?start_date=kemarin", "?page=0"):
        error, _ = await site.json(f"/open311/v2/requests.json{bad}", status=400)
        assert error[0]["code"] == 400 and error[0]["description"]


async def test_cases_of_a_small_region_are_withheld_and_counted(site: Site) -> None:
    """Gunung Mas has 4 registered cases, one short of being published one by one."""
    bandung = [await site.seed.case("registered", region=BANDUNG) for _ in range(5)]
    gunung_mas = [await site.seed.case("examination", region=GUNUNG_MAS) for _ in range(4)]
    await site.seed.case("received", region=GUNUNG_MAS)  # not registered: does not count

    records, headers = await site.json("/open311/v2/requests.json")
    assert sorted(record["service_request_id"] for record in records) == sorted(bandung)
    assert headers["X-Withheld-Count"] == "4"
    assert "Gunung Mas" not in str(records)
    for code in gunung_mas:
        await site.json(f"/open311/v2/requests/{code}.json", status=404)
    assert await site.listed(f"?region={GUNUNG_MAS}") == []
    _, headers = await site.json(f"/open311/v2/requests.json?region={GUNUNG_MAS}")
    assert headers["X-Withheld-Count"] == "4"

    # The fifth registered case makes the region big enough: all five are published.
    gunung_mas.append(await site.seed.case("registered", region=GUNUNG_MAS))
    assert sorted(await site.listed(f"?region={GUNUNG_MAS}")) == sorted(gunung_mas)
    single, _ = await site.json(f"/open311/v2/requests/{gunung_mas[0]}.json")
    assert single[0]["address"] == "Kabupaten Gunung Mas"


async def test_a_region_counted_a_moment_ago_errs_towards_withholding(
    database_url: str, redis_url: str | None
) -> None:
    """The regions big enough to publish are kept for a minute, as the figures are: a region
    whose cases were all registered since is not among them yet, so its cases are withheld,
    never published before they are five."""
    async with open_site(database_url, redis_url, cache_seconds=60) as site:
        bandung = [await site.seed.case("registered", region=BANDUNG) for _ in range(5)]
        assert sorted(await site.listed()) == sorted(bandung)
        fresh = [await site.seed.case("registered", region=GUNUNG_MAS) for _ in range(5)]
        assert sorted(await site.listed()) == sorted(bandung)
        for code in fresh:
            await site.json(f"/open311/v2/requests/{code}.json", status=404)


async def test_an_office_with_few_reports_shows_no_figures(site: Site) -> None:
    for _ in range(2):
        await site.seed.case("established", region=GUNUNG_MAS)
    page = await site.text("/?office=62.10")
    assert "kurang dari 5 laporan" in page
    assert "<svg" not in page
    rows = _csv(await site.text("/data/by-category.csv?office=62.10"))
    assert rows == [["key", "Jenis pelanggaran", "Laporan"]]
    national = _csv(await site.text("/data/by-category.csv"))
    assert ["social_media", _category_id("social_media"), "2"] in national


# --- nothing personal, anywhere ---------------------------------------------------------------

SECRETS = {
    "reporter_name": "Kartika Prameswari Wiradinata",
    "reporter_address": "Jalan Kenanga Rahasia No. 77",
    "reporter_phone": "+6281299988877",
    "asn_name": "Hendrawan Sukmajaya Purnomo",
    "asn_nip": "198703142010011009",
    "asn_position": "Kepala Seksi Kurikulum Tersembunyi",
    "agency": "Dinas Perpustakaan Kecamatan Sukamiskin",
    "description": "Zamrudkhatulistiwa mengunggah poster capres di grup WhatsApp guru",
    "place": "Aula Serbaguna Blok Ungu",
    "witnesses": "Saksi Bernama Cempakawangi",
}


async def test_no_personal_data_in_any_page_or_response(site: Site) -> None:
    identified = await site.seed.case("established", region=BANDUNG, **SECRETS)
    for _ in range(4):
        await site.seed.case("registered", region=BANDUNG)
    async with site.sessions() as session:
        stored = (
            await session.exec(select(func.count()).where(col(Case.asn_nip).is_not(None)))
        ).one()
    assert stored == 1  # the secrets are in the database, so the test can fail

    paths = [
        "/open311/v2/services.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests.json?office=32.73&region=32.73&status=closed",
        f"/open311/v2/requests/{identified}.json",
        f"/status?code={identified}",
        "/kebijakan-data",
        "/?office=99.99",  # no such office: a 404, with the headers all the same
    ]
    for office in ("", "office=32&", "office=32.73&"):
        paths.append(f"/?{office}")
        paths.append(f"/?{office}lang=en")
        paths += [f"/data/{name}.csv?{office}" for name in _DATASETS]
    seen = {path: await site.text(path) for path in paths}

    # What is published does reach the public: the case itself, by its code.
    assert identified in seen["/open311/v2/requests.json"]
    assert identified in seen[f"/open311/v2/requests/{identified}.json"]
    assert "Terbukti melanggar" in seen[f"/status?code={identified}"]
    for path, text in seen.items():
        for field, secret in SECRETS.items():
            for fragment in (secret, *secret.split()[:2]):
                if len(fragment) >= 6 and fragment not in ("Kepala", "Kecamatan", "mengunggah"):
                    assert fragment.casefold() not in text.casefold(), (path, field, fragment)


_DATASETS = ("summary", "by-week", "by-category", "by-region")


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _category_id(key: str) -> str:
    from bot.web.i18n import translations
    from bot.web.labels import category_label

    return translations("id").gettext(category_label(key))
