"""An export larger than Telegram carries, handed to an admin as a signed link that expires,
served by the public site (`python -m bot web`) from the directory the bot and the site
share; a link that is forged, altered or past its time gets nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.services.download_links import DownloadLinks, new_file_name
from storage.models import utcnow
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import say, text_of
from tests.helpers.seed import SEEDED_PHONE, SEEDED_REPORTER, seed_cases
from tests.helpers.staff import ADMIN
from tests.helpers.web import running_site

SECRET = "a-secret-of-at-least-thirty-two-characters"
PART_BYTES = 64 * 1024
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/unduh/[^\s<]+)")


def _settings(settings_factory: Callable[..., Settings], tmp_path: Path, url: str) -> Settings:
    return settings_factory(
        admin_ids=frozenset({ADMIN}),
        export_part_bytes=PART_BYTES,
        public_url=url,
        download_link_secret=SECRET,
        export_dir=tmp_path / "exports",
    )


async def test_a_large_export_arrives_as_a_link_that_downloads_every_case_once(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram, tmp_path: Path
) -> None:
    # The site learns its own address only once it listens; it serves links without it.
    async with running_site(_settings(settings_factory, tmp_path, "http://unused")) as url:
        settings = _settings(settings_factory, tmp_path, url)
        async with running_bot(settings) as application:
            codes = await seed_cases(application.sessions, [{} for _ in range(700)])
            admin = FakeUser(telegram, user_id=ADMIN)
            answer = await say(admin, "/export csv")
            assert "document" not in answer, "too large for one document: a link instead"
            text = text_of(answer)
            assert "MB" in text and "jangan diteruskan" in text, text
            link = unescape(LINK.search(text).group(1))  # type: ignore[union-attr]

            async with aiohttp.ClientSession() as http:
                async with http.get(link) as response:
                    assert response.status == 200
                    assert "attachment" in response.headers["Content-Disposition"]
                    assert "no-store" in response.headers["Cache-Control"]
                    assert "Set-Cookie" not in response.headers
                    body = await response.read()
                rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
                assert [row[0] for row in rows[1:]] == codes, "every case once, in order"
                assert len(body) > PART_BYTES
                assert SEEDED_REPORTER.encode() not in body and SEEDED_PHONE.encode() not in body

                # Another file's name, an altered expiry or signature: the same refusal.
                name = link.split("/unduh/")[1].split("?")[0]
                expires = re.search(r"e=(\d+)", link).group(1)  # type: ignore[union-attr]
                tampered = [
                    link.replace(name, "A" * 27 + ".csv"),
                    link.replace(f"e={expires}", f"e={int(expires) + 86400}"),
                    link[:-4] + "0000",
                    link.split("?")[0],
                ]
                for wrong in tampered:
                    async with http.get(wrong) as response:
                        assert response.status == 404, wrong
                        refusal = await response.text()
                        assert "kedaluwarsa atau tidak berlaku" in refusal
                        assert codes[0] not in refusal


async def test_a_link_past_its_time_is_refused_and_its_file_swept(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    links = DownloadLinks("http://127.0.0.1", SECRET, exports)
    made = tmp_path / "made.csv"
    made.write_text("Kode\nASN-AAAA-BBBB\n")
    then = utcnow() - timedelta(hours=13)
    link = links.keep(made, now=then)
    name = link.url.split("/unduh/")[1].split("?")[0]
    expires = re.search(r"e=(\d+)", link.url).group(1)  # type: ignore[union-attr]
    signature = re.search(r"s=(\w+)", link.url).group(1)  # type: ignore[union-attr]
    assert links.find(name, expires, signature, now=then) == exports / name
    assert links.find(name, expires, signature, now=utcnow()) is None  # 12 hours have passed
    os.utime(exports / name, (then.timestamp(), then.timestamp()))
    assert links.sweep(utcnow()) == 1
    assert not any(exports.iterdir()), "the expired export is gone from the disk"


async def test_the_running_bot_removes_exports_whose_links_have_expired(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """Without anyone running `purge` or another export: the bot removes, from its start and
    every hour, the files no link can fetch any more, and leaves the others."""
    exports = tmp_path / "exports"
    exports.mkdir()
    expired, current = exports / new_file_name("xlsx"), exports / new_file_name("csv")
    for path in (expired, current):
        path.write_text("Kode\nASN-AAAA-BBBB\n")
    thirteen_hours_ago = (utcnow() - timedelta(hours=13)).timestamp()
    os.utime(expired, (thirteen_hours_ago, thirteen_hours_ago))
    async with running_bot(_settings(settings_factory, tmp_path, "http://127.0.0.1")):
        for _ in range(100):
            if not expired.exists():
                break
            await asyncio.sleep(0.05)
        assert not expired.exists(), "the expired export is gone from the disk"
        assert current.exists(), "an export whose link still works stays"


async def test_without_a_public_site_a_large_export_still_arrives_in_parts(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram
) -> None:
    settings = settings_factory(admin_ids=frozenset({ADMIN}), export_part_bytes=PART_BYTES)
    async with running_bot(settings) as application:
        await seed_cases(application.sessions, [{} for _ in range(700)])
        admin = FakeUser(telegram, user_id=ADMIN)
        first = await say(admin, "/export csv")
        assert "document" in first and "/unduh/" not in text_of(first)
