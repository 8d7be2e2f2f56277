"""From an established violation to a sanction, through the real dispatcher: forwarding to
BKN with the forwarding document, BKN's recommendation, each kind of PPK response, a missed
deadline, and the follow-up rate counted as the institutions count it."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from bot.app import Application
from bot.services.dates import today_in_indonesia
from bot.services.follow_up import BadResponse, PpkResponse, parse_response
from bot.services.ppk import derive_ppk
from storage.models import Case, Evidence, Outbox, Reporter, utcnow
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import press, reply, say, submit, text_of
from tests.helpers.imagegen import scene_jpeg
from tests.helpers.reports import (
    REPORTER_NAME,
    answer_identity,
    file_report,
    start_report,
    summary_from_agency,
)
from tests.helpers.staff import ADMIN, STAFF_CHAT


async def established_case(citizen: FakeUser, admin: FakeUser, **report: object) -> str:
    code = await file_report(citizen, identified=True, **report)  # type: ignore[arg-type]
    for status in ("initial_review", "registered", "examination", "established"):
        await say(admin, f"/setstatus {code} {status}", code)
    return code


async def stored(app: Application, code: str) -> Case:
    async with app.sessions() as session:
        return (await session.exec(select(Case).where(Case.code == code))).one()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_forwarding_sends_bkn_a_document_listing_every_piece_of_evidence(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await established_case(citizen, admin, photos=[scene_jpeg(3), scene_jpeg(4)])
    sent = await say(admin, f"/forward {code}", code)
    assert "document" in sent
    assert "Wali Kota Bandung" in sent["caption"], "the PPK, derived from the agency"
    text = pdf_text(sent["_upload"])

    case = await stored(desk_app, code)
    async with desk_app.sessions() as session:
        evidence = (await session.exec(select(Evidence).where(Evidence.case_id == case.id))).all()
    assert case.status == "forwarded" and case.register_number in text
    assert "Budi Santoso" in text and "Dinas Pendidikan Kota Bandung" in text
    assert "Wali Kota Bandung" in text and "Badan Kepegawaian Negara" in text
    assert "Pasal 71 ayat (1)" in " ".join(text.split()), "a regent's election: UU 10/2016"
    photos = [item for item in evidence if item.source == "report"]
    assert len(photos) == 2
    flat = text.replace("\n", "")
    for item in photos:
        assert item.sha256 in flat, "each file by its SHA-256"
    assert REPORTER_NAME not in text, "the reporter is not named to BKN"
    assert any(item.source == "staff" and item.mime == "application/pdf" for item in evidence)
    posted = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: "document" in m)
    assert code in (posted.get("caption") or "")
    # The reporter hears where it went as that, not as "a note" of the office's.
    told = [text_of(await reply(citizen, timeout=10))]
    while "Dikirim kepada" not in told[-1] and len(told) < 10:
        told.append(text_of(await reply(citizen, timeout=10)))
    established = next(text for text in told if "Terbukti" in text)
    assert "akan diteruskan" in established, "not yet sent when it is established"
    forwarded = told[-1]
    assert "Dikirim kepada: Badan Kepegawaian Negara" in forwarded, told
    assert "Catatan dari" not in forwarded


async def test_forwarding_from_the_staff_group_posts_the_document_there_once(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    """Asked for in the group where the case's card is, the document is given there as the
    answer, and not posted under the card a second time."""
    code = await established_case(citizen, admin)
    in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    await in_group.send(f"/forward {code}")
    await telegram.wait_output(STAFF_CHAT, predicate=lambda m: "document" in m)
    for _ in range(200):  # until nothing for the group is left to send
        async with desk_app.sessions() as session:
            owed = (
                await session.exec(
                    select(Outbox).where(Outbox.chat_id == STAFF_CHAT, Outbox.status == "pending")
                )
            ).all()
        if not owed:
            break
        await asyncio.sleep(0.1)
    documents = [m for m in telegram.sent_to(STAFF_CHAT) if "document" in m]
    assert len(documents) == 1, [m.get("caption") for m in documents]


async def test_each_kind_of_ppk_response_reaches_the_reporter_and_stays_recorded(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await established_case(citizen, admin)
    refused = await say(admin, f"/bkn {code} moderate")
    assert "/forward" in text_of(refused), "BKN's recommendation comes after forwarding"
    await say(admin, f"/forward {code}", code)
    await say(admin, f"/ppk {code} Penjabat Wali Kota Bandung", code)
    await say(admin, f"/bkn {code} moderate", "hukuman disiplin sedang")
    today = today_in_indonesia().strftime("%d-%m-%Y")
    wrong = await say(admin, f"/followup {code} imposed demotion 800/1/2026 {today}")
    assert "moral" in text_of(wrong), "the sanctions are listed"
    # Dated before the case reached the PPK: a typing error, which would count as a
    # follow-up in no time at all.
    before = (today_in_indonesia() - timedelta(days=1)).strftime("%d-%m-%Y")
    early = await say(admin, f"/followup {code} imposed moderate 800.1.6/112/BKPSDM {before}")
    assert "sebelum kasus diteruskan" in text_of(early), text_of(early)
    await say(admin, f"/followup {code} imposed moderate 800.1.6/112/BKPSDM {today}", code)
    while "ditindaklanjuti" not in text_of(told := await reply(citizen)):
        pass
    assert "Penjabat Wali Kota Bandung" in text_of(told)
    assert "hukuman disiplin sedang" in text_of(told)
    again = await say(admin, f"/followup {code} declined Tidak cukup bukti")
    assert "sudah dicatat" in text_of(again)
    case = await stored(desk_app, code)
    assert (case.ppk_response, case.sanction, case.ppk_decree) == (
        "imposed",
        "moderate",
        "800.1.6/112/BKPSDM",
    )
    detail = await say(admin, f"/case {code}", code)
    assert "800.1.6/112/BKPSDM" in text_of(detail)
    assert "rekomendasi BKN dicatat" in text_of(detail), "the history in words, not keys"


async def test_a_declined_sanction_is_told_plainly(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await established_case(citizen, admin)
    await say(admin, f"/forward {code}", code)
    due = (await stored(desk_app, code)).follow_up_due_at
    await say(admin, f"/forward {code} BKN Kantor Regional III", code)  # the document again
    again = await stored(desk_app, code)
    assert again.follow_up_due_at == due, "forwarding again does not restart the clock"
    assert again.recommendation_to == "BKN Kantor Regional III"
    refusal = await say(admin, f"/followup {code} declined")
    assert "alasan" in text_of(refusal).lower()
    await say(admin, f"/followup {code} declined ASN telah pensiun", code)
    while "tidak menjatuhkan sanksi" not in text_of(told := await reply(citizen)):
        pass
    assert "pelanggaran telah terbukti" in text_of(told), "declining does not undo the decision"
    assert (await stored(desk_app, code)).ppk_reason == "ASN telah pensiun"


async def test_ppks_about_to_miss_or_past_their_deadline_are_flagged(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    soon = await established_case(citizen, admin)
    await say(admin, f"/forward {soon}", soon)
    other = FakeUser(citizen.server, user_id=5_550_777, language_code="id")
    late = await established_case(
        other, admin, agency="Dinas Sosial Kabupaten Bogor", regency="Kabupaten Bogor"
    )
    await say(admin, f"/forward {late}", late)
    async with desk_app.sessions() as session:
        for code, due in (
            (soon, utcnow() + timedelta(days=3)),
            (late, utcnow() - timedelta(days=1)),
        ):
            case = (await session.exec(select(Case).where(Case.code == code))).one()
            case.follow_up_due_at = due
            session.add(case)
        await session.commit()
    overdue = text_of(await say(admin, "/overdue"))
    flagged, _sep, warned = overdue.partition("seminggu")
    assert late in flagged and "pemblokiran" in flagged and "Bupati Bogor" in flagged
    assert soon in warned and "Wali Kota Bandung" in warned


async def test_the_follow_up_rate_matches_a_hand_count(
    desk_app: Application, admin: FakeUser
) -> None:
    """Three sanctions imposed, two declined, two never answered, one not yet due, one
    established but not forwarded: 3 followed up of 7 due, 43%."""
    now = utcnow()
    plan = ["imposed"] * 3 + ["declined"] * 2 + ["silent"] * 2 + ["waiting"] + ["not_forwarded"]
    async with desk_app.sessions() as session:
        for number, outcome in enumerate(plan):
            reporter = Reporter(chat_id=5_570_000 + number, identity="anonymous")
            session.add(reporter)
            await session.flush()
            case = Case(
                created_at=now - timedelta(days=70),
                # Two cases of one civil servant: a repeat offender.
                asn_nip="198001012005011001" if number in (0, 5) else None,
                code=f"ASN-RATE{number:02d}-XXXX",
                status="forwarded" if outcome != "not_forwarded" else "established",
                category="social_media",
                asn_name=f"Pegawai {number}",
                agency="Dinas Sosial",
                agency_key="dinas sosial",
                province="Jawa Barat",
                incident_date=date(2026, 10, 1),
                description="Mengunggah poster calon",
                reporter_id=reporter.id,  # type: ignore[arg-type]
                proven_at=now - timedelta(days=60),
            )
            if outcome != "not_forwarded":
                case.recommendation_to = "BKN"
                case.recommendation_sent_at = now - timedelta(days=50)
                case.follow_up_due_at = now + (
                    timedelta(days=5) if outcome == "waiting" else -timedelta(days=20)
                )
            if outcome in ("imposed", "declined"):
                case.ppk_response = outcome
                case.followed_up_at = now - timedelta(days=25 + number)
                case.sanction = "moral" if outcome == "imposed" else None
            session.add(case)
        await session.commit()
    stats = text_of(await say(admin, "/stats", "Statistik"))
    assert "Diteruskan dengan rekomendasi: 8" in stats
    assert (
        "Tingkat tindak lanjut: 43% (sanksi dijatuhkan 3 dari 7 rekomendasi yang jatuh tempo; "
        "tidak dijatuhi sanksi 2, tanpa tanggapan 2)"
    ) in stats
    # Sanctions recorded 45, 44 and 43 days after their reports.
    assert "Dari laporan sampai sanksi: 44 hari (median)" in stats
    assert "ASN dengan lebih dari satu pelanggaran terbukti: 1" in stats

    await admin.next()  # the chart
    exported = await say(admin, "/export bkn", "Rekomendasi")
    sheet = load_workbook(io.BytesIO(exported["_upload"])).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    responses = [row[header.index("Tanggapan PPK")] for row in rows[1:]]
    assert len(rows) - 1 == 8, "every recommendation, no case not forwarded"
    assert sorted(responses, key=str) == sorted(
        ["sanksi dijatuhkan"] * 3
        + ["memutuskan tidak menjatuhkan sanksi"] * 2
        + ["tidak ada tanggapan sampai batas waktu"] * 2
        + [None],
        key=str,
    )


# --- rules, on their own --------------------------------------------------------------


@pytest.mark.parametrize(
    ("agency", "position", "region", "ppk"),
    [
        ("Dinas Pendidikan Kota Bandung", "Guru", "32.73", "Wali Kota Bandung"),
        ("Kecamatan Cibinong", "Camat", "32.01", "Bupati Bogor"),
        ("Dinas Kesehatan Provinsi Jawa Barat", None, "32.73", "Gubernur Jawa Barat"),
        ("SMA Negeri 3 Bogor", "Guru", "32.01", "Gubernur Jawa Barat"),
        ("Kementerian Agama Kota Bandung", "Penyuluh", "32.73", "Menteri Agama"),
        ("Badan Pusat Statistik", None, "32.73", "Kepala Badan Pusat Statistik"),
        ("Pemerintah Kabupaten Bogor", "Pj. Bupati Bogor", "32.01", "Menteri Dalam Negeri"),
        ("Dinas Sosial", None, "31.71", "Gubernur DKI Jakarta"),
    ],
)
def test_the_ppk_follows_the_agencys_level(
    agency: str, position: str | None, region: str, ppk: str
) -> None:
    assert derive_ppk(agency, position, region) == ppk


def test_ppk_responses_as_typed() -> None:
    today = date(2026, 11, 30)
    assert parse_response("imposed Moral 12/2026 20-11-2026", today) == PpkResponse(
        "imposed", sanction="moral", decree="12/2026", decree_date=date(2026, 11, 20)
    )
    assert parse_response("declined sudah pensiun", today).reason == "sudah pensiun"
    for typed, reason in (
        ("imposed moral 12/2026", "imposed_usage"),
        ("imposed demotion 12/2026 20-11-2026", "bad_sanction"),
        ("imposed moral 12/2026 01-12-2026", "bad_decree_date"),
        ("declined", "declined_needs_reason"),
        ("none", "response_usage"),
    ):
        with pytest.raises(BadResponse) as raised:
            parse_response(typed, today)
        assert raised.value.reason == reason, typed


def test_a_response_is_recorded_in_the_audit_trail_as_typed() -> None:
    response = PpkResponse("imposed", "severe", "800/3", datetime(2026, 11, 2).date())
    assert response.describe() == "imposed severe: 800/3 (2026-11-02)"


async def test_a_repeat_offender_shows_their_earlier_cases_and_sanctions(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    """Tied by NIP, even after moving to another agency."""
    nip = "198503122010011002"
    async with desk_app.sessions() as session:
        reporter = Reporter(chat_id=5_580_000, identity="anonymous")
        session.add(reporter)
        await session.flush()
        session.add(
            Case(
                code="ASN-EARL-IER0",
                status="forwarded",
                category="social_media",
                asn_name="Budi Santoso",
                asn_nip=nip,
                agency="Dinas Sosial Kabupaten Garut",
                agency_key="dinas sosial kabupaten garut",
                province="Jawa Barat",
                incident_date=date(2024, 1, 10),
                description="Mengunggah poster calon presiden",
                reporter_id=reporter.id,  # type: ignore[arg-type]
                proven_at=utcnow() - timedelta(days=600),
                ppk_response="imposed",
                sanction="light",
            )
        )
        await session.commit()
    question = await answer_identity(citizen, await start_report(citizen))
    question = await press(citizen, question, "ASN", "Langkah 2/9")
    question = await say(citizen, "Budi S.", "Langkah 2/9")
    question = await press(citizen, question, "Lewati", "Langkah 2/9")
    await say(citizen, nip, "Langkah 3/9")
    _confirmation, code = await submit(citizen, await summary_from_agency(citizen))
    detail = text_of(await say(admin, f"/case {code}", code))
    assert "Perkara lain ASN yang sama: <code>ASN-EARL-IER0</code>" in detail
    assert "hukuman disiplin ringan" in detail


async def test_the_morning_reminder_and_the_card_flag_a_ppk_past_its_date(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    from bot.jobs.reminders import remind_zone
    from bot.services.regions import WIB

    code = await established_case(citizen, admin)
    await say(admin, f"/forward {code}", code)
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
        case.follow_up_due_at = utcnow() - timedelta(days=2)
        session.add(case)
        await session.commit()
    services = desk_app.services
    await remind_zone(WIB, services.desk, services.cases, services.offices, desk_app.i18n, "id")
    reminder = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: "pemblokiran" in text_of(m) and m["_kind"] == "message"
    )
    assert code in text_of(reminder) and "Wali Kota Bandung" in text_of(reminder)
    # The card was drawn again before the reminder went out (both queue for the group).
    flagged = [
        text_of(m)
        for m in telegram.sent_to(STAFF_CHAT)
        if m["_kind"] == "edit" and code in text_of(m) and "🚩" in text_of(m)
    ]
    assert flagged and "Wali Kota Bandung" in flagged[-1]


def test_the_ppk_response_may_be_typed_in_indonesian() -> None:
    from bot.services.follow_up import parse_response

    today = date(2026, 12, 8)
    imposed = parse_response("dijatuhkan Ringan 800/1/2026 01-12-2026", today)
    assert (imposed.kind, imposed.sanction, imposed.decree) == ("imposed", "light", "800/1/2026")
    assert parse_response("ditolak Tidak cukup bukti", today).kind == "declined"
