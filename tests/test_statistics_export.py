"""Statistics, the chart and the spreadsheet export, against a real migrated database.

Self-contained (no conftest fixtures). Set TEST_POSTGRES_URL to run them on PostgreSQL too.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import charts
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.charts import ChartText, render_statistics_chart
from bot.services.dates import WIB
from bot.services.elections import ELECTIONS
from bot.services.export import EXPORT_COLUMNS, export_cases
from bot.services.lifecycle import NOT_REGISTERED_REASONS, PARTY_KINDS, SANCTIONS, STATUSES
from bot.services.statistics import CaseStatistics, Headline, case_statistics
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case, CaseEvent, Evidence, Reporter

# Reporter identity seeded on every case: none of it may appear in an export.
SECRET_NAME = "Zulkarnaen Rahasiawati"
SECRET_PHONE = "+6281377700042"
SECRET_CHAT_ID_BASE = 7_311_000_000_000
SECRET_REPORTER_ID_BASE = 640_000

TODAY = date(2024, 3, 13)  # a Wednesday; its ISO week starts Monday 2024-03-11

# The statuses a case passes through to reach each status (desk.TRANSITIONS).
PATHS: dict[str, tuple[str, ...]] = {
    "received": ("received",),
    "initial_review": ("received", "initial_review"),
    "examination": ("received", "initial_review", "registered", "examination"),
    "established": ("received", "initial_review", "registered", "examination", "established"),
    "forwarded": (
        "received",
        "initial_review",
        "registered",
        "examination",
        "established",
        "forwarded",
    ),
    "not_registered": ("received", "not_registered"),
    "merged": ("received", "merged"),
    "closed": (
        "received",
        "initial_review",
        "registered",
        "examination",
        "established",
        "closed",
    ),
    "closed_unproven": (
        "received",
        "initial_review",
        "registered",
        "examination",
        "not_established",
        "closed",
    ),
}

STATUS_LABELS = {key: f"Status {key}" for key in STATUSES} | {
    "received": "Diterima",
    "initial_review": "Kajian awal",
    "closed": "Selesai",
}
CATEGORY_LABELS = {key: f"Kategori {key}" for key in CATEGORY_KEYS}
# Every labelled column, with labels that show a key was looked up (never written raw).
LABELS = {
    "kind": {"report": "Laporan", "finding": "Temuan"},
    "status": STATUS_LABELS,
    "outcome_reason": {key: f"Alasan {key}" for key in NOT_REGISTERED_REASONS},
    "election": {key: f"Pemilihan {key}" for key in ELECTIONS},
    "category": CATEGORY_LABELS,
    "party_kind": {key: f"Terlapor {key}" for key in PARTY_KINDS},
    "bkn_sanction": {key: f"Rekomendasi {key}" for key in SANCTIONS},
    "ppk_response": {key: f"Tanggapan {key}" for key in ("imposed", "declined", "no_response")},
    "sanction": {key: f"Sanksi {key}" for key in SANCTIONS},
}
COLUMNS = {key: f"Kolom {key} (WIB)" for key in EXPORT_COLUMNS}


def wib(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


# --- database -------------------------------------------------------------------------------


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        url = f"sqlite+aiosqlite:///{tmp_path / 'stats.db'}"
        await upgrade_to_head_async(url)
        yield url
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    admin_url = make_url(server)
    name = f"lapor_stats_{uuid.uuid4().hex[:12]}"
    plain = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    await upgrade_to_head_async(url)
    yield url
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


_seeded = 0


async def seed_case(
    sessions: SessionFactory,
    *,
    path: str = "received",
    category: str = "social_media",
    province: str = "Jawa Barat",
    created_at: datetime | None = None,
    evidence: int = 0,
    followed_up: bool = False,
    **fields: Any,
) -> Case:
    """One case filed by an identified reporter, with its audit trail and evidence files."""
    global _seeded
    _seeded += 1
    number = _seeded
    created_at = created_at or wib(2024, 3, 1)
    statuses = PATHS[path]
    async with sessions() as session:
        reporter = Reporter(
            id=SECRET_REPORTER_ID_BASE + number,
            chat_id=SECRET_CHAT_ID_BASE + number,
            identity="identified",
            name=SECRET_NAME,
            phone=SECRET_PHONE,
        )
        session.add(reporter)
        await session.flush()
        values: dict[str, Any] = {
            "code": f"LN-T{number:05d}",
            "status": statuses[-1],
            "category": category,
            "asn_name": f"Pegawai {number}",
            "agency": "Dinas Contoh",
            "agency_key": "dinas contoh",
            "province": province,
            "incident_date": date(2024, 2, 28),
            "description": f"Uraian kejadian {number}",
            "reporter_id": reporter.id,
            "created_at": created_at,
            "status_changed_at": created_at + timedelta(hours=len(statuses)),
        }
        if "established" in statuses:  # as the desk records it when it is established
            values["proven_at"] = created_at + timedelta(hours=statuses.index("established"))
        if followed_up:
            values["recommendation_to"] = "PPK Contoh"
            values["recommendation_sent_at"] = created_at + timedelta(days=3)
            values["follow_up_due_at"] = created_at + timedelta(days=33)
            values["ppk_response"] = "imposed"
            values["sanction"] = "moderate"
            values["followed_up_at"] = created_at + timedelta(days=20)
        values.update(fields)
        case = Case(**values)
        session.add(case)
        await session.flush()
        for step, (before, after) in enumerate(pairwise(statuses)):
            session.add(
                CaseEvent(
                    case_id=case.id,
                    actor="staff",
                    actor_id=555,
                    action="status",
                    from_status=before,
                    to_status=after,
                    created_at=created_at + timedelta(hours=step + 1),
                )
            )
        for index in range(evidence):
            session.add(
                Evidence(
                    case_id=case.id,
                    kind="image",
                    mime="image/jpeg",
                    storage_key=f"evidence/{number}/{index}.jpg",
                    sha256=f"{number:032d}{index:032d}",
                    original_sha256=f"{number:032d}{index:032d}",
                    size=1000 + index,
                )
            )
        await session.commit()
        return case


# --- statistics -----------------------------------------------------------------------------


async def test_counts_by_status_category_and_province(sessions: SessionFactory) -> None:
    await seed_case(sessions, path="received", category="social_media", province="Aceh")
    await seed_case(sessions, path="received", category="social_media", province="Bali")
    await seed_case(sessions, path="initial_review", category="candidacy", province="Bali")
    await seed_case(sessions, path="established", category="candidacy", province="Jawa Barat")
    await seed_case(sessions, path="closed", category="other", province="Jawa Barat")
    await seed_case(sessions, path="closed_unproven", category="other", province="Jawa Barat")
    # A duplicate merged into another case: the same event, counted once.
    await seed_case(sessions, path="merged", category="other", province="Jawa Barat")

    async with sessions() as session:
        stats = await case_statistics(session, today=TODAY)

    assert list(stats.by_status) == list(STATUSES), "every status, lifecycle order"
    assert stats.by_status == dict.fromkeys(STATUSES, 0) | {
        "received": 2,
        "initial_review": 1,
        "established": 1,
        "closed": 2,
        "merged": 1,
    }
    assert list(stats.by_category) == list(CATEGORY_KEYS), "every category, catalogue order"
    assert stats.by_category == dict.fromkeys(CATEGORY_KEYS, 0) | {
        "social_media": 2,
        "candidacy": 2,
        "other": 2,
    }
    # Only provinces with cases, most first; ties by name.
    assert list(stats.by_province.items()) == [("Jawa Barat", 3), ("Bali", 2), ("Aceh", 1)]
    assert stats.headline.received == 6


async def test_empty_database(sessions: SessionFactory) -> None:
    async with sessions() as session:
        stats = await case_statistics(session, today=TODAY, weeks=3)
    assert stats.by_status == dict.fromkeys(STATUSES, 0)
    assert stats.by_category == dict.fromkeys(CATEGORY_KEYS, 0)
    assert stats.by_province == {}
    assert stats.by_week == [(date(2024, 2, 26), 0), (date(2024, 3, 4), 0), (date(2024, 3, 11), 0)]
    assert stats.headline == Headline(
        received=0,
        findings=0,
        proven=0,
        forwarded=0,
        due=0,
        followed_up=0,
        declined=0,
        no_response=0,
        follow_up_rate=None,
        days_to_sanction=None,
        repeat_offenders=0,
        provinces_with_proven=0,
        provinces_total=38,
        province_share=0.0,
    )


async def test_weeks_are_wib_iso_weeks_zero_filled_oldest_first(sessions: SessionFactory) -> None:
    # Window for 4 weeks up to TODAY: Mondays 19/02, 26/02, 04/03, 11/03 (WIB).
    filed = [
        wib(2024, 2, 18, 23, 30),  # Sunday before the window: left out
        wib(2024, 2, 19, 0, 30),  # Monday 00:30 WIB is still Sunday in UTC: first week
        wib(2024, 3, 4, 6, 59),  # Monday morning WIB, Sunday 23:59 UTC: week of 04/03
        wib(2024, 3, 10, 23, 30),  # Sunday night: still the week of 04/03
        wib(2024, 3, 11, 0, 0),  # the current week starts at midnight WIB exactly
        wib(2024, 3, 13, 10, 0),  # today
        wib(2024, 3, 18, 9, 0),  # next week (clock skew, bad data): not this window
    ]
    for created in filed:
        await seed_case(sessions, created_at=created)

    async with sessions() as session:
        four = await case_statistics(session, today=TODAY, weeks=4)
        twelve = await case_statistics(session, today=TODAY)

    assert four.by_week == [
        (date(2024, 2, 19), 1),
        (date(2024, 2, 26), 0),
        (date(2024, 3, 4), 2),
        (date(2024, 3, 11), 2),
    ]
    assert len(twelve.by_week) == 12
    assert twelve.by_week[0] == (date(2023, 12, 25), 0)
    assert twelve.by_week[-1] == (date(2024, 3, 11), 2)
    assert all(monday.weekday() == 0 for monday, _count in twelve.by_week)
    assert sum(count for _monday, count in twelve.by_week) == 6  # all but next week's
    assert twelve.headline.received == 7, "the totals are not limited to the window"


async def test_headline_established_follow_up_and_province_share(
    sessions: SessionFactory,
) -> None:
    await seed_case(sessions, path="established", province="Jawa Barat", followed_up=True)
    # Established, then closed: still established.
    await seed_case(sessions, path="closed", province="Jawa Barat", followed_up=True)
    # Recommendation sent, no answer from the PPK by its due date: established, due, not
    # followed up.
    await seed_case(
        sessions,
        path="closed",
        province="Aceh",
        recommendation_to="PPK Aceh",
        recommendation_sent_at=wib(2024, 3, 5),
        follow_up_due_at=wib(2024, 4, 4),
    )
    # Forwarded, its answer not yet due: in no rate.
    await seed_case(
        sessions,
        path="forwarded",
        province="Aceh",
        recommendation_to="PPK Aceh",
        recommendation_sent_at=wib(2024, 3, 5),
        follow_up_due_at=datetime.now(UTC) + timedelta(days=10),
    )
    # Closed after not established, and a case never established: not counted, even
    # though the latter carries follow-up fields.
    await seed_case(sessions, path="closed_unproven", province="Bali")
    await seed_case(sessions, path="examination", province="Papua", followed_up=True)
    await seed_case(sessions, path="received", province="Papua", kind="finding")

    async with sessions() as session:
        headline = (await case_statistics(session, today=TODAY)).headline

    assert headline.received == 7
    assert headline.findings == 1
    assert headline.proven == 4
    assert (headline.forwarded, headline.due) == (4, 3)
    assert (headline.followed_up, headline.declined, headline.no_response) == (2, 0, 1)
    assert headline.follow_up_rate == pytest.approx(2 / 3)
    assert headline.provinces_with_proven == 2
    assert headline.provinces_total == 38
    assert headline.province_share == pytest.approx(2 / 38)


async def test_statistics_take_a_fixed_number_of_queries(
    sessions: SessionFactory, engine: AsyncEngine
) -> None:
    for index in range(12):
        await seed_case(sessions, path="closed" if index % 3 else "received", evidence=1)
    statements = _count_statements(engine)
    async with sessions() as session:
        await case_statistics(session, today=TODAY)
    # Status, category, province, region (regency/city), findings, the weekly trend, the
    # headline, and the established cases' time to sanction and repeat offenders.
    assert len(statements) <= 9, statements


def _count_statements(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    return statements


# --- chart ----------------------------------------------------------------------------------

CHART_TEXT = ChartText(
    title="Lapor Netral — kasus",
    by_status="Menurut status",
    by_category="Menurut kategori",
    by_week="Kasus baru per minggu",
    status_labels=STATUS_LABELS,
    category_labels=CATEGORY_LABELS
    | {"office_resources": "Penggunaan fasilitas kantor, kendaraan dinas dan anggaran negara"},
    generated="Dibuat 13/03/2024 10:00 WIB",
)


def _statistics(
    by_status: dict[str, int], by_category: dict[str, int], weekly: Sequence[int]
) -> CaseStatistics:
    first = date(2024, 3, 11) - timedelta(weeks=len(weekly) - 1)
    return CaseStatistics(
        by_status=dict.fromkeys(STATUSES, 0) | by_status,
        by_category=dict.fromkeys(CATEGORY_KEYS, 0) | by_category,
        by_province={},
        by_region={},
        by_week=[(first + timedelta(weeks=index), n) for index, n in enumerate(weekly)],
        headline=Headline(0, 0, 0, 0, 0, 0, 0, 0, None, None, 0, 0, 38, 0.0),
    )


def _open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == (charts.WIDTH, charts.HEIGHT) == (1200, 1560)
    return image.convert("RGB")


def _columns_with(image: Image.Image, colour: tuple[int, int, int]) -> dict[int, int]:
    """x → how many pixels of exactly `colour` that column holds."""
    found: dict[int, int] = {}
    pixels = image.load()
    width, height = image.size
    for x in range(0, width):
        total = sum(1 for y in range(0, height) if pixels[x, y] == colour)
        if total:
            found[x] = total
    return found


async def test_chart_from_the_database(sessions: SessionFactory) -> None:
    await seed_case(sessions, path="received", category="office_resources")
    await seed_case(sessions, path="closed", category="candidacy", created_at=wib(2024, 3, 12))
    async with sessions() as session:
        stats = await case_statistics(session, today=TODAY)

    image = _open_png(render_statistics_chart(stats, CHART_TEXT))

    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20, "text is antialiased: many shades"
    assert _columns_with(image, charts.STATUS_COLOUR)
    assert _columns_with(image, charts.CATEGORY_COLOUR)
    assert _columns_with(image, charts.TREND_COLOUR), "this week's filing is drawn"


def test_chart_bars_are_proportional() -> None:
    # Four statuses with cases, one of them the largest: at the far end of the bars only
    # that one is drawn, at the start all four are.
    stats = _statistics(
        {"received": 40, "initial_review": 20, "established": 10, "closed": 5},
        {"other": 7},
        [0, 3, 0, 9],
    )
    image = _open_png(render_statistics_chart(stats, CHART_TEXT))
    status_columns = _columns_with(image, charts.STATUS_COLOUR)
    start, end = min(status_columns), max(status_columns)
    assert status_columns[start + 1] == 4 * status_columns[end - 1]
    # received (40) is twice initial_review (20): its bar is twice as long (give or take a pixel).
    half = start + (end - start) // 2
    assert status_columns[half - 3] == 2 * status_columns[end - 1]
    assert status_columns[half + 3] == status_columns[end - 1]
    trend_columns = _columns_with(image, charts.TREND_COLOUR)
    assert max(trend_columns.values()) > 100, "the largest week fills the panel's height"


def test_chart_with_no_cases_is_not_blank() -> None:
    stats = _statistics({}, {}, [0] * 12)
    image = _open_png(render_statistics_chart(stats, CHART_TEXT))
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20, "titles, labels and zero counts"
    assert not _columns_with(image, charts.STATUS_COLOUR), "no bar for zero"
    assert not _columns_with(image, charts.TREND_COLOUR)
    assert _columns_with(image, charts.TRACK), "the empty rows still show"

    no_weeks = _open_png(render_statistics_chart(_statistics({}, {}, []), CHART_TEXT))
    assert no_weeks.getcolors(maxcolors=1_000_000) is not None


def test_chart_long_labels_stay_in_their_column() -> None:
    long_labels = replace(
        CHART_TEXT,
        category_labels={
            key: "Pelanggaran netralitas yang sangat panjang sekali " * 4 for key in CATEGORY_KEYS
        },
        status_labels={key: "W" * 200 for key in STATUSES},
    )
    stats = _statistics({"received": 1}, {"other": 1}, [1])
    image = _open_png(render_statistics_chart(stats, long_labels))
    pixels = image.load()
    label_end = charts.MARGIN + charts.LABEL_WIDTH
    # The strip just left of the bars must stay background: labels were cut or wrapped.
    intruding = [
        (x, y)
        for x in range(label_end - 10, label_end)
        for y in range(charts.HEADER_HEIGHT, charts.HEIGHT - charts.TREND_HEIGHT)
        if pixels[x, y] != charts.BACKGROUND
    ]
    assert not intruding, intruding[:5]
    # ...and the labels were drawn at all, well into their column.
    drawn = [
        (x, y)
        for x in range(label_end - 80, label_end - 10)
        for y in range(charts.HEADER_HEIGHT, charts.HEIGHT - charts.TREND_HEIGHT)
        if pixels[x, y] != charts.BACKGROUND
    ]
    assert drawn


# --- export ---------------------------------------------------------------------------------


async def _seed_for_export(sessions: SessionFactory) -> None:
    # Inserted out of filing order: the export must follow created_at, not insertion.
    await seed_case(
        sessions,
        path="closed",
        category="candidacy",
        province="Aceh",
        created_at=datetime(2024, 3, 4, 23, 30, tzinfo=UTC),  # 05/03 06:30 WIB
        evidence=3,
        followed_up=True,
        asn_name="+SUM(A1:A9)",
        asn_position="Kepala Seksi",
        asn_nip="198001012005011001",
        description="Datang ke kampanye",
        place_url="https://maps.example/x",
        assignee_id=424242,
        register_number="001/LP/PL/Prov/11.00/III/2024",
        election="legislative",
        date_known=date(2024, 3, 1),
    )
    await seed_case(
        sessions,
        path="received",
        category="social_media",
        created_at=datetime(2024, 3, 1, 2, 0, tzinfo=UTC),  # 01/03 09:00 WIB
        evidence=0,
        description='=cmd|" /C calc"!A0',
        witnesses="@Budi dan -Siti",
    )
    await seed_case(
        sessions,
        path="initial_review",
        category="other",
        created_at=datetime(2024, 3, 2, 3, 0, tzinfo=UTC),
        evidence=2,
        # Control characters are not allowed in XLSX; a leading one must not hide a formula.
        description="\x01=HYPERLINK(1)\x0b akhir",
    )


async def test_xlsx_export(sessions: SessionFactory) -> None:
    await _seed_for_export(sessions)
    async with sessions() as session:
        data = await export_cases(
            session,
            fmt="xlsx",
            columns=COLUMNS,
            labels=LABELS,
        )

    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header == [COLUMNS[key] for key in EXPORT_COLUMNS]
    assert len(rows) == 1 + 3, "a header and one row per case"
    records = [
        {key: cell for key, cell in zip(EXPORT_COLUMNS, row, strict=True)} for row in rows[1:]
    ]

    first, _second, third = records
    assert [r["description"].value for r in records] == [
        '\'=cmd|" /C calc"!A0',
        "'=HYPERLINK(1) akhir",
        "Datang ke kampanye",
    ], "filing order, formulas neutralised, control characters dropped"
    assert first["description"].data_type == "s", "stored as text, not as a formula"
    assert first["witnesses"].value == "'@Budi dan -Siti"
    assert third["asn_name"].value == "'+SUM(A1:A9)"

    assert [r["status"].value for r in records] == ["Diterima", "Kajian awal", "Selesai"]
    assert [r["category"].value for r in records] == [
        "Kategori social_media",
        "Kategori other",
        "Kategori candidacy",
    ]
    assert [r["evidence_count"].value for r in records] == [0, 2, 3]

    # Real dates, in WIB wall time.
    assert first["created_at"].is_date
    assert first["created_at"].value == datetime(2024, 3, 1, 9, 0)
    assert third["created_at"].value == datetime(2024, 3, 5, 6, 30)
    assert third["incident_date"].is_date
    assert third["incident_date"].value == datetime(2024, 2, 28)
    assert third["followed_up_at"].is_date
    assert third["followed_up_at"].value == datetime(2024, 3, 25, 6, 30)
    assert third["recommendation_sent_at"].value == datetime(2024, 3, 8, 6, 30)
    assert first["followed_up_at"].value is None

    assert third["asn_nip"].value == "198001012005011001", "kept as text, all digits"
    assert third["assignee"].value == "424242", "no name known yet: the id"
    assert third["sanction"].value == "Sanksi moderate", "a label, never the raw key"
    assert third["kind"].value == "Laporan"
    assert third["election"].value == "Pemilihan legislative"
    assert third["party_kind"].value == "Terlapor asn"
    assert third["register_number"].value == "001/LP/PL/Prov/11.00/III/2024"
    assert third["date_known"].value == datetime(2024, 3, 1)
    assert third["recommendation_to"].value == "PPK Contoh"
    assert third["place_url"].value == "https://maps.example/x"
    assert third["asn_position"].value == "Kepala Seksi"
    assert first["asn_position"].value is None

    _assert_no_identity_in_xlsx(data)


async def test_csv_export_matches_and_has_bom(sessions: SessionFactory) -> None:
    await _seed_for_export(sessions)
    async with sessions() as session:
        raw = await export_cases(
            session,
            fmt="csv",
            columns=COLUMNS,
            labels=LABELS,
        )

    assert raw.startswith(b"\xef\xbb\xbf"), "byte-order mark, so Excel reads UTF-8"
    assert not raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == [COLUMNS[key] for key in EXPORT_COLUMNS]
    assert len(table) == 4
    records = [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in table[1:]]
    first, _second, third = records
    assert [r["description"] for r in records] == [
        '\'=cmd|" /C calc"!A0',
        "'=HYPERLINK(1) akhir",
        "Datang ke kampanye",
    ]
    assert first["witnesses"] == "'@Budi dan -Siti"
    assert third["asn_name"] == "'+SUM(A1:A9)"
    assert [r["status"] for r in records] == ["Diterima", "Kajian awal", "Selesai"]
    assert [r["evidence_count"] for r in records] == ["0", "2", "3"]
    assert first["created_at"] == "2024-03-01 09:00:00"
    assert third["created_at"] == "2024-03-05 06:30:00"
    assert third["incident_date"] == "2024-02-28"
    assert third["followed_up_at"] == "2024-03-25 06:30:00"
    assert first["followed_up_at"] == "" and first["asn_position"] == ""
    assert third["asn_nip"] == "198001012005011001"

    _assert_no_identity(raw.decode("utf-8-sig"), "csv")


async def test_export_refuses_unknown_or_missing_columns(sessions: SessionFactory) -> None:
    await seed_case(sessions)
    async with sessions() as session:
        with pytest.raises(ValueError, match="reporter_name"):
            await export_cases(
                session,
                fmt="csv",
                columns=COLUMNS | {"reporter_name": "Pelapor"},
                labels=LABELS,
            )
        partial = {key: header for key, header in COLUMNS.items() if key != "code"}
        with pytest.raises(ValueError, match="code"):
            await export_cases(
                session,
                fmt="xlsx",
                columns=partial,
                labels=LABELS,
            )


async def test_export_takes_one_query_whatever_the_number_of_cases(
    sessions: SessionFactory, engine: AsyncEngine
) -> None:
    for index in range(25):
        await seed_case(sessions, evidence=index % 3)
    statements = _count_statements(engine)
    async with sessions() as session:
        raw = await export_cases(
            session,
            fmt="csv",
            columns=COLUMNS,
            labels=LABELS,
        )
    assert len(statements) == 1, statements
    counts = [row[EXPORT_COLUMNS.index("evidence_count")] for row in _csv_rows(raw)]
    assert counts == [str(index % 3) for index in range(25)]


def _csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))[1:]


def _secrets() -> list[str]:
    secrets = [SECRET_NAME, "Zulkarnaen", "Rahasiawati", SECRET_PHONE, SECRET_PHONE[1:]]
    secrets += [SECRET_PHONE[-9:]]  # the phone without its country prefix
    secrets += [str(SECRET_CHAT_ID_BASE + n) for n in range(1, _seeded + 1)]
    secrets += [str(SECRET_CHAT_ID_BASE)[:8]]  # any chat id, whatever the seed order
    secrets += [str(SECRET_REPORTER_ID_BASE + n) for n in range(1, _seeded + 1)]
    secrets += ["reporter", "pelapor"]
    return secrets


def _assert_no_identity(text: str, where: str) -> None:
    lowered = text.lower()
    for secret in _secrets():
        assert secret.lower() not in lowered, f"{secret!r} found in {where}"


def _assert_no_identity_in_xlsx(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert any(name.startswith("xl/worksheets/") for name in names)
        for name in names:
            _assert_no_identity(archive.read(name).decode("utf-8", "replace"), name)


async def test_identity_never_in_either_format(sessions: SessionFactory) -> None:
    # Identity put where a careless export would pick it up: many identified reporters.
    for path in ("received", "established", "closed", "not_registered"):
        await seed_case(sessions, path=path, evidence=1)
    async with sessions() as session:
        xlsx = await export_cases(
            session,
            fmt="xlsx",
            columns=COLUMNS,
            labels=LABELS,
        )
        raw = await export_cases(
            session,
            fmt="csv",
            columns=COLUMNS,
            labels=LABELS,
        )
    # The scan itself works: the cases (and so the seeded data) are in both files.
    assert len(_csv_rows(raw)) == 4
    assert b"Pegawai" in raw
    _assert_no_identity_in_xlsx(xlsx)
    _assert_no_identity(raw.decode("utf-8-sig"), "csv")
