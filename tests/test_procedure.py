"""The procedure Perbawaslu 7/2022 prescribes, through the real dispatcher: registration
with a register number and the decision period counted as each election's law counts it,
completion by the reporter (in time, or not registered), extension, findings (temuan) and
merged duplicates. The counting itself is checked on fixed dates at the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import update
from sqlmodel import select

from bot.app import Application
from bot.services.deadlines import (
    days_after,
    decision_deadline,
    reported_late,
    review_deadline,
)
from bot.services.register import BadRegisterFormat, check_format, register_number
from storage.models import Case, CaseEvent, Reporter
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import CODE, press, reply, say, text_of
from tests.helpers.reports import (
    LEGISLATIVE,
    REGIONAL,
    answer_reported_person,
    file_report,
    summary_after_evidence,
)
from tests.helpers.staff import ADMIN, STAFF_CHAT

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")


def shown(day: date) -> str:
    """A date as the Indonesian messages write it."""
    return format_date(day, "d MMMM y", locale="id")


def counted_days_after(start: date, days: int, *, weekdays_only: bool) -> date:
    """The test's own count: calendar days, or Monday to Friday."""
    current = start
    while days:
        current += timedelta(days=1)
        if not weekdays_only or current.weekday() < 5:
            days -= 1
    return current


def today_in(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


async def stored_case(app: Application, code: str) -> Case:
    async with app.sessions() as session:
        return (await session.exec(select(Case).where(Case.code == code))).one()


@pytest.fixture
def second_citizen(telegram: FakeTelegram) -> FakeUser:
    return FakeUser(telegram, user_id=5_550_999, first_name="Wati", language_code="id")


# --- registration and the decision period ----------------------------------------------


@pytest.mark.parametrize(
    ("election", "code_part", "days", "weekdays_only", "extension"),
    [
        # A regent's election (UU 1/2015 Pasal 134): 3 calendar days, 2 more on extension.
        (REGIONAL, "/LP/PB/Kota/32.73/", 3, False, 2),
        # A legislative election (UU 7/2017 Pasal 454): 7 working days, 7 more.
        (LEGISLATIVE, "/LP/PL/Kota/32.73/", 7, True, 7),
    ],
)
async def test_registration_numbers_the_case_and_counts_the_decision_period_by_its_law(
    desk_app: Application,
    citizen: FakeUser,
    admin: FakeUser,
    election: str,
    code_part: str,
    days: int,
    weekdays_only: bool,
    extension: int,
) -> None:
    code = await file_report(citizen, identified=True, election=election)
    await say(admin, f"/setstatus {code} initial_review", code)
    await reply(citizen, "Kajian awal")

    answer = await say(admin, f"/setstatus {code} registered", code)
    assert code_part in text_of(answer), text_of(answer)
    registered_on = today_in(WIB)
    due = counted_days_after(registered_on, days, weekdays_only=weekdays_only)
    told = await reply(citizen, "Diregistrasi")
    number = (await stored_case(desk_app, code)).register_number
    assert number is not None and number in text_of(told)
    assert number.startswith("001" + code_part), "the office's first registration this year"
    assert f"Batas waktu keputusan: {shown(due)}" in text_of(told)

    await say(admin, f"/setstatus {code} examination", code)
    await reply(citizen, "Klarifikasi")
    extended = await say(admin, f"/extend {code} Keterangan saksi kedua diperlukan", code)
    longer = counted_days_after(registered_on, days + extension, weekdays_only=weekdays_only)
    assert shown(longer) in text_of(extended)
    notice = await reply(citizen, "diperpanjang")
    assert "Keterangan saksi kedua diperlukan" in text_of(notice)
    assert shown(longer) in text_of(notice)
    again = await say(admin, f"/extend {code} Sekali lagi")
    assert "sudah" in text_of(again).lower(), "the law allows one extension"

    await say(admin, f"/setstatus {code} established", code)
    await reply(citizen, "Terbukti")
    assert (await stored_case(desk_app, code)).deadline_at is None, "decided: no deadline"


async def test_the_second_registration_of_an_office_takes_the_next_number(
    desk_app: Application, citizen: FakeUser, second_citizen: FakeUser, admin: FakeUser
) -> None:
    first = await file_report(citizen, identified=True)
    second = await file_report(second_citizen, identified=True, asn_name="Sri Rahayu")
    numbers = []
    for code in (first, second):
        await say(admin, f"/setstatus {code} initial_review", code)
        await say(admin, f"/setstatus {code} registered", code)
        numbers.append((await stored_case(desk_app, code)).register_number)
    assert [number.split("/")[0] for number in numbers] == ["001", "002"]  # type: ignore[union-attr]


async def test_an_anonymous_report_is_not_registered_as_a_report_but_can_become_a_finding(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    """A report's formal requirements include the reporter's name and address; the office
    may take an anonymous report up as its own finding, numbered TM."""
    code = await file_report(citizen)  # anonymous
    await say(admin, f"/setstatus {code} initial_review", code)
    await reply(citizen, "Kajian awal")
    refusal = await say(admin, f"/setstatus {code} registered")
    assert "/finding" in text_of(refusal), "the way on is named"
    assert (await stored_case(desk_app, code)).status == "initial_review"

    await say(admin, f"/finding {code}", code)
    taken = await reply(citizen, "temuan")
    assert code in text_of(taken)
    answer = await say(admin, f"/setstatus {code} registered", code)
    assert "/TM/PB/Kota/32.73/" in text_of(answer)
    await reply(citizen, "Diregistrasi")
    card = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: code in text_of(m) and "/TM/" in text_of(m)
    )
    assert "Temuan" in text_of(card)


async def test_not_registering_needs_a_reason_the_reporter_reads(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen)
    refusal = await say(admin, f"/setstatus {code} not_registered")
    for reason in ("formal", "material", "late", "not_competent"):
        assert reason in text_of(refusal)
    assert (await stored_case(desk_app, code)).status == "received"
    await say(admin, f"/setstatus {code} not_registered material", code)
    told = await reply(citizen, "Tidak diregistrasi")
    assert "syarat materiel" in text_of(told).lower() or "materiel" in text_of(told)


# --- completion -------------------------------------------------------------------------


async def test_a_report_completed_in_time_goes_back_to_initial_review(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen, identified=True)
    await say(admin, f"/setstatus {code} initial_review", code)
    await reply(citizen, "Kajian awal")
    refusal = await say(admin, f"/setstatus {code} completion")
    assert "kurang" in text_of(refusal).lower() or "lengkap" in text_of(refusal).lower()

    await say(admin, f"/setstatus {code} completion Tautan unggahan yang dimaksud", code)
    notice = await reply(citizen, "Menunggu kelengkapan")
    assert "Yang perlu dilengkapi" in text_of(notice)
    assert "Tautan unggahan yang dimaksud" in text_of(notice)
    due = counted_days_after(today_in(WIB), 2, weekdays_only=False)  # a regent's election
    assert f"Batas waktu melengkapi: {shown(due)}" in text_of(notice)

    prompt = await press(citizen, notice, "Tambah informasi")
    assert code in text_of(prompt)
    await citizen.send("https://www.instagram.com/p/Cx1Example/ diunggah 16 November")
    await reply(citizen)
    relayed = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: "Cx1Example" in text_of(m))
    assert str(citizen.user_id) not in text_of(relayed)
    back = await reply(citizen, "Kajian awal")
    assert code in text_of(back)
    case = await stored_case(desk_app, code)
    assert case.status == "initial_review"
    assert case.deadline_at is not None


