"""Staff triage through the real dispatcher: lifecycle, questions, roles, notifications."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import Application
from bot.services.dates import today_in_indonesia
from bot.services.images import process_image
from bot.services.regions import WIB
from bot.services.similar_images import hash_rows
from storage.models import Case, CaseEvent, CaseLink, Evidence, Outbox, Reporter
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import CODE, press, reply, say, submit, text_of
from tests.helpers.imagegen import (
    cropped_jpeg,
    pdf_with_javascript,
    plain_jpeg,
    resized_jpeg,
    scene_jpeg,
)
from tests.helpers.reports import (
    DESCRIPTION,
    REGIONAL,
    REPORTER_NAME,
    answer_identity,
    answer_reported_person,
    file_report,
    fill_report_until_evidence,
    start_report,
    summary_after_evidence,
)
from tests.helpers.staff import ADMIN, OFFICER, STAFF_CHAT, make_officer


async def test_case_lifecycle_with_question_and_answer(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    """The everyday path: taken for initial review, a question answered through the bot,
    registered, clarified, decided, closed; the reporter told at each step, by office. The
    procedure's other paths are tests/test_procedure.py."""
    await make_officer(admin)
    code = await file_report(citizen, photos=[plain_jpeg()], identified=True)

    card = await telegram.wait_output(STAFF_CHAT)
    assert code in text_of(card) and "Diterima" in text_of(card)
    assert "Bukti: 1" in text_of(card)
    assert "Batas waktu kajian awal" in text_of(card)

    staff_group_member = FakeUser(
        telegram, user_id=OFFICER, chat_id=STAFF_CHAT, first_name="Rahmat"
    )
    await staff_group_member.press(card, "Ambil")
    edited = await telegram.wait_output(STAFF_CHAT)
    assert "Kajian awal" in text_of(edited)
    assert "Rahmat" in text_of(edited) and str(OFFICER) not in text_of(edited), "by name"
    update = await reply(citizen, "Kajian awal")
    assert code in text_of(update) and "Bawaslu Kota Bandung" in text_of(update)

    await say(officer, f"/ask {code} Apakah Anda punya tangkapan layar unggahannya?", code)
    question = await reply(citizen, "tangkapan layar")
    assert "Bawaslu Kota Bandung" in text_of(question)
    prompt = await press(citizen, question, "Balas")
    assert code in text_of(prompt)
    await citizen.send_photo(plain_jpeg(color=(10, 200, 10)), caption="Ini tangkapan layarnya")
    await reply(citizen)
    relayed = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: "Ini tangkapan" in text_of(m)
    )
    assert str(citizen.user_id) not in text_of(relayed)

    registered = await say(officer, f"/setstatus {code} registered", code)
    assert "/LP/PB/Kota/32.73/" in text_of(registered), "a register number of the office"
    told = await reply(citizen, "Diregistrasi")
    assert "001/LP/PB/Kota/32.73/" in text_of(told) and "Batas waktu keputusan" in text_of(told)
    for status, label in (("examination", "Klarifikasi"), ("established", "Terbukti")):
        await say(officer, f"/setstatus {code} {status}", code)
        await reply(citizen, label)
    await say(officer, f"/setstatus {code} closed Terima kasih atas laporan Anda", code)
    closed = await reply(citizen, "Selesai")
    assert "Terima kasih atas laporan Anda" in text_of(closed)

    async with desk_app.sessions() as session:
        events = (await session.exec(select(CaseEvent).order_by(CaseEvent.id))).all()
    transitions = [(e.from_status, e.to_status) for e in events if e.action == "status"]
    assert transitions == [
        ("received", "initial_review"),
        ("initial_review", "registered"),
        ("registered", "examination"),
        ("examination", "established"),
        ("established", "closed"),
    ]
    assert {e.action for e in events} >= {"submitted", "assigned", "question", "answer"}


