"""/stats and /export as an admin receives them, and what an export must never contain."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.app import Application
from bot.config import Settings
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import reply, say, text_of
from tests.helpers.reports import file_report
from tests.helpers.staff import ADMIN, STAFF_CHAT


@pytest.fixture
async def admin_app(settings_factory: Callable[..., Settings]):  # type: ignore[no-untyped-def]
    async with running_bot(settings_factory(admin_ids=frozenset({ADMIN}))) as application:
        yield application


async def identified_report(citizen: FakeUser) -> str:
    return await file_report(
        citizen,
        identified=True,
        name="Sari Rahasia Wulandari",
        phone="+62 812-9999-0001",
        asn_name="Rina Marlina",
    )


async def test_export_xlsx_and_csv_have_cases_but_no_reporter_identity(
    admin_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await identified_report(citizen)
    admin = FakeUser(telegram, user_id=ADMIN)
    await admin.send("/export")
    document = await reply(admin)
    workbook = load_workbook(io.BytesIO(document["_upload"]), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert header[0] == "Kode" or header[0] == "Code"
    assert len(data) == 1 and data[0][0] == code
    record = dict(zip(header, data[0], strict=False))  # read-only rows end at the last value
    assert record["Status"] == "Diterima" and record["Laporan atau temuan"] == "Laporan"
    assert record["Terlapor"] == "Rina Marlina"
    assert record["Pemilu/Pemilihan"] == "Pemilihan Bupati/Wali Kota", "labels, not keys"
    forbidden = ("Sari Rahasia", "6281299990001", str(citizen.user_id), "Jl. Merdeka")
    with zipfile.ZipFile(io.BytesIO(document["_upload"])) as archive:
        for name in archive.namelist():
            content = archive.read(name).decode("utf-8", "replace")
            for secret in forbidden:
                assert secret not in content, f"{secret} in {name}"

    await admin.send("/export csv")
    document = await reply(admin)
    raw = document["_upload"]
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[1][0] == code and len(table) == 2
    for secret in forbidden:
        assert secret not in raw.decode("utf-8")


async def test_export_neutralises_formulas(
    admin_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    from sqlmodel import select

    from storage.models import Case

    await identified_report(citizen)
    async with admin_app.sessions() as session:
        case = (await session.exec(select(Case))).one()
        case.asn_name = '=HYPERLINK("http://evil","klik")'
        session.add(case)
        await session.commit()
    admin = FakeUser(telegram, user_id=ADMIN)
    await admin.send("/export csv")
    raw = (await reply(admin))["_upload"].decode("utf-8-sig")
    assert "'=HYPERLINK" in raw


async def test_stats_message_and_chart(
    admin_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    await identified_report(citizen)
    admin = FakeUser(telegram, user_id=ADMIN)
    summary = text_of(await say(admin, "/stats"))
    assert "1" in summary and "Jawa Barat" in summary
    chart = await reply(admin)
    image = Image.open(io.BytesIO(chart["_upload"]))
    assert image.format == "PNG" and image.size == (1200, 1560)
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 10, "the chart is not blank"


async def test_an_export_asked_for_in_a_staff_group_is_sent_only_in_private(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """Everyone in the group would get the file, or the link meant for one person."""
    await file_report(citizen)
    in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    await in_group.send("/export csv")
    told = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: "/export" in text_of(m))
    assert "obrolan pribadi" in text_of(told)
    await asyncio.sleep(1.0)  # an export would have arrived by now
    assert not any("_upload" in output for output in telegram.sent_to(STAFF_CHAT))

    in_private = FakeUser(telegram, user_id=ADMIN)
    await in_private.send("/export csv")
    exported = (await reply(in_private)).get("_upload")
    assert exported is not None and exported.startswith(b"\xef\xbb\xbf"), "the CSV, in private"