async def test_a_report_not_completed_in_time_is_not_registered(
    settings_factory: Any, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    from tests.helpers.bot import running_bot

    settings = settings_factory(
        admin_ids=frozenset({ADMIN}), staff_chat_id=STAFF_CHAT, completion_sweep_seconds=0.5
    )
    async with running_bot(settings) as app:
        code = await file_report(citizen, identified=True)
        await say(admin, f"/setstatus {code} initial_review", code)
        await say(admin, f"/setstatus {code} completion Tautan unggahan", code)
        await reply(citizen, "Kajian awal")
        await reply(citizen, "Menunggu kelengkapan")
        async with app.sessions() as session:
            await session.exec(
                update(Case)
                .where(Case.code == code)
                .values(deadline_at=datetime.now(UTC) - timedelta(minutes=1))
            )  # type: ignore[call-overload]
            await session.commit()
        told = await reply(citizen, "Tidak diregistrasi")
        assert "tidak dilengkapi dalam batas waktu" in text_of(told)
        case = await stored_case(app, code)
        assert (case.status, case.outcome_reason) == ("not_registered", "not_completed")
        async with app.sessions() as session:
            events = (
                await session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))
            ).all()
        assert [e.to_status for e in events if e.action == "status"][-1] == "not_registered"


# --- findings ---------------------------------------------------------------------------


