"""The public site in a real headless Chromium, as a visitor uses it: the figures and their
charts match the database, the language switch, an office's page, the status form and its
limit, and a page that runs under its Content-Security-Policy without a complaint or a
cookie. Set TEST_POSTGRES_URL (and TEST_REDIS_URL) to run on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.config import Settings
from bot.services.lifecycle import Status
from bot.services.ratelimit import STATUS_LOOKUPS_PER_MINUTE
from bot.web.app import SECURITY_HEADERS
from bot.web.i18n import translations
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case
from tests.helpers.web import Seeder, running_site

BANDUNG = "32.73"


@dataclass
class Site:
    url: str
    seed: Seeder
    sessions: SessionFactory

    async def count(self, *where: Any) -> int:
        async with self.sessions() as session:
            return int(
                (await session.exec(select(func.count()).select_from(Case).where(*where))).one()
            )


@pytest.fixture
async def site(database_url: str, redis_url: str | None) -> AsyncIterator[Site]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    settings = Settings(database_url=database_url, redis_url=redis_url, _env_file=None)
    try:
        async with running_site(settings) as url:
            yield Site(url, Seeder(sessions), sessions)
    finally:
        await engine.dispose()


async def seed_picture(site: Site) -> str:
    """Cases at every stage, in two provinces; the code of a registered one."""
    registered = await site.seed.case("registered", region=BANDUNG)
    for status in ("examination", "established", "established", "closed", "not_established"):
        await site.seed.case(status, region=BANDUNG)
    for status in ("received", "initial_review", "not_registered"):
        await site.seed.case(status, region="32.04", category="campaign_props")
    await site.seed.case("established", region="62.10", category="office_resources")
    return registered


def as_number(text: str | None) -> int:
    return int(re.sub(r"[^\d]", "", text or ""))


async def test_the_figures_and_charts_match_the_database(site: Site, browser: Any) -> None:
    await seed_picture(site)
    page = await browser.new_page()
    await page.goto(site.url + "/")

    assert await page.locator("svg.chart").count() == 4
    assert await page.locator("svg.chart rect.bar").count() >= 5 + 12 + 10
    assert await page.locator("svg.chart g.tile").count() == 38

    received = await site.count(col(Case.status) != Status.MERGED)
    registered = await site.count(
        col(Case.status).in_(
            [
                "registered",
                "examination",
                "established",
                "not_established",
                "stopped",
                "forwarded",
                "closed",
            ]
        )
    )
    established = await site.count(col(Case.proven_at).is_not(None))
    assert (received, registered, established) == (10, 7, 4)
    for key, expected in (
        ("received", received),
        ("registered", registered),
        ("established", established),
    ):
        card = await page.locator(f"#figure-{key} dd").text_content()
        cell = await page.locator(f"#summary tr[data-key={key}] td").text_content()
        assert as_number(card) == as_number(cell) == expected, key
    days = await page.locator("#figure-days_to_decision dd").text_content()
    assert days is not None and days.strip() != "–"  # decided cases have a median

    social = await site.count(col(Case.category) == "social_media")
    cell = await page.locator("#by-category tr[data-key=social_media] td").text_content()
    assert as_number(cell) == social == 6
    this_week = await page.locator("#by-week tbody tr").last.locator("td").text_content()
    assert as_number(this_week) == received
    # Jawa Barat's tile and its row: 9 reports; Kalimantan Tengah's: 1.
    assert as_number(await page.locator("#by-region tr[data-key='32'] td").text_content()) == 9
    assert as_number(await page.locator("#by-region tr[data-key='62'] td").text_content()) == 1
    tile = page.locator("svg.chart g.tile", has_text="JB")
    assert (await tile.locator("text").last.text_content()) == "9"

    csv_link = page.locator("#by-category a.csv")
    assert await csv_link.get_attribute("href") == "/data/by-category.csv"
    await page.close()


async def test_language_switch_and_an_office_page(site: Site, browser: Any) -> None:
    for _ in range(5):
        await site.seed.case("registered", region=BANDUNG)
    page = await browser.new_page()
    await page.goto(site.url + "/")
    assert await page.locator("html").get_attribute("lang") == "id"
    assert await page.locator("h1").text_content() == "Laporan pelanggaran netralitas ASN"

    await page.click("text=English")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert (
        await page.locator("h1").text_content() == "Reports of breaches of civil-servant neutrality"
    )
    assert await page.locator("#figure-received dt").text_content() == "Reports received"

    # Choosing an office keeps the language.
    await page.select_option("#office", "32.73")
    await page.click("button[type=submit]")
    assert "office=32.73" in page.url and "lang=en" in page.url
    assert await page.locator("p.office").text_content() == "Bawaslu Kota Bandung"
    assert as_number(await page.locator("#figure-registered dd").text_content()) == 5
    csv_href = await page.locator("#by-week a.csv").get_attribute("href")
    assert csv_href == "/data/by-week.csv?office=32.73&lang=en"

    await page.click("text=Bahasa Indonesia")
    assert await page.locator("html").get_attribute("lang") == "id"
    assert await page.locator("#figure-received dt").text_content() == "Laporan diterima"
    await page.close()


async def test_status_form_answers_and_refuses_politely_after_the_limit(
    site: Site, browser: Any
) -> None:
    code = await seed_picture(site)
    page = await browser.new_page()
    await page.goto(site.url + "/status")
    # As a person might type it: lower case, a space instead of the dash, O for 0.
    await page.fill("#code", code.lower().replace("-", " ").replace("0", "o"))
    await page.click("button[type=submit]")
    answer = page.locator("dl.answer.found")
    assert code in await answer.text_content()
    assert "Diregistrasi" in await answer.text_content()
    assert "Bawaslu Kota Bandung" in await answer.text_content()

    await page.goto(site.url + "/status?code=ASN-ZZZZ-ZZZZ")
    unknown = translations("id").gettext("No report has that code. Please check it and try again.")
    assert await page.locator("p.answer.unknown").text_content() == unknown

    for _ in range(STATUS_LOOKUPS_PER_MINUTE - 2):
        response = await page.goto(f"{site.url}/status?code={code}")
        assert response.status == 200
    response = await page.goto(f"{site.url}/status?code={code}")
    assert response.status == 429
    refusal = translations("id").gettext(
        "Too many status checks. Please wait a minute before checking again."
    )
    assert await page.locator("p.answer.refused").text_content() == refusal
    assert await page.locator("dl.answer.found").count() == 0
    await page.close()


async def test_pages_run_under_the_policy_without_errors_or_cookies(
    site: Site, browser: Any
) -> None:
    code = await seed_picture(site)
    context = await browser.new_context()
    page = await context.new_page()
    complaints: list[str] = []
    page.on(
        "console",
        lambda message: message.type in ("error", "warning") and complaints.append(message.text),
    )
    page.on("pageerror", lambda error: complaints.append(str(error)))
    for path in ("/", "/?lang=en", f"/status?code={code}", "/kebijakan-data", "/?office=32"):
        response = await page.goto(site.url + path)
        assert response.status == 200, path
        headers = await response.all_headers()
        for name, value in SECURITY_HEADERS.items():
            assert headers[name.lower()] == value, (path, name)
        assert "set-cookie" not in headers
        # The stylesheet is ours and allowed: the header is drawn with its background.
        background = await page.eval_on_selector(
            "header", "element => getComputedStyle(element).backgroundColor"
        )
        assert background == "rgb(245, 247, 250)", path
    assert complaints == []
    assert await context.cookies() == []
    policy = page.locator("footer a", has_text="Kebijakan data")
    assert await policy.get_attribute("href") == "/kebijakan-data"
    await context.close()


async def test_healthz_tells_a_load_balancer_whether_the_site_can_answer(
    site: Site, database_url: str
) -> None:
    """200 while the database (and Redis, where look-ups are counted) answer; 503 naming
    the part that does not, never cached."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{site.url}/healthz") as response:
            assert response.status == 200
            report = await response.json()
            assert report["database"] == "ok"
            assert report["redis"] in ("ok", "not used")
            assert response.headers["Cache-Control"] == "no-store"
        # Redis gone (nothing listens on port 1): the limit cannot be kept, so not healthy.
        gone = Settings(
            database_url=database_url, redis_url="redis://127.0.0.1:1/0", _env_file=None
        )
        async with running_site(gone) as url, http.get(f"{url}/healthz") as response:
            assert response.status == 503
            report = await response.json()
            assert report["database"] == "ok"
            assert report["redis"] == "error", "which part, not how it failed"
