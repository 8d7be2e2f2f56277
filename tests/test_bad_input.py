"""Bad input at every step of the report: every kind of message, junk text, hostile files,
forged and stale buttons, commands with junk arguments. Each gets a clear answer, and the
flow stays where it was with nothing stored half-way (issue #6's catalogue)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from io import BytesIO
from typing import Any

import pikepdf
import pytest
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey

from bot.app import Application
from bot.config import Settings
from bot.flows.report import ReportForm
from tests.fakebot import FakeUser
from tests.helpers import documentgen, imagegen, videogen
from tests.helpers.bot import running_bot
from tests.helpers.dialog import conversation, press, reply, say, text_of

Sender = Callable[[FakeUser], Awaitable[Any]]
GENERIC_FAILURE = "terjadi gangguan"  # the last-resort answer: never the answer to bad input


def raw(**content: Any) -> Sender:
    async def send(user: FakeUser) -> Any:
        return user.push_message(**content)

    return send


def text(value: str) -> Sender:
    async def send(user: FakeUser) -> Any:
        return await user.send(value)

    return send


async def forwarded(user: FakeUser) -> Any:
    origin = {
        "type": "user",
        "date": int(time.time()) - 60,
        "sender_user": {"id": 5_550_999, "is_bot": False, "first_name": "Pak Budi"},
    }
    return user.push_message(text="Pilih nomor 2!", forward_origin=origin)


async def edited(user: FakeUser) -> Any:
    now = int(time.time())
    message = {
        "message_id": 1,
        "date": now - 30,
        "edit_date": now,
        "chat": user.chat,
        "from": user.user,
        "text": "jawaban yang diubah",
    }
    return user.server.push_update({"edited_message": message})


OTHER_KINDS: dict[str, Sender] = {
    "sticker": lambda user: user.send_sticker(),
    "voice": lambda user: user.send_voice(),
    "video note": raw(
        video_note={"file_id": "vn", "file_unique_id": "vn1", "length": 240, "duration": 3}
    ),
    "location": lambda user: user.send_location(),
    "someone else's contact": lambda user: user.send_contact("+6281234567890", user_id=1),
    "poll": raw(
        poll={
            "id": "p1",
            "question": "Pilih?",
            "options": [
                {"persistent_id": "a", "text": "a", "voter_count": 0},
                {"persistent_id": "b", "text": "b", "voter_count": 0},
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
    ),
    "dice": raw(dice={"emoji": "🎲", "value": 3}),
    "forwarded message": forwarded,
    "edited message": edited,
}
FILES: dict[str, Sender] = {
    "photo": lambda user: user.send_photo(imagegen.plain_jpeg()),
    "document": lambda user: user.send_document(
        imagegen.pdf_with_javascript(), "bukti.pdf", "application/pdf"
    ),
}
JUNK_TEXT: dict[str, Sender] = {
    "whitespace only": text("   \n\t  "),
    "emoji only": text("😀😀😀"),
    "zero-width only": text("\u200b\u200d\u2060"),
    "right-to-left override only": text("\u202e\u202d"),
    "NUL bytes": text("\x00\x00\x00"),
    "4096 characters": text("x" * 4096),
}

TEXT_STEPS = (
    ReportForm.reporter_name,
    ReportForm.reporter_address,
    ReportForm.reporter_phone,
    ReportForm.asn_name,
    ReportForm.asn_position,
    ReportForm.asn_nip,
    ReportForm.agency,
    ReportForm.incident_date,
    ReportForm.date_known,
    ReportForm.place,
    ReportForm.description,
    ReportForm.witnesses,
)
BUTTON_STEPS = (
    ReportForm.identity,
    ReportForm.party_kind,
    ReportForm.province,
    ReportForm.election,
    ReportForm.category,
    ReportForm.summary,
)


def bad_inputs(step: State) -> dict[str, Sender]:
    """What cannot answer `step`."""
    if step in TEXT_STEPS:
        return {**OTHER_KINDS, **FILES, **JUNK_TEXT}
    if step == ReportForm.evidence:
        return {**OTHER_KINDS, **JUNK_TEXT, "plain text": text("fotonya menyusul")}
    return {**OTHER_KINDS, **FILES, **JUNK_TEXT, "plain text": text("anonim saja")}


def complete_draft(step: State) -> dict[str, Any]:
    identified = step in (
        ReportForm.reporter_name,
        ReportForm.reporter_address,
        ReportForm.reporter_phone,
    )
    return {
        "identity": "identified" if identified else "anonymous",
        "reporter_name": "Sari Wulandari" if identified else None,
        "reporter_address": "Jl. Merdeka No. 12, Bandung" if identified else None,
        "reporter_phone": "+6281234567890" if identified else None,
        "party_kind": "asn",
        "asn_name": "Budi Santoso",
        "asn_position": None,
        "asn_nip": None,
        "agency": "Dinas Pendidikan Kota Bandung",
        "province": "Jawa Barat",
        "province_code": "32",
        "election": "regent",
        "category": "social_media",
        "incident_date": date.today().isoformat(),
        "date_known": date.today().isoformat(),
        "place": "Kantor dinas",
        "place_url": None,
        "description": "Pak Budi membagikan stiker calon kepada para guru di sekolah.",
        "witnesses": None,
        "evidence": [],
    }


@pytest.fixture
async def tolerant_app(settings_factory: Callable[..., Settings]) -> AsyncIterator[Application]:
    # The catalogue sends two dozen messages a step in quick succession (the flood guard,
    # tested on its own, is off in tests: conftest.py).
    async with running_bot(settings_factory()) as application:
        yield application


async def put_at(application: Application, user: FakeUser, step: State) -> None:
    key = StorageKey(bot_id=application.bot.id, chat_id=user.chat_id, user_id=user.user_id)
    await application.dispatcher.storage.set_state(key, step)
    await application.dispatcher.storage.set_data(key, complete_draft(step))


async def answers_to(user: FakeUser, send: Sender) -> list[str]:
    """Everything the bot said in answer to one input. /help is sent after the first answer:
    by then the input's handler holds the reporter's lock, so the help comes after
    everything that handler says."""
    await send(user)
    said = [text_of(await reply(user))]
    await user.send("/help")
    while "/batal" not in (latest := text_of(await reply(user))):
        said.append(latest)
    return said


@pytest.mark.parametrize(
    "step", [*TEXT_STEPS, *BUTTON_STEPS, ReportForm.evidence], ids=lambda s: s.state
)
async def test_every_kind_of_bad_input_at_every_step(
    tolerant_app: Application, citizen: FakeUser, step: State
) -> None:
    await put_at(tolerant_app, citizen, step)
    before = await conversation(tolerant_app, citizen)
    for kind, send in bad_inputs(step).items():
        said = await answers_to(citizen, send)
        assert said[0], f"{kind}: a clear answer"
        assert all(GENERIC_FAILURE not in line for line in said), f"{kind}: {said}"
        assert await conversation(tolerant_app, citizen) == before, f"{kind}: the flow moved"


async def test_markup_in_answers_is_shown_as_typed(app: Application, citizen: FakeUser) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    question = await press(citizen, question, "ASN", "Langkah 2/9")
    hostile = "<b>Budi</b> </code> & _*[ \u202eRTL"
    question = await say(citizen, hostile, "Langkah 2/9")
    question = await press(citizen, question, "Lewati", "Langkah 2/9")
    question = await press(citizen, question, "Lewati", "Langkah 3/9")
    question = await say(citizen, "Dinas <i>Sosial</i>", "Langkah 3/9")
    question = await press(citizen, question, "Bali", "Langkah 3/9")
    question = await say(citizen, "Kota Denpasar", "Langkah 4/9")
    question = await press(citizen, question, "Pemilihan Gubernur", "Langkah 4/9")
    question = await press(citizen, question, "Lainnya", "Langkah 5/9")
    question = await press(citizen, question, "Hari ini", "Langkah 5/9")
    question = await press(citizen, question, "Pada hari kejadian", "Langkah 6/9")
    question = await say(citizen, "Denpasar & sekitarnya", "Langkah 7/9")
    question = await say(citizen, "Membagikan kaos <script>alert(1)</script> calon.", "Langkah 8/9")
    question = await press(citizen, question, "Lewati", "Langkah 9/9")
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    sent = summary["_params"]["text"]  # what went over the wire, in Telegram HTML
    assert "&lt;b&gt;Budi&lt;/b&gt; &lt;/code&gt; &amp; _*[" in sent
    assert "&lt;script&gt;" in sent and "<script>" not in sent
    assert "\u202e" not in sent, "bidi overrides are dropped"


# --- files at the evidence step ---------------------------------------------------------

HOSTILE_FILES: dict[str, tuple[Sender, str]] = {
    "non-image named and typed as JPEG": (
        lambda user: user.send_document(imagegen.fake_jpeg(), "foto.jpg", "image/jpeg"),
        "tidak diterima",
    ),
    "truncated JPEG": (
        lambda user: user.send_document(imagegen.truncated_jpeg(), "foto.jpg", "image/jpeg"),
        "rusak",
    ),
    "PNG decompression bomb": (
        lambda user: user.send_document(imagegen.png_bomb(), "foto.png", "image/png"),
        "terlalu besar",
    ),
    "1×100000 image": (
        lambda user: user.send_document(imagegen.tall_image(), "garis.png", "image/png"),
        "tidak wajar",
    ),
    "animated WEBP": (
        lambda user: user.send_document(imagegen.animated_webp(), "gerak.webp", "image/webp"),
        "bergerak",
    ),
    "file over 20 MB": (
        lambda user: user.send_document(
            b"%PDF-1.4 tiny", "besar.pdf", "application/pdf", declared_size=25 * 1024 * 1024
        ),
        "20 MB",
    ),
    "zero-byte file": (
        lambda user: user.send_document(b"", "kosong.jpg", "image/jpeg"),
        "kosong",
    ),
    "truncated MP4": (
        lambda user: user.send_document(videogen.truncated_mp4(), "video.mp4", "video/mp4"),
        "tidak bisa dibuka untuk menghapus data",
    ),
    "PDF whose structure is garbage": (
        lambda user: user.send_document(
            documentgen.pdf_with_garbage_structure(), "bukti.pdf", "application/pdf"
        ),
        "tidak bisa dibuka untuk menghapus data",
    ),
    "password-protected PDF": (
        lambda user: user.send_document(
            documentgen.password_protected_pdf(), "bukti.pdf", "application/pdf"
        ),
        "kata sandi",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE_FILES))
async def test_hostile_files_are_refused_and_the_flow_stays(
    tolerant_app: Application, citizen: FakeUser, kind: str
) -> None:
    await put_at(tolerant_app, citizen, ReportForm.evidence)
    before = await conversation(tolerant_app, citizen)
    send, expected = HOSTILE_FILES[kind]
    said = await answers_to(citizen, send)
    assert expected in said[0], said
    assert await conversation(tolerant_app, citizen) == before
    stored = [path for path in tolerant_app.settings.evidence_dir.rglob("*") if path.is_file()]
    assert stored == [], "nothing written to the evidence store"


async def test_a_download_longer_than_its_declared_size_is_cut_off(
    tolerant_app: Application, telegram: Any, citizen: FakeUser
) -> None:
    """getFile says a few kilobytes; the body goes on for 100 MB. The bot stops reading at
    20 MB and drops the connection, so most of it is never sent."""
    await put_at(tolerant_app, citizen, ReportForm.evidence)
    before = await conversation(tolerant_app, citizen)
    served = 100 * 1024 * 1024
    liar = documentgen.pdf_with_author_xmp_and_photo()
    said = await answers_to(
        citizen,
        lambda user: user.send_document(liar, "bukti.pdf", "application/pdf", served_size=served),
    )
    assert "20 MB" in said[0], said
    assert await conversation(tolerant_app, citizen) == before
    assert [path for path in tolerant_app.settings.evidence_dir.rglob("*") if path.is_file()] == []
    (path,) = telegram.served_sizes
    deadline = time.monotonic() + 5
    while path not in telegram.downloads_finished:
        assert time.monotonic() < deadline, "the server is still sending"
        await asyncio.sleep(0.02)
    assert telegram.bytes_served[path] < served // 2, "the rest was never sent"


async def test_pdf_with_javascript_is_stored_cleaned_never_rendered(
    tolerant_app: Application, citizen: FakeUser
) -> None:
    await put_at(tolerant_app, citizen, ReportForm.evidence)
    pdf = imagegen.pdf_with_javascript()
    await citizen.send_document(pdf, "bukti.pdf", "application/pdf")
    await reply(citizen, "1 dari maksimal")
    _state, draft = await conversation(tolerant_app, citizen)
    (item,) = draft["evidence"]
    assert (item["kind"], item["mime"], item["thumbnail_key"]) == ("pdf", "application/pdf", None)
    assert item["original_sha256"] == hashlib.sha256(pdf).hexdigest()
    stored = (tolerant_app.settings.evidence_dir / item["storage_key"]).read_bytes()
    with pikepdf.open(BytesIO(stored)) as document:  # rewritten by the cleaner, still a PDF
        assert len(document.pages) == 1


# --- buttons ------------------------------------------------------------------------------

FORGED_BUTTONS = {
    ReportForm.identity: ["rf:identity:root", "rf:identity:"],
    ReportForm.province: ["rf:province:99", "rf:province:-1", "rf:province:x"],
    ReportForm.category: ["rf:category:bribery", "rf:category:"],
    ReportForm.summary: ["rf:edit:reporter_chat_id", "rf:evidence_done"],
}


@pytest.mark.parametrize("step", list(FORGED_BUTTONS), ids=lambda s: s.state)
async def test_forged_and_stale_button_data_is_refused(
    tolerant_app: Application, telegram: Any, citizen: FakeUser, step: State
) -> None:
    await put_at(tolerant_app, citizen, step)
    before = await conversation(tolerant_app, citizen)
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": citizen.chat,
        "from": {"id": 7_000_000_001, "is_bot": True, "first_name": "Lapor Netral"},
        "text": "pertanyaan lama",
    }
    garbage = ["x" * 64, "rf", "rf:back:1:2:3:4", "desk:take:ASN-0000-0000", "\u202e"]
    for data in [*FORGED_BUTTONS[step], *garbage]:
        answered = len(alerts(telegram))
        await citizen.press_data(message, data)
        alert = await next_alert(telegram, after=answered)
        assert "tidak aktif" in alert, (data, alert)
        assert await conversation(tolerant_app, citizen) == before, data


def alerts(telegram: Any) -> list[str]:
    return [
        c.params.get("text", "")
        for c in telegram.calls
        if c.method == "answercallbackquery" and c.params.get("show_alert") in (True, "true")
    ]


async def next_alert(telegram: Any, after: int, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while len(shown := alerts(telegram)) <= after:
        assert time.monotonic() < deadline, "no alert for the press"
        await asyncio.sleep(0.02)
    return shown[after]


async def test_a_button_on_someone_elses_message_does_nothing_to_their_report(
    tolerant_app: Application, telegram: Any, citizen: FakeUser
) -> None:
    await citizen.send("/lapor")
    await reply(citizen, "Mari")
    question = await reply(citizen, "Langkah 1/9")
    before = await conversation(tolerant_app, citizen)
    intruder = FakeUser(telegram, user_id=5_550_666, first_name="Penyusup")
    await intruder.press(question, "Anonim")  # a forged press on the citizen's message
    assert "tidak aktif" in await next_alert(telegram, after=0)
    assert await conversation(tolerant_app, citizen) == before
    await citizen.quiet(0.3)


# --- commands -----------------------------------------------------------------------------


async def test_status_with_ten_thousand_characters(app: Application, citizen: FakeUser) -> None:
    started = time.monotonic()
    answer = await say(citizen, "/status " + "A" * 10_000)
    assert "tidak valid" in text_of(answer)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "command",
    [
        "/start ../../etc/passwd",
        "/help me please",
        "/laporan semua\x00",
        "/batal sekarang juga",
        "/bahasa klingon",
        "/status",
        "/status ' OR 1=1 --",
        "/status ASN-0000-000O\u200b",
        "/lapor@lapor_netral_bot sekarang",
    ],
)
async def test_citizen_commands_with_junk_arguments(
    app: Application, citizen: FakeUser, command: str
) -> None:
    answer = await say(citizen, command)
    assert text_of(answer) and GENERIC_FAILURE not in text_of(answer)


async def test_the_last_piece_of_evidence_allowed_says_that_is_all(
    settings_factory: Callable[..., Settings], citizen: FakeUser
) -> None:
    """At the limit the counter stops inviting more; one more is refused."""
    async with running_bot(settings_factory(max_evidence_items=2)) as application:
        await put_at(application, citizen, ReportForm.evidence)
        await citizen.send_photo(imagegen.plain_jpeg(color=(200, 0, 0)))
        assert "Kirim lagi" in text_of(await reply(citizen, "1 dari maksimal 2"))
        await citizen.send_photo(imagegen.plain_jpeg(color=(0, 200, 0)))
        last = text_of(await reply(citizen, "2 dari maksimal 2"))
        assert "sudah cukup" in last and "Kirim lagi" not in last, last
        await citizen.send_photo(imagegen.plain_jpeg(color=(0, 0, 200)))
        await reply(citizen, "jumlah maksimal")