async def test_reporter_in_english_is_told_in_english(
    desk_app: Application, telegram: FakeTelegram, admin: FakeUser
) -> None:
    reporter = FakeUser(telegram, user_id=5_550_321, language_code="en")
    await reporter.send("/lapor")
    await reply(reporter)
    question = await reply(reporter, "Step 1/9")
    question = await press(reporter, question, "Anonymous", "Step 2/9")
    question = await press(reporter, question, "Civil servant", "Step 2/9")
    question = await say(reporter, "Budi Santoso", "Step 2/9")
    question = await press(reporter, question, "Skip", "Step 2/9")
    question = await press(reporter, question, "Skip", "Step 3/9")
    question = await say(reporter, "Dinas Sosial", "Step 3/9")
    question = await press(reporter, question, "Bali", "Step 3/9")
    question = await say(reporter, "Kota Denpasar", "Step 4/9")
    question = await press(reporter, question, "Governor election", "Step 4/9")
    question = await press(reporter, question, "Other", "Step 5/9")
    question = await press(reporter, question, "Today", "Step 5/9")
    question = await press(reporter, question, "The day it happened", "Step 6/9")
    question = await say(reporter, "Denpasar", "Step 7/9")
    question = await say(reporter, "He handed out campaign shirts at the office.", "Step 8/9")
    question = await press(reporter, question, "Skip", "Step 9/9")
    warning = await press(reporter, question, "Done")
    summary = await press(reporter, warning, "Continue without evidence", "Summary")
    code = CODE.search(text_of(await press(reporter, summary, "Submit report"))).group(0)
    await say(admin, f"/setstatus {code} not_registered late Dilaporkan terlambat", code)
    update = await reply(reporter, "Not registered")
    assert "New status" in text_of(update)
    assert "more than 7 days after" in text_of(update), "the reason, in English"
    assert "Bawaslu Provinsi Bali" in text_of(update), "a governor's election: the province"


async def test_forbidden_transition_lists_the_allowed_ones(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen)
    refusal = await say(admin, f"/setstatus {code} established")
    assert "initial_review" in text_of(refusal) and "not_registered" in text_of(refusal)
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert case.status == "received"


STAFF_COMMANDS = (
    "/inbox",
    "/case {code}",
    "/setstatus {code} not_registered formal",
    "/note {code} x",
    "/ask {code} x",
    "/assign {code} me",
    "/find Budi",
    "/stats",
    "/export",
    "/staff list",
    "/overdue",
    "/recommend {code} PPK",
    "/followup {code} none",
)


async def test_non_staff_cannot_use_any_staff_command_or_button(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen)
    card = await telegram.wait_output(STAFF_CHAT)
    unknown = text_of(await say(citizen, "/tidakada"))
    for command in STAFF_COMMANDS:
        answer = await say(citizen, command.format(code=code))
        assert text_of(answer) == unknown, command
    # A non-staff member of the staff group pressing a desk button.
    intruder = FakeUser(telegram, user_id=5_550_002, chat_id=STAFF_CHAT)

    def answers() -> list:
        return [c for c in telegram.calls if c.method == "answercallbackquery"]

    before = len(answers())
    await intruder.press(card, "Ambil")
    await intruder.press_data(card, "dk:take:" + code + ":")
    await intruder.press_data(card, "dk:reason:" + code + ":formal")
    for _ in range(100):  # each press is answered
        if len(answers()) == before + 3:
            break
        await asyncio.sleep(0.05)
    refusals = answers()[before:]
    assert len(refusals) == 3
    assert all("tidak aktif" in call.params.get("text", "") for call in refusals)
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
        events = (await session.exec(select(CaseEvent))).all()
    assert (case.status, case.assignee_id) == ("received", None)
    assert [e.action for e in events] == ["submitted"]


