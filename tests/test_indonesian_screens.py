"""Every screen a reporter or a staff member meets, rendered in Indonesian: a tour of the bot
through the fake Bot API, then every message, button and alert it sent is searched for
English left in it (a string never extracted, a label built in code, a key shown raw)."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.app import Application
from bot.config import Settings
from bot.services.dates import today_in_indonesia
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import everything_after, press, reply, say, text_of
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.reports import answer_identity, file_report, start_report, submit
from tests.helpers.staff import ADMIN, OFFICER, STAFF_CHAT, make_officer

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"<[^>]+>")
# What separates the fixed words of a message: its placeholders, markup and line breaks.
SEPARATORS = re.compile(r"\{[^}]*\}|<[^>]+>|\n")
pytestmark = pytest.mark.slow


@pytest.fixture
def settings_factory(settings_factory: Callable[..., Settings]) -> Callable[..., Settings]:
    """The tour sends more updates in ten seconds than a person could: no flood guard."""
    return functools.partial(settings_factory, flood_updates=10_000)


def english_fragments() -> set[str]:
    """Runs of English words from every message whose Indonesian differs, long enough not
    to be a name or a code, and not found in its Indonesian translation."""
    with (ROOT / "bot/locales/id/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="id")
    fragments = set()
    for message in catalogue:
        if not message.id or message.string == message.id:
            continue
        for piece in SEPARATORS.split(message.id):
            piece = piece.strip(" .,:;()!?—-•")
            if len(piece) >= 8 and " " in piece and piece not in message.string:
                fragments.add(piece)
    return fragments


def everything_shown(telegram: FakeTelegram, chats: list[int]) -> list[str]:
    shown = []
    for chat in chats:
        for output in telegram.sent_to(chat):
            shown.append(text_of(output))
            markup = output.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []) + markup.get("keyboard", []):
                shown += [button.get("text", "") for button in row]
    shown += [
        call.params.get("text", "")
        for call in telegram.calls
        if call.method == "answercallbackquery"
    ]
    return [html.unescape(TAG.sub("", text)) for text in shown if text]


async def test_a_whole_case_reads_in_indonesian_from_both_sides(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    officer = FakeUser(telegram, user_id=OFFICER, first_name="Petugas", language_code="id")
    await say(citizen, "/start")
    await say(citizen, "/help")
    await say(citizen, "/status")
    await say(citizen, "/laporan")
    await say(citizen, "/tidakada")
    await say(citizen, "/batal")

    # An identified report, through the steps' other paths: a sticker, Back, an old date.
    question = await answer_identity(citizen, await start_report(citizen), identified=True)
    await citizen.send_sticker()
    await reply(citizen)
    question = await reply(citizen, "Langkah 2/9")
    question = await press(citizen, question, "ASN", "Langkah 2/9")
    question = await say(citizen, "Budi Santoso", "Langkah 2/9")
    question = await say(citizen, "Guru SD", "Langkah 2/9")
    question = await press(citizen, question, "Lewati", "Langkah 3/9")
    question = await say(citizen, "Dinas Pendidikan Kota Bandung", "Langkah 3/9")
    question = await press(citizen, question, "Jawa Barat", "Langkah 3/9")
    await citizen.press(question, "Berikutnya")  # the next page of regencies
    await say(citizen, "Bandung", "Yang mana")  # Kabupaten and Kota Bandung
    await say(citizen, "Kabupaten Atlantis", "tidak ditemukan")
    question = await reply(citizen, "Langkah 3/9")
    question = await say(citizen, "Kota Bandung", "Langkah 4/9")
    question = await press(citizen, question, "Kembali", "Langkah 3/9")
    question = await press(citizen, question, "Tidak tahu", "Langkah 4/9")
    question = await press(citizen, question, "tidak yakin", "Langkah 4/9")
    question = await press(citizen, question, "media sosial", "Langkah 5/9")
    long_ago = today_in_indonesia() - timedelta(days=20)
    question = await say(citizen, long_ago.strftime("%d-%m-%Y"), "Langkah 5/9")
    await citizen.press(question, "Pada hari kejadian")
    await reply(citizen)  # the note on the 7-day limit
    question = await reply(citizen, "Langkah 6/9")
    question = await say(citizen, "Kantor dinas", "Langkah 7/9")
    question = await say(citizen, "Pak Budi membagikan stiker calon kepada para guru.", "8/9")
    question = await say(citizen, "Bu Ani, rekan kerja", "Langkah 9/9")
    await citizen.send_photo(plain_jpeg())
    received = await reply(citizen, "1")
    summary = await press(citizen, received, "Selesai", "Ringkasan")
    _confirmation, code = await submit(citizen, summary)
    await say(citizen, f"/status {code}", code)
    await say(citizen, "/laporan", code)

    # The desk: a card, commands, a question and its answer, the lifecycle to the end.
    card = await telegram.wait_output(STAFF_CHAT)
    await make_officer(admin)
    for command in ("/help", "/staff list", "/inbox", f"/case {code}", "/find budi", "/overdue"):
        await everything_after(admin, command)
    await everything_after(admin, "/stats")
    await everything_after(officer, "/help")
    in_group = FakeUser(telegram, user_id=OFFICER, chat_id=STAFF_CHAT)
    await in_group.press(card, "Ambil")
    await reply(citizen, "Kabar terbaru")
    await say(officer, f"/ask {code} Jam berapa kejadiannya?", code)
    asked = await reply(citizen, "Jam berapa")
    await press(citizen, asked, "Balas")
    await say(citizen, "Sekitar jam sembilan pagi.", "Diterima")
    await say(officer, f"/note {code} Sudah dicek", code)
    refused = await say(officer, f"/setstatus {code} registered")  # the election is unknown
    assert "/election" in text_of(refused)
    await say(officer, f"/election {code} regent", code)
    for status in ("registered", "examination"):
        await say(officer, f"/setstatus {code} {status}", code)
        await reply(citizen, "Kabar terbaru")
    await say(officer, f"/extend {code} Keterangan saksi kedua diperlukan", code)
    await reply(citizen, "Kabar terbaru")
    await say(officer, f"/setstatus {code} established", code)
    await reply(citizen, "Kabar terbaru")
    await say(officer, f"/forward {code}", code)
    await say(officer, f"/ppk {code} Wali Kota Bandung", code)
    await say(officer, f"/bkn {code} moderate", code)
    await everything_after(admin, "/overdue")
    await everything_after(admin, f"/followup {code} imposed")
    today = today_in_indonesia().strftime("%d-%m-%Y")
    await say(officer, f"/followup {code} imposed moderate 800/12/BKPSDM {today}", code)
    await reply(citizen, "Kabar terbaru")
    await say(officer, f"/setstatus {code} closed Terima kasih", code)
    await reply(citizen, "Kabar terbaru")

    # A second case, not registered from its card; a third merged into it is refused, then
    # merged into the first... which is closed: refused too. A finding from the desk.
    other = FakeUser(telegram, user_id=5_550_002, first_name="Dewi", language_code="id")
    second = await file_report(other)
    second_card = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: second in text_of(m) and m["_kind"] == "message"
    )
    await in_group.press(second_card, "Tidak diregistrasi")
    reasons = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: "tidak diregistrasi?" in text_of(m)
    )
    await in_group.press(reasons, "Bukan kewenangan Bawaslu")
    await reply(other, "Kabar terbaru")
    await everything_after(admin, f"/case {second}")
    await everything_after(admin, f"/merge {second} {code}")
    await everything_after(admin, f"/finding {second}")
    await telegram.wait_output(STAFF_CHAT, predicate=lambda m: "Tidak diregistrasi" in text_of(m))
    await admin.send("/finding")
    await reply(admin, "temuan")
    await reply(admin, "Langkah 2/9")
    await everything_after(admin, "/batal")

    fragments = english_fragments()
    assert len(fragments) > 100, "the catalogue has English to look for"
    chats = [citizen.chat_id, other.chat_id, ADMIN, OFFICER, STAFF_CHAT]
    leaks = sorted(
        {
            f"{fragment!r} in {text[:80]!r}"
            for text in everything_shown(telegram, chats)
            for fragment in fragments
            if fragment in text
        }
    )
    assert not leaks, "English in Indonesian screens:\n" + "\n".join(leaks)