async def test_staff_open_a_finding_of_their_own_supervision(
    desk_app: Application, telegram: FakeTelegram, admin: FakeUser
) -> None:
    await admin.send("/finding")
    await reply(admin, "temuan")
    question = await reply(admin, "Langkah")
    assert "Anonim" not in str(question.get("reply_markup")), "no reporter identity to ask"
    question = await answer_reported_person(admin, question, asn_name="Hendra Gunawan")
    question = await say(admin, "Kecamatan Cibinong", "Langkah 3/9")
    question = await press(admin, question, "Jawa Barat", "Langkah 3/9")
    question = await say(admin, "Kabupaten Bogor", "Langkah 4/9")
    question = await press(admin, question, REGIONAL, "Langkah 4/9")
    question = await press(admin, question, "media sosial", "Langkah 5/9")
    question = await press(admin, question, "Hari ini", "Langkah 5/9")
    question = await press(admin, question, "Pada hari kejadian", "Langkah 6/9")
    question = await say(admin, "Akun Facebook pribadi", "Langkah 7/9")
    question = await say(admin, "Mengunggah foto bersama calon bupati.", "Langkah 8/9")
    question = await press(admin, question, "Lewati", "Langkah 9/9")
    summary = await summary_after_evidence(admin, question)
    recorded = await press(admin, summary, "Catat temuan", "Temuan tercatat")
    code = CODE.search(text_of(recorded)).group(0)  # type: ignore[union-attr]

    case = await stored_case(desk_app, code)
    assert (case.kind, case.office_code) == ("finding", "32.01")
    async with desk_app.sessions() as session:
        reporter = await session.get(Reporter, case.reporter_id)
    assert reporter is not None and reporter.chat_id is None, "no one to notify"
    card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: code in text_of(m))
    assert "Temuan" in text_of(card) and "Hendra Gunawan" in text_of(card)
    await say(admin, f"/setstatus {code} initial_review", code)
    answer = await say(admin, f"/setstatus {code} registered", code)
    assert "001/TM/PB/Kab/32.01/" in text_of(answer)


async def test_a_citizen_cannot_open_a_finding(desk_app: Application, citizen: FakeUser) -> None:
    await citizen.send("/finding")
    answer = await reply(citizen)
    assert "Langkah" not in text_of(answer)


# --- merged duplicates ------------------------------------------------------------------


async def test_a_merged_duplicate_hears_the_surviving_case_and_counts_once(
    desk_app: Application,
    citizen: FakeUser,
    second_citizen: FakeUser,
    admin: FakeUser,
) -> None:
    survivor = await file_report(citizen, identified=True)
    duplicate = await file_report(second_citizen, asn_name="Budi Santoso")
    await say(admin, f"/merge {duplicate} {survivor}", duplicate)
    merged = await reply(second_citizen, "Digabung")
    assert survivor in text_of(merged)
    assert (await stored_case(desk_app, duplicate)).status == "merged"

    await say(admin, f"/setstatus {survivor} initial_review", survivor)
    for reporter in (citizen, second_citizen):
        update_ = await reply(reporter, "Kajian awal")
        assert survivor in text_of(update_)

    status = await say(second_citizen, f"/status {duplicate}", duplicate)
    assert survivor in text_of(status) and "Kajian awal" in text_of(status)

    stats = await say(admin, "/stats", "Statistik")
    assert "Laporan dan temuan diterima: 1 " in text_of(stats), text_of(stats)
    await admin.next()  # the chart

    again = await say(admin, f"/merge {duplicate} {survivor}")
    assert "Hanya laporan yang masih ditangani" in text_of(again), "merged already: refused"
    assert (await stored_case(desk_app, survivor)).status == "initial_review"


async def test_a_merged_reporter_neither_hears_the_other_reporters_note_nor_passes_for_them(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    second_citizen: FakeUser,
    admin: FakeUser,
) -> None:
    """Two reporters share a case once one report is merged into the other: the office's
    note to one (which may name them) does not reach the other, and the other's answer is
    shown to staff as theirs, not as the reporter /ask reaches."""
    survivor = await file_report(citizen, identified=True)
    duplicate = await file_report(second_citizen, asn_name="Budi Santoso")
    await say(admin, f"/merge {duplicate} {survivor}", duplicate)
    await reply(second_citizen, "Digabung")
    await say(admin, f"/setstatus {survivor} initial_review", survivor)
    for reporter in (citizen, second_citizen):
        await reply(reporter, "Kajian awal")

    note = "Pak Joko Susanto mohon kirim foto KTP Anda"
    await say(admin, f"/setstatus {survivor} completion {note}", survivor)
    own = await reply(citizen, "Menunggu kelengkapan")
    assert note in text_of(own)
    other = await reply(second_citizen, "Menunggu kelengkapan")
    assert "Joko" not in text_of(other) and "Yang perlu dilengkapi" not in text_of(other)

    await say(admin, f"/ask {survivor} Jam berapa kejadiannya?", survivor)
    await reply(citizen, "Jam berapa")
    await press(second_citizen, other, "Tambah informasi")
    await second_citizen.send("Saya guru honorer di sebelah ruangan Pak Budi")
    await reply(second_citizen)
    relayed = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: "guru honorer" in text_of(m)
    )
    assert duplicate in text_of(relayed) and "digabungkan" in text_of(relayed), text_of(relayed)
    # That was not the answer to the question put to the other reporter, who is still
    # pointed to it when they type their answer without pressing Reply.
    assert "tidak terkirim" in text_of(await say(citizen, "Jam 9 pagi"))