async def test_take_on_a_card_does_not_take_a_colleagues_case(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    """A card still offers Take once someone handles the case: pressing it says another
    officer has it (and how to take it over on purpose) instead of silently taking it."""
    await make_officer(admin)
    code = await file_report(citizen)
    await telegram.wait_output(STAFF_CHAT, predicate=lambda m: code in text_of(m))
    await say(officer, f"/assign {code} me", code)
    card = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: m["_kind"] == "edit" and code in text_of(m)
    )
    admin_in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)

    def answers() -> list:
        return [c for c in telegram.calls if c.method == "answercallbackquery"]

    before = len(answers())
    await admin_in_group.press(card, "Ambil")
    for _ in range(100):
        if len(answers()) > before:
            break
        await asyncio.sleep(0.05)
    alert = answers()[before].params.get("text", "")
    assert "sudah ditangani petugas lain" in alert and "/assign" in alert, alert
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert case.assignee_id == OFFICER
    # The officer it was assigned to takes it from the same card: its review starts.
    await FakeUser(telegram, user_id=OFFICER, chat_id=STAFF_CHAT).press(card, "Ambil")
    await reply(citizen, "Kajian awal")
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert (case.status, case.assignee_id) == ("initial_review", OFFICER)


async def test_an_answer_typed_without_pressing_reply_is_not_lost_silently(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    """A reporter who answers the office's question by just typing is told that it went
    nowhere and given the button; once answered, a stray message gets the usual help."""
    await make_officer(admin)
    code = await file_report(citizen)
    await say(officer, f"/ask {code} Jam berapa kejadiannya?", code)
    await reply(citizen, "Jam berapa")
    pointer = await say(citizen, "Jam 9 pagi pak")
    assert "tidak terkirim" in text_of(pointer) and code in text_of(pointer), text_of(pointer)
    prompt = await press(citizen, pointer, f"Jawab tentang {code}")
    assert code in text_of(prompt)
    received = await say(citizen, "Jam 9 pagi pak", "Selesai")
    await telegram.wait_output(STAFF_CHAT, predicate=lambda m: "Jam 9 pagi" in text_of(m))
    await press(citizen, received, "Selesai")
    await citizen.quiet()
    assert "/lapor" in text_of(await say(citizen, "halo")), "nothing is waited for any more"


async def test_the_reasons_for_not_registering_can_be_dismissed(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """A reason is final and told to the reporter at once: the list of reasons says so and
    can be put away without choosing one."""
    code = await file_report(citizen)
    card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: code in text_of(m))
    admin_in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    await admin_in_group.press(card, "Tidak diregistrasi")
    reasons = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: "tidak diregistrasi?" in text_of(m)
    )
    assert "keputusan akhir" in text_of(reasons)
    await admin_in_group.press(reasons, "Batal")
    for _ in range(100):
        if any(call.method == "deletemessage" for call in telegram.calls):
            break
        await asyncio.sleep(0.05)
    assert any(call.method == "deletemessage" for call in telegram.calls), "put away"
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert case.status == "received"
    await citizen.quiet()


async def test_a_report_filed_past_its_seven_days_is_flagged_on_its_card(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """The reporter is warned in their summary; the officer deciding registration sees it
    on the card (a report on time carries no such line)."""
    question = await answer_identity(citizen, await start_report(citizen))
    question = await answer_reported_person(citizen, question)
    question = await say(citizen, "Dinas Pendidikan Kota Bandung", "Langkah 3/9")
    question = await press(citizen, question, "Jawa Barat", "Langkah 3/9")
    question = await say(citizen, "Kota Bandung", "Langkah 4/9")
    question = await press(citizen, question, REGIONAL, "Langkah 4/9")
    question = await press(citizen, question, "media sosial", "Langkah 5/9")
    twenty_days_ago = today_in_indonesia() - timedelta(days=20)
    question = await say(citizen, twenty_days_ago.strftime("%d-%m-%Y"), "Langkah 5/9")
    await press(citizen, question, "Pada hari kejadian", "lebih dari 7 hari")  # told
    await reply(citizen, "Langkah 6/9")
    question = await say(citizen, "Kantor dinas", "Langkah 7/9")
    question = await say(citizen, DESCRIPTION, "Langkah 8/9")
    question = await press(citizen, question, "Lewati", "Langkah 9/9")
    _confirmation, late = await submit(citizen, await summary_after_evidence(citizen, question))
    card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: late in text_of(m))
    assert "⚠️ Dilaporkan 20 hari setelah diketahui" in text_of(card), text_of(card)
    on_time = await file_report(citizen)
    card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: on_time in text_of(m))
    assert "setelah diketahui" not in text_of(card)


