"""/export's filters (status, period, office) and its parts: what an admin receives when the
file would be larger than a Telegram document may be."""

from __future__ import annotations

import csv
import io
import random
import string
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bot.app import Application
from bot.config import Settings
from bot.services.regions import WIB
from storage.models import CaseEvent
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import reply, say, text_of
from tests.helpers.seed import SEEDED_PHONE, SEEDED_REPORTER, seed_cases
from tests.helpers.staff import ADMIN

PART_BYTES = 64 * 1024


@pytest.fixture
async def admin_app(settings_factory: Callable[..., Settings]) -> AsyncIterator[Application]:
    settings = settings_factory(admin_ids=frozenset({ADMIN}), export_part_bytes=PART_BYTES)
    async with running_bot(settings) as application:
        yield application


def _csv_codes(upload: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(upload.decode("utf-8-sig"))))
    assert rows[0][0] in ("Kode", "Code"), "every part starts with the headers"
    return [row[0] for row in rows[1:]]


def _wib(day: int, hour: int, minute: int = 0) -> datetime:
    """Of March 2026, at `hour` WIB."""
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


async def test_each_filter_gives_only_the_matching_cases(
    admin_app: Application, telegram: FakeTelegram
) -> None:
    received, registered, closed, aceh, early, late = await seed_cases(
        admin_app.sessions,
        [
            {"status": "received", "created_at": _wib(10, 9)},
            {"status": "registered", "created_at": _wib(11, 9)},
            {"status": "closed", "created_at": _wib(12, 9)},
            {
                "status": "registered",
                "created_at": _wib(12, 10),
                "province": "Aceh",
                "region_code": "11.71",
                "office_code": "11.71",
            },
            # 00:30 WIB on the 1st is still the 28th of February in UTC: the period is WIB's.
            {"status": "received", "created_at": _wib(1, 0, 30)},
            {"status": "received", "created_at": _wib(31, 23)},
        ],
    )
    admin = FakeUser(telegram, user_id=ADMIN)

    async def exported(arguments: str) -> list[str]:
        document = await say(admin, f"/export csv {arguments}")
        assert "document" in document, text_of(document)
        return _csv_codes(document["_upload"])

    assert await exported("") == [early, received, registered, closed, aceh, late]
    assert await exported("status=registered") == [registered, aceh]
    assert await exported("status=received,closed") == [early, received, closed, late]
    assert await exported("from=11/03/2026 to=12/03/2026") == [registered, closed, aceh]
    assert await exported("dari=2026-03-01 sampai=01/03/2026") == [early]
    assert await exported("from=31/03/2026") == [late]
    assert await exported("to=10/03/2026") == [early, received]
    assert await exported("Aceh") == [aceh]
    assert await exported("status=registered to=11/03/2026 Jawa Barat") == [registered]
    filtered = await say(admin, "/export status=registered from=11/03/2026")
    sheet = load_workbook(io.BytesIO(filtered["_upload"])).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [registered, aceh]
    assert "Status: Diregistrasi" in text_of(filtered) and "11/03/2026" in text_of(filtered)
    async with admin_app.sessions() as session:
        from sqlmodel import select

        audits = await session.exec(select(CaseEvent.detail).where(CaseEvent.action == "export"))
        assert "xlsx RI status=registered from=2026-03-11" in audits.all()


@pytest.mark.parametrize(
    ("arguments", "answer"),
    [
        ("status=dibakar", "Tidak ada status"),
        ("from=31/02/2026", "bukan tanggal"),
        ("sampai=kemarin", "bukan tanggal"),
        ("from=12/03/2026 to=11/03/2026", "Periode berakhir sebelum dimulai"),
        ("csv Atlantis", "Atlantis"),
    ],
)
async def test_filters_that_make_no_sense_are_answered(
    admin_app: Application, telegram: FakeTelegram, arguments: str, answer: str
) -> None:
    await seed_cases(admin_app.sessions, [{}])
    admin = FakeUser(telegram, user_id=ADMIN)
    refusal = await say(admin, f"/export {arguments}")
    assert "document" not in refusal and answer in text_of(refusal)


def _descriptions(count: int) -> list[dict[str, object]]:
    # Letters at random, so that neither format compresses the rows away.
    chance = random.Random(16)
    return [
        {"description": "".join(chance.choices(string.ascii_letters + " ", k=1500))}
        for _ in range(count)
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_large_export_arrives_in_parts_under_the_limit(
    admin_app: Application, telegram: FakeTelegram, fmt: str
) -> None:
    codes = await seed_cases(admin_app.sessions, _descriptions(200))
    admin = FakeUser(telegram, user_id=ADMIN)
    await admin.send(f"/export {fmt}")
    first = await reply(admin)
    total = int(text_of(first).rsplit(" dari ", 1)[1].rstrip("."))
    documents = [first] + [await reply(admin) for _ in range(total - 1)]
    assert total >= 3, "200 cases of 1.5 KB in 64 KB parts"
    received: list[str] = []
    for number, document in enumerate(documents, start=1):
        assert f"Bagian {number} dari {total}." in text_of(document)
        upload = document["_upload"]
        assert len(upload) <= PART_BYTES, (number, len(upload))
        if fmt == "csv":
            received += _csv_codes(upload)
        else:
            sheet = load_workbook(io.BytesIO(upload)).active
            rows = list(sheet.iter_rows(values_only=True))
            assert rows[0][0] in ("Kode", "Code"), "every part starts with the headers"
            received += [row[0] for row in rows[1:]]
        assert SEEDED_REPORTER.encode() not in upload and SEEDED_PHONE[1:].encode() not in upload
    assert received == codes, "every case once, in order"
    await admin.quiet(0.5)