async def test_staff_may_type_the_procedure_in_indonesian(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    """/setstatus, /election and /bkn take the words of the procedure as staff say them,
    as well as the keys."""
    code = await file_report(citizen, identified=True)
    await say(admin, f"/election {code} wali-kota", code)
    for word, status in (
        ("kajian", "initial_review"),
        ("diregistrasi", "registered"),
        ("Klarifikasi", "examination"),
        ("terbukti", "established"),
    ):
        await say(admin, f"/setstatus {code} {word}", code)
        assert (await stored_case(desk_app, code)).status == status, word
    await say(admin, f"/forward {code}", code)
    await say(admin, f"/bkn {code} sedang", "hukuman disiplin sedang")
    case = await stored_case(desk_app, code)
    assert (case.election, case.bkn_sanction) == ("regent", "moderate")


async def test_a_case_cannot_be_merged_into_itself(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen)
    refusal = await say(admin, f"/merge {code} {code}")
    assert "dirinya sendiri" in text_of(refusal)
    assert (await stored_case(desk_app, code)).status == "received"


# --- the counting, on fixed dates -------------------------------------------------------

FRIDAY = date(2026, 11, 27)


def test_working_days_skip_the_weekend_and_calendar_days_do_not() -> None:
    assert days_after(FRIDAY, 2, working_days=True) == date(2026, 12, 1)  # Tuesday
    assert days_after(FRIDAY, 2, working_days=False) == date(2026, 11, 29)  # Sunday
    assert days_after(FRIDAY, 7, working_days=True) == date(2026, 12, 8)


def test_a_period_ends_at_the_end_of_its_last_day_in_the_time_of_the_place() -> None:
    # Received Friday 20:00 WITA (12:00 UTC), a legislative election: 2 working days.
    received = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    due = review_deadline(received, "legislative", WITA)
    assert due == datetime(2026, 12, 1, 23, 59, 59, tzinfo=WITA)
    # Received Friday 23:30 WIB is Saturday in WITA: the count starts from the local day.
    late_evening = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    assert review_deadline(late_evening, "regent", WITA) == datetime(
        2026, 11, 30, 23, 59, 59, tzinfo=WITA
    )


def test_decision_periods_by_election() -> None:
    registered = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday morning in Jakarta
    assert decision_deadline(registered, "presidential", WIB).date() == date(2026, 12, 8)
    assert decision_deadline(registered, "presidential", WIB, extended=True).date() == date(
        2026, 12, 17
    )
    assert decision_deadline(registered, "governor", WIB).date() == date(2026, 11, 30)
    assert decision_deadline(registered, "governor", WIB, extended=True).date() == date(2026, 12, 2)


def test_seven_days_to_report_counted_by_the_election_law() -> None:
    # Known on a Friday: a regent's election allows to the next Friday; a general
    # election, 7 working days, to the Tuesday after.
    assert not reported_late(FRIDAY, date(2026, 12, 4), "regent")
    assert reported_late(FRIDAY, date(2026, 12, 5), "regent")
    assert not reported_late(FRIDAY, date(2026, 12, 8), "legislative")
    assert reported_late(FRIDAY, date(2026, 12, 9), "legislative")


def test_register_numbers_follow_the_format() -> None:
    number = register_number(
        "{number:03d}/{kind}/{election}/{level}/{region}/{month}/{year}",
        number=2,
        kind="report",
        election="legislative",
        office_code="32.09",
        on=date(2024, 3, 5),
    )
    assert number == "002/LP/PL/Kab/32.09/III/2024"
    assert (
        register_number(
            "{number}/{kind}/{region}",
            number=7,
            kind="finding",
            election="governor",
            office_code="62",
            on=date(2024, 3, 5),
        )
        == "7/TM/62.00"
    )
    for bad in ("{kind}/{year}", "{number}/{nomor}", "{number:03d}/{month"):
        with pytest.raises(BadRegisterFormat):
            check_format(bad)