async def test_review_on_a_card_sends_the_case_and_its_evidence_privately(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    """Reviewing from the card shows what /case shows, pictures included, in the officer's
    private chat, and nothing of it in the group; never the reporter's identity."""
    await make_officer(admin)
    code = await file_report(citizen, photos=[plain_jpeg()], identified=True)
    card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: code in text_of(m))
    in_group = FakeUser(telegram, user_id=OFFICER, chat_id=STAFF_CHAT)
    in_group_before = len(telegram.sent_to(STAFF_CHAT))
    await in_group.press(card, "Telaah")
    detail = await reply(officer, code)
    assert "Budi Santoso" in text_of(detail)
    assert REPORTER_NAME not in text_of(detail), "identity is for admins, privately"
    photo = await reply(officer)
    assert photo.get("photo") and photo.get("caption") == f"{code} · bersama laporan"
    assert len(telegram.sent_to(STAFF_CHAT)) == in_group_before, "nothing in the group"


async def test_forged_callback_data_from_staff_is_rejected(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen)
    card = await telegram.wait_output(STAFF_CHAT)
    admin_in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    await admin_in_group.press_data(card, "dk:reason:" + code + ":because")
    await admin_in_group.press_data(card, "dk:take:ASN-ZZZZ-ZZZZ:")
    await admin_in_group.press_data(card, "garbage")
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert case.status == "received" and case.assignee_id is None


async def test_officer_does_not_see_identity_but_admin_does(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    await make_officer(admin)
    code = await file_report(citizen, identified=True)

    officer_view = text_of(await say(officer, f"/case {code}", code))
    assert "Sari Wulandari" not in officer_view and "6281234567890" not in officer_view
    admin_view = text_of(await say(admin, f"/case {code}", code))
    assert "Sari Wulandari" in admin_view and "+6281234567890" in admin_view
    for view in (officer_view, admin_view):
        assert str(citizen.user_id) not in view


async def test_removed_staff_lose_access_at_once(
    desk_app: Application, citizen: FakeUser, admin: FakeUser, officer: FakeUser
) -> None:
    await make_officer(admin)
    assert "Tidak ada kasus" in text_of(await say(officer, "/inbox"))
    await say(admin, f"/staff remove {OFFICER}", str(OFFICER))
    refused = text_of(await say(officer, "/inbox"))
    assert refused == text_of(await say(officer, "/tidakada"))


async def test_inbox_find_assign_note_and_case_history(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    await make_officer(admin)
    code = await file_report(citizen, photos=[plain_jpeg()])
    inbox = text_of(await say(officer, "/inbox", code))
    assert "Budi Santoso" in inbox
    assert code in text_of(await say(officer, "/find budi santos", code))
    assert code in text_of(await say(officer, "/find pendidikan bandung", code))
    assigned = await say(officer, f"/assign {code} me", code)
    assert "Petugas" in text_of(assigned), "staff are named, not numbered"
    assert code in text_of(await say(officer, "/inbox mine", code))
    await say(officer, f"/note {code} Sudah dicek ke dinas, unggahan masih ada", code)
    await officer.send(f"/case {code}")
    detail = text_of(await reply(officer, code))
    assert "catatan internal" in detail.lower() and "Sudah dicek" in detail
    photo = await reply(officer)
    assert photo.get("photo"), "evidence is sent as media"
    assert photo.get("caption") == f"{code} · bersama laporan", "its source in words"
    # The reporter never hears of internal notes.
    await citizen.quiet()


@pytest.mark.parametrize(
    "copy",
    [
        lambda photo: photo,
        lambda photo: resized_jpeg(photo, 0.5, quality=40),  # forwarded, recompressed
        lambda photo: resized_jpeg(cropped_jpeg(photo, 0.05), 0.7),  # cropped, then resized
    ],
    ids=["same file", "resized", "cropped"],
)
async def test_cases_with_copies_of_one_photo_are_flagged_on_both_cards(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    copy: Callable[[bytes], bytes],
) -> None:
    photo = scene_jpeg(seed=7)
    first = await file_report(citizen, photos=[photo], asn_name="Budi Santoso")
    await telegram.wait_output(STAFF_CHAT)
    other_citizen = FakeUser(telegram, user_id=5_550_404, language_code="id")
    # Another civil servant at another agency: only the picture links them.
    second = await file_report(
        other_citizen, photos=[copy(photo)], asn_name="Sri Rahayu", agency="Dinas Sosial"
    )
    second_card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: second in text_of(m))
    assert first in text_of(second_card)
    first_card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: first in text_of(m))
    assert second in text_of(first_card)


