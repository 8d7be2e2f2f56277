"""A citizen files reports through the real dispatcher and a fake Telegram over HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from io import BytesIO

from PIL import Image
from sqlmodel import select

from bot.app import Application
from bot.services.dates import today_in_indonesia
from storage.models import Case, CaseEvent, Evidence, Reporter
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import CODE, closed_buttons, conversation, press, reply, say, text_of
from tests.helpers.imagegen import jpeg_with_exif_gps, plain_jpeg
from tests.helpers.reports import (
    answer_reported_person,
    fill_report_until_evidence,
    start_report,
)


async def rows(application: Application, model: type) -> list:
    async with application.sessions() as session:
        return list((await session.exec(select(model))).all())


async def test_full_anonymous_report_with_an_album_of_two_photos(
    app: Application, citizen: FakeUser
) -> None:
    welcome = await say(citizen, "/start", "Lapor Netral")
    assert "anonim" in text_of(welcome).lower()  # the privacy statement
    evidence_question = await fill_report_until_evidence(citizen)
    assert "20 MB" in text_of(evidence_question)

    await citizen.send_photo(plain_jpeg(color=(200, 30, 30)), media_group_id="album-1")
    await citizen.send_photo(plain_jpeg(color=(30, 30, 200)), media_group_id="album-1")
    first = await reply(citizen, "1")
    second = await reply(citizen, "2")
    summary = await press(citizen, second, "Selesai", "Ringkasan")
    body = text_of(summary)
    for expected in (
        "Anonim",
        "Budi Santoso",
        "Dinas Pendidikan Kota Bandung",
        "Jawa Barat",
        "instagram.com/p/Cx1Example",
        "2 file",
    ):
        assert expected in body, expected
    del first

    confirmation = await press(citizen, summary, "Kirim laporan")
    code = CODE.search(text_of(confirmation))
    assert code, text_of(confirmation)

    cases = await rows(app, Case)
    assert [case.code for case in cases] == [code.group(0)]
    case = cases[0]
    assert (case.status, case.category, case.province) == ("received", "social_media", "Jawa Barat")
    assert case.place_url == "https://www.instagram.com/p/Cx1Example/"
    evidence = await rows(app, Evidence)
    assert len(evidence) == 2 and {item.case_id for item in evidence} == {case.id}
    for item in evidence:
        assert (app.settings.evidence_dir / item.storage_key).is_file()
    reporter = (await rows(app, Reporter))[0]
    assert (reporter.identity, reporter.name, reporter.phone) == ("anonymous", None, None)
    assert reporter.chat_id == citizen.user_id
    events = await rows(app, CaseEvent)
    assert [(e.action, e.to_status) for e in events] == [("submitted", "received")]
    await closed_buttons(citizen)  # the handler has finished: the draft is dropped before
    assert await conversation(app, citizen) == (None, {}), "the finished draft is gone"

    status = await say(citizen, f"/status {code.group(0).lower()}", "Diterima")
    assert "Budi" not in text_of(status), "a status look-up shows nothing about the case"


async def test_identified_report_with_shared_contact(app: Application, citizen: FakeUser) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Dengan identitas", "Langkah 1/9")
    address_question = await say(citizen, "Sari Wulandari", "alamat")
    assert "Langkah 1/9" in text_of(address_question)
    refusal = await say(citizen, "Garut")  # not an address a letter could reach
    assert "10" in text_of(refusal)
    phone_question = await say(citizen, "Jl. Cimanuk No. 7, Tarogong, Garut", "Langkah 1/9")
    assert "📱 Bagikan nomor saya" in citizen.reply_keyboard_buttons(phone_question)
    await citizen.send_contact("+62 812-3456-7890")
    await reply(citizen)  # number saved, keyboard removed
    question = await reply(citizen, "Langkah 2/9")
    await _answer_remaining_steps(citizen, question)

    reporter = (await rows(app, Reporter))[0]
    assert (reporter.identity, reporter.name, reporter.address, reporter.phone) == (
        "identified",
        "Sari Wulandari",
        "Jl. Cimanuk No. 7, Tarogong, Garut",
        "+6281234567890",
    )
    case = (await rows(app, Case))[0]
    assert (case.party_kind, case.election, case.asn_nip) == ("asn", "regent", "198503122010011002")
    assert case.date_known == today_in_indonesia() - timedelta(days=1)


async def test_the_phone_number_may_be_skipped(app: Application, citizen: FakeUser) -> None:
    """Name and address are the formal requirements; a phone number is the reporter's
    choice."""
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    await press(citizen, question, "Dengan identitas", "Langkah 1/9")
    await say(citizen, "Sari Wulandari", "alamat")
    phone_question = await say(citizen, "Jl. Cimanuk No. 7, Tarogong, Garut", "Langkah 1/9")
    assert "Lewati ➡️" in citizen.reply_keyboard_buttons(phone_question)
    await say(citizen, "Lewati ➡️", "tanpa nomor")
    question = await reply(citizen, "Langkah 2/9")
    await _answer_remaining_steps(citizen, question)
    reporter = (await rows(app, Reporter))[0]
    assert (reporter.name, reporter.address, reporter.phone) == (
        "Sari Wulandari",
        "Jl. Cimanuk No. 7, Tarogong, Garut",
        None,
    )


async def _answer_remaining_steps(citizen: FakeUser, question: dict) -> dict:
    """From who is reported to submission, without evidence."""
    question = await press(citizen, question, "ASN", "Langkah 2/9")
    question = await say(citizen, "Rina Marlina", "Langkah 2/9")
    question = await say(citizen, "Kepala Sekolah", "Langkah 2/9")
    question = await say(citizen, "198503122010011002", "Langkah 3/9")
    question = await say(citizen, "SMPN 3 Garut", "Langkah 3/9")
    question = await press(citizen, question, "Jawa Barat", "Langkah 3/9")
    # Its examples are the province's own, not another's.
    assert "misalnya: Kabupaten Bogor, Kota Bogor" in text_of(question), text_of(question)
    question = await say(citizen, "Kota Bandung", "Langkah 4/9")
    question = await press(citizen, question, "Pemilihan Bupati", "Langkah 4/9")
    question = await press(citizen, question, "Menghadiri", "Langkah 5/9")
    # Written the right way, but no such day: said so, not "use the format".
    await say(citizen, "31-02-2026", "tidak ada di kalender")
    two_days_ago = today_in_indonesia() - timedelta(days=2)
    question = await say(citizen, two_days_ago.strftime("%d-%m-%Y"), "Langkah 5/9")
    question = await press(citizen, question, "Kemarin", "Langkah 6/9")
    question = await say(citizen, "Lapangan desa Sukamaju", "Langkah 7/9")
    question = await say(
        citizen, "Ibu Rina hadir dan berpidato di acara deklarasi pasangan calon.", "Langkah 8/9"
    )
    question = await say(citizen, "Pak Dadang, warga RT 02", "Langkah 9/9")
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    return await press(citizen, summary, "Kirim laporan", "ASN-")


async def test_someone_elses_contact_is_refused(app: Application, citizen: FakeUser) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Dengan identitas")
    await say(citizen, "Sari Wulandari", "alamat")
    await say(citizen, "Jl. Cimanuk No. 7, Tarogong, Garut", "Langkah 1/9")
    await citizen.send_contact("+6281111111111", user_id=42)
    refusal = await reply(citizen)
    assert "sendiri" in text_of(refusal)


async def test_back_and_edit(app: Application, citizen: FakeUser) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    question = await press(citizen, question, "Kembali", "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")

    evidence_question = await fill_report_until_evidence_from_name(citizen, question)
    warning = await press(citizen, evidence_question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    question = await press(citizen, summary, "✏️ Instansi", "Langkah 3/9")
    summary = await say(citizen, "Kecamatan Cibiru", "Ringkasan")
    assert "Kecamatan Cibiru" in text_of(summary)
    assert "Dinas Pendidikan" not in text_of(summary)
    # Back from an edit returns to the summary with nothing changed.
    question = await press(citizen, summary, "✏️ Tanggal diketahui", "Langkah 5/9")
    summary = await press(citizen, question, "Kembali", "Ringkasan")
    await press(citizen, summary, "Kirim laporan", "ASN-")
    case = (await rows(app, Case))[0]
    assert case.agency == "Kecamatan Cibiru"


async def fill_report_until_evidence_from_name(citizen: FakeUser, question: dict) -> dict:
    question = await answer_reported_person(citizen, question)
    question = await say(citizen, "Dinas Pendidikan Kota Bandung", "Langkah 3/9")
    question = await press(citizen, question, "Jawa Barat", "Langkah 3/9")
    question = await say(citizen, "Kota Bandung", "Langkah 4/9")
    question = await press(citizen, question, "Pemilihan Bupati", "Langkah 4/9")
    question = await press(citizen, question, "media sosial", "Langkah 5/9")
    question = await press(citizen, question, "Hari ini", "Langkah 5/9")
    question = await press(citizen, question, "Pada hari kejadian", "Langkah 6/9")
    question = await say(citizen, "Balai Desa Sukamaju", "Langkah 7/9")
    question = await say(
        citizen, "Pak Budi membagikan kaos bergambar calon kepada warga desa.", "Langkah 8/9"
    )
    return await press(citizen, question, "Lewati", "Langkah 9/9")


async def test_cancel_forgets_the_draft(app: Application, citizen: FakeUser) -> None:
    await fill_report_until_evidence(citizen)
    cancelled = await say(citizen, "/batal")
    assert "/lapor" in text_of(cancelled)
    assert await conversation(app, citizen) == (None, {})
    await say(citizen, "/lapor")
    await reply(citizen, "Langkah 1/9")
    assert await rows(app, Case) == []


async def test_status_with_valid_malformed_and_unknown_codes(
    app: Application, citizen: FakeUser
) -> None:
    evidence_question = await fill_report_until_evidence(citizen)
    warning = await press(citizen, evidence_question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    code = CODE.search(text_of(await press(citizen, summary, "Kirim laporan"))).group(0)

    stranger = FakeUser(citizen.server, user_id=5_550_999, language_code="id")
    spaced = code.replace("-", " ").lower().replace("0", "o")
    found = await say(stranger, f"/status {spaced}", "Diterima")
    assert code in text_of(found)
    malformed = await say(stranger, "/status 12345")
    assert "tidak valid" in text_of(malformed)
    unknown = await say(stranger, "/status ASN-0000-0000")
    assert "Tidak ada laporan" in text_of(unknown)
    mine = await say(citizen, "/laporan", code)
    status = await press(citizen, mine, code, "Diterima")
    assert code in text_of(status)
    assert "belum pernah" in text_of(await say(stranger, "/laporan"))


async def test_stored_photo_has_no_gps_or_exif(app: Application, citizen: FakeUser) -> None:
    await fill_report_until_evidence(citizen)
    original = jpeg_with_exif_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(0x8825), "the fixture carries GPS"
    await citizen.send_photo(original)
    await reply(citizen, "1")
    _state, draft = await conversation(app, citizen)
    stored_key = draft["evidence"][0]["storage_key"]
    stored = (app.settings.evidence_dir / stored_key).read_bytes()
    image = Image.open(BytesIO(stored))
    assert not image.getexif(), "no EXIF at all in the stored copy"
    assert b"GPS" not in stored
    assert draft["evidence"][0]["captured_at"] == "2026-11-20T09:15:00"


async def test_non_image_disguised_as_jpg_is_refused_and_flow_stays(
    app: Application, citizen: FakeUser
) -> None:
    await fill_report_until_evidence(citizen)
    await citizen.send_document(b"#!/bin/sh\necho pwned\n" * 50, "bukti.jpg", "image/jpeg")
    refusal = await reply(citizen)
    assert "tidak diterima" in text_of(refusal)
    await citizen.send_photo(plain_jpeg())
    await reply(citizen, "1")


async def test_decompression_bomb_is_refused(app: Application, citizen: FakeUser) -> None:
    from tests.helpers.imagegen import png_bomb

    await fill_report_until_evidence(citizen)
    await citizen.send_document(png_bomb(), "foto.png", "image/png")
    refusal = await reply(citizen)
    assert "terlalu besar" in text_of(refusal)
    assert (await conversation(app, citizen))[1].get("evidence", []) == []


async def test_file_over_20_mb_is_refused_before_download(
    app: Application, citizen: FakeUser, telegram: FakeTelegram
) -> None:
    await fill_report_until_evidence(citizen)
    await citizen.send_document(
        b"%PDF-1.4 tiny", "besar.pdf", "application/pdf", declared_size=25 * 1024 * 1024
    )
    refusal = await reply(citizen, "20 MB")
    assert text_of(refusal)
    assert not [call for call in telegram.calls if call.method.lower() == "getfile"]


async def test_text_over_the_limit_is_refused_with_the_numbers(
    app: Application, citizen: FakeUser
) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    await press(citizen, question, "ASN", "Langkah 2/9")
    refusal = await say(citizen, "B" * 201)
    assert "201" in text_of(refusal) and "200" in text_of(refusal)
    await say(citizen, "Budi", "Langkah 2/9")  # still at the name step, and it goes on


async def test_sticker_at_a_text_step_repeats_the_question(
    app: Application, citizen: FakeUser
) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    await citizen.send_sticker()  # at a button step
    hint = await reply(citizen)
    assert "tombol" in text_of(hint)
    question = await reply(citizen, "Langkah 2/9")
    await press(citizen, question, "ASN", "Langkah 2/9")
    await citizen.send_sticker()  # at a text step
    hint = await reply(citizen)
    assert "teks" in text_of(hint)
    await reply(citizen, "Langkah 2/9")


async def test_future_and_late_dates(app: Application, citizen: FakeUser) -> None:
    """The 7 days to report count from the day the reporter found out (Perbawaslu 7/2022
    Pasal 8(3)), not from the day it happened."""
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    question = await answer_reported_person(citizen, question)
    question = await say(citizen, "Dinas Sosial", "Langkah 3/9")
    question = await press(citizen, question, "Bali", "Langkah 3/9")
    question = await say(citizen, "Kota Denpasar", "Langkah 4/9")
    question = await press(citizen, question, "Pemilihan Gubernur", "Langkah 4/9")
    question = await press(citizen, question, "Lainnya", "Langkah 5/9")
    refusal = await say(citizen, "01-01-2099")
    assert "belum terjadi" in text_of(refusal)
    # Long ago, but found out yesterday: in time, no warning.
    question = await say(citizen, "01-01-2026", "Kapan Anda mengetahui")
    before = await say(citizen, "31-12-2025")
    assert "sebelum kejadian" in text_of(before)
    question = await reply(citizen, "Langkah 5/9")
    place_question = await press(citizen, question, "Kemarin", "Langkah 6/9")
    await press(citizen, place_question, "Kembali", "Kapan Anda mengetahui")
    # Found out three weeks ago: out of time, told so, and still accepted.
    three_weeks_ago = today_in_indonesia() - timedelta(days=21)
    warning = await say(citizen, three_weeks_ago.strftime("%d-%m-%Y"))
    assert "7 hari" in text_of(warning)
    await reply(citizen, "Langkah 6/9")
    _state, draft = await conversation(app, citizen)
    assert draft["date_known"] == three_weeks_ago.isoformat()
    assert draft["incident_date"] == "2026-01-01"


async def test_similar_agency_is_suggested(app: Application, citizen: FakeUser) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    await answer_reported_person(citizen, question, asn_name="Siti Aminah")
    suggestion = await say(citizen, "dinas pendidkan provinsi jawa barat")
    await press(citizen, suggestion, "Dinas Pendidikan Provinsi Jawa Barat", "Langkah 3/9")
    assert (await conversation(app, citizen))[1]["agency"] == "Dinas Pendidikan Provinsi Jawa Barat"


async def test_idle_conversation_expires_with_a_message(
    settings_factory,
    citizen: FakeUser,  # type: ignore[no-untyped-def]
) -> None:
    from tests.helpers.bot import running_bot

    settings = settings_factory(conversation_timeout_seconds=1, conversation_sweep_seconds=0.3)
    async with running_bot(settings) as application:
        await citizen.send("/lapor")
        await reply(citizen)
        await reply(citizen, "Langkah 1/9")
        await asyncio.sleep(1.2)
        # The idle time configured, not a fixed "24 hours".
        expired = await reply(citizen, "1 menit")
        assert "/lapor" in text_of(expired)
        assert await conversation(application, citizen) == (None, {})


async def test_language_switch_to_english(app: Application, citizen: FakeUser) -> None:
    choice = await say(citizen, "/bahasa")
    await citizen.press(choice, "English")
    await citizen.next()  # the choice message is edited to confirm
    await say(citizen, "/lapor", "report")
    await reply(citizen, "Step 1/9")


async def test_english_telegram_users_are_answered_in_english(
    app: Application, telegram: FakeTelegram
) -> None:
    visitor = FakeUser(telegram, user_id=5_550_777, language_code="en-GB")
    welcome = await say(visitor, "/start", "Welcome")
    assert "anonymously" in text_of(welcome)


async def test_starting_reports_and_status_checks_are_rate_limited(
    app: Application, citizen: FakeUser
) -> None:
    for _ in range(6):
        await say(citizen, "/lapor")
        await reply(citizen, "Langkah 1/9")
        await say(citizen, "/batal", "/lapor")
    refused = await say(citizen, "/lapor")
    assert "satu jam terakhir" in text_of(refused)
    for _ in range(10):
        await say(citizen, "/status ASN-0000-0000", "Tidak ada laporan")
    assert "Terlalu sering" in text_of(await say(citizen, "/status ASN-0000-0000"))


async def test_a_command_in_the_middle_of_a_report_puts_its_question_back(
    app: Application, citizen: FakeUser
) -> None:
    """/status, /laporan or /start while writing a report answer, then ask the pending
    question again: otherwise the next thing typed is taken for an answer to a question no
    longer on screen."""
    question = await start_report(citizen)
    await press(citizen, question, "Anonim", "Langkah 2/9")
    await say(citizen, "/status ASN-ZZZZ-ZZZZ", "Tidak ada laporan")
    await reply(citizen, "Langkah 2/9")
    await say(citizen, "/laporan", "belum")
    await reply(citizen, "Langkah 2/9")
    welcome = text_of(await say(citizen, "/start", "Selamat datang"))
    # Who may be reported, and what an identified report asks, as the flow has them.
    assert "kepala desa" in welcome and "nama dan alamat" in welcome, welcome
    await reply(citizen, "Langkah 2/9")