async def test_a_different_photo_links_nothing(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    first = await file_report(citizen, photos=[scene_jpeg(seed=7)])
    await telegram.wait_output(STAFF_CHAT)
    other_citizen = FakeUser(telegram, user_id=5_550_404, language_code="id")
    second = await file_report(
        other_citizen, photos=[scene_jpeg(seed=8)], asn_name="Sri Rahayu", agency="Dinas Sosial"
    )
    second_card = await telegram.wait_output(STAFF_CHAT, predicate=lambda m: second in text_of(m))
    assert first not in text_of(second_card)
    async with desk_app.sessions() as session:
        assert (await session.exec(select(CaseLink))).all() == []


async def test_a_photo_many_reported_links_the_newest_cases_and_keeps_the_card_short(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    # 30 earlier cases carry the photo this citizen is about to send (a picture that went
    # round): the new case links to the newest 20, its card names 10 and counts the rest.
    photo_hashes = process_image(plain_jpeg()).look_alike
    earlier = 30
    async with desk_app.sessions() as session:
        for number in range(earlier):
            reporter = Reporter(chat_id=5_560_000 + number, identity="anonymous")
            session.add(reporter)
            await session.flush()
            case = Case(
                code=f"ASN-OLD{number:02d}-XXXX",
                category="social_media",
                asn_name=f"Pegawai Lain {number}",
                agency=f"Dinas Lain {number}",
                agency_key=f"dinas lain {number}",
                province="Aceh",
                incident_date=date(2024, 3, 1),
                description="Poster yang sama",
                reporter_id=reporter.id,  # type: ignore[arg-type]
            )
            session.add(case)
            await session.flush()
            session.add(
                Evidence(
                    case_id=case.id,  # type: ignore[arg-type]
                    kind="image",
                    mime="image/jpeg",
                    storage_key=f"old/{number}.jpg",
                    sha256=f"{number:064d}",
                    original_sha256=f"{number:064d}",
                    phash=photo_hashes[0],
                    size=1,
                )
            )
            session.add_all(hash_rows(case.id, photo_hashes))  # type: ignore[arg-type]
        await session.commit()

    code = await file_report(citizen, photos=[plain_jpeg()])
    card = text_of(await telegram.wait_output(STAFF_CHAT, predicate=lambda m: code in text_of(m)))
    named = re.findall(r"ASN-OLD(\d\d)", card)
    assert sorted(named) == [f"{number:02d}" for number in range(20, 30)], "the newest ten"
    assert "dan 10 lainnya" in card
    async with desk_app.sessions() as session:
        links = (await session.exec(select(CaseLink))).all()
    assert len(links) == 20


async def test_follow_up_of_an_established_case_and_overdue(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen, identified=True)
    for status in ("initial_review", "registered", "examination", "established"):
        await say(admin, f"/setstatus {code} {status}", code)
    today = datetime.now(WIB).strftime("%d-%m-%Y")
    refused = text_of(await say(admin, f"/followup {code} imposed moral 12/2026 {today}"))
    assert "/forward" in refused
    await say(admin, f"/forward {code} Badan Kepegawaian Negara", code)
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
        case.follow_up_due_at = case.created_at  # make it overdue
        session.add(case)
        await session.commit()
    overdue = text_of(await say(admin, "/overdue"))
    assert code in overdue
    await say(admin, f"/followup {code} imposed moral 12/2026 {today}", code)
    assert code not in text_of(await say(admin, "/overdue"))
    stats = text_of(await say(admin, "/stats"))
    assert "Tingkat tindak lanjut: 100% (sanksi dijatuhkan 1 dari 1" in stats, stats
    await admin.next()  # the chart
    # Closing does not undo the decision: still counted as established and followed up.
    await say(admin, f"/setstatus {code} closed", code)
    stats = text_of(await say(admin, "/stats"))
    assert "Pelanggaran terbukti: 1" in stats and "Tingkat tindak lanjut: 100%" in stats, stats


async def test_blocked_reporter_is_shown_on_the_case(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen)
    telegram.blocked_chats.add(citizen.user_id)
    await say(admin, f"/setstatus {code} initial_review", code)
    for _ in range(50):
        async with desk_app.sessions() as session:
            rows = (await session.exec(select(Outbox))).all()
        if rows and all(row.status == "failed" for row in rows):
            break
        await asyncio.sleep(0.1)
    detail = text_of(await say(admin, f"/case {code}", code))
    assert "blokir" in detail.lower() or "tidak dapat dikirim" in detail.lower()


async def test_inbox_pages_with_buttons(desk_app: Application, admin: FakeUser) -> None:
    from datetime import date

    from bot.services.intake import ReportDraft

    intake = desk_app.services.intake
    for number in range(12):
        draft = ReportDraft(
            identity="anonymous",
            asn_name=f"Pegawai {number:02d}",
            agency="Dinas Sosial",
            province="Bali",
            category="other",
            incident_date=date(2026, 11, 1),
            description="Membagikan sembako bergambar calon kepada warga.",
            place="Denpasar",
        )
        await intake.submit(draft, code=intake.new_code(), chat_id=7_000 + number, locale="id")
    first_page = await say(admin, "/inbox", "1–10")
    assert "Pegawai 00" in text_of(first_page) and "Pegawai 10" not in text_of(first_page)
    await admin.press(first_page, "Berikutnya")
    second_page = await admin.next()
    assert second_page["_kind"] == "edit"
    assert "11–12" in text_of(second_page) and "Pegawai 11" in text_of(second_page)


async def test_inbox_of_many_cases_counts_only_past_the_page(
    desk_app: Application, admin: FakeUser
) -> None:
    """With more than a thousand open cases the heading says "more than" instead of
    counting them all, and paging goes on."""
    from sqlalchemy import insert

    from bot.services.case_queries import INBOX_COUNT_LIMIT
    from storage.models import Case, Reporter, utcnow

    async with desk_app.sessions() as session, session.begin():
        reporter = Reporter(chat_id=7_100, identity="anonymous", locale="id")
        session.add(reporter)
        await session.flush()
        now = utcnow()
        await (await session.connection()).execute(
            insert(Case),
            [
                {
                    "code": f"ASN-{number:04d}-TEST",
                    "status": "received",
                    "category": "other",
                    "asn_name": f"Pegawai {number:04d}",
                    "agency": "Dinas Sosial",
                    "agency_key": "dinas sosial",
                    "province": "Bali",
                    "incident_date": now.date(),
                    "description": "Membagikan sembako bergambar calon.",
                    "reporter_id": reporter.id,
                    "created_at": now,
                    "status_changed_at": now,
                }
                for number in range(INBOX_COUNT_LIMIT + 15)
            ],
        )
    first_page = await say(admin, "/inbox", "1–10")
    assert f"dari lebih dari {INBOX_COUNT_LIMIT}," in text_of(first_page)
    await admin.press(first_page, "Berikutnya")
    second_page = await admin.next()
    assert f"11–20 dari lebih dari {INBOX_COUNT_LIMIT + 10}," in text_of(second_page)
    assert "Tidak ada kasus" in text_of(await say(admin, "/inbox forwarded"))


def test_daily_reminder_is_due_at_the_configured_hour_in_wib() -> None:
    from datetime import UTC, datetime

    from bot.jobs.schedule import seconds_until_next

    # 00:30 UTC is 07:30 WIB: half an hour until 08:00 WIB.
    assert seconds_until_next(8, datetime(2026, 11, 22, 0, 30, tzinfo=UTC)) == 1800
    # 01:00 UTC is 08:00 WIB exactly: the next one is a day away.
    assert seconds_until_next(8, datetime(2026, 11, 22, 1, 0, tzinfo=UTC)) == 86_400


async def test_staff_commands_are_ignored_in_other_groups(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen)
    admin_in_other_group = FakeUser(telegram, user_id=ADMIN, chat_id=-1_009_999)
    await admin_in_other_group.send(f"/case {code}")
    await admin_in_other_group.send("/export")
    await admin_in_other_group.quiet(1.0)


@pytest.mark.parametrize(
    "command",
    [
        "/case",
        "/case ' OR 1=1 --",
        "/case {code}{code}{code}",
        "/setstatus",
        "/setstatus {code}",
        "/setstatus {code} dibakar",
        "/setstatus ASN-0000-0000 closed",
        "/note {code}",
        "/note {code} \x00\u202e\u200b",
        "/ask {code}",
        "/assign {code} seseorang",
        "/assign {code} -1",
        "/assign",
        "/find",
        "/find " + "x" * 4000,
        "/inbox ke_bulan",
        "/overdue sekarang",
        "/stats minggu_lalu",
        "/staff tambah 5",
        "/staff add bukan_angka",
        "/staff remove 99999999999999999999999",
        "/export pdf",
        "/recommend {code}",
        "/recommend {code} Bupati",
        "/followup {code} dipecat",
    ],
)
async def test_staff_commands_with_junk_arguments_get_a_clear_answer(
    desk_app: Application, citizen: FakeUser, admin: FakeUser, command: str
) -> None:
    code = await file_report(citizen)
    answer = text_of(await say(admin, command.format(code=code)))
    assert answer and "terjadi gangguan" not in answer, answer
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert case.status == "received", "junk moved nothing"


async def test_control_characters_in_staff_text_are_dropped(
    desk_app: Application, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen)
    await say(admin, f"/note {code} dicek\x00 ke\u202e dinas", code)
    async with desk_app.sessions() as session:
        events = (await session.exec(select(CaseEvent).where(CaseEvent.action == "note"))).all()
    assert [event.detail for event in events] == ["dicek ke dinas"]


async def test_a_pdf_reaches_staff_as_the_file_stored(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    await fill_report_until_evidence(citizen)
    await citizen.send_document(pdf_with_javascript(), "bukti.pdf", "application/pdf")
    received = await reply(citizen, "1")
    summary = await press(citizen, received, "Selesai", "Ringkasan")
    _confirmation, code = await submit(citizen, summary)
    await admin.send(f"/case {code}")
    await reply(admin, code)
    attachment = await telegram.wait_output(ADMIN, predicate=lambda output: "_upload" in output)
    assert "document" in attachment, "a file to download, never rendered as a picture"
    async with desk_app.sessions() as session:
        evidence = (await session.exec(select(Evidence))).one()
    stored = (desk_app.settings.evidence_dir / evidence.storage_key).read_bytes()
    assert attachment["_upload"] == stored, "the cleaned copy, the only one kept"
