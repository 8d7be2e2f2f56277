"""Every kind of message at representative steps of the report: a clear answer, and the
flow stays where it was (issue #6's catalogue, first part)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.app import Application
from tests.dialog import conversation, fill_report_until_evidence, press, reply, say, text_of
from tests.fakebot import FakeUser

Sender = Callable[[FakeUser], Awaitable[Any]]


def raw(**content: Any) -> Sender:
    async def send(user: FakeUser) -> Any:
        return user.push_message(**content)

    return send


def text(value: str) -> Sender:
    async def send(user: FakeUser) -> Any:
        return await user.send(value)

    return send


NOT_TEXT: dict[str, Sender] = {
    "sticker": lambda user: user.send_sticker(),
    "voice": lambda user: user.send_voice(),
    "location": lambda user: user.send_location(),
    "contact": lambda user: user.send_contact("+6281234567890"),
    "video_note": raw(
        video_note={"file_id": "vn", "file_unique_id": "vn1", "length": 240, "duration": 3}
    ),
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
}
BAD_TEXT: dict[str, Sender] = {
    "whitespace": text("   \n\t  "),
    "emoji only": text("😀😀😀"),
    "zero-width only": text("\u200b\u200d\u2060"),
    "4096 characters": text("x" * 4096),
    "unknown command": text("/hapus_semua"),
}


async def until(user: FakeUser, contains: str) -> dict[str, Any]:
    """The next message containing `contains`, skipping others (a repeated question)."""
    return await user.server.wait_output(
        user.chat_id, predicate=lambda m: m["_kind"] == "message" and contains in text_of(m)
    )


async def at_name_step(user: FakeUser) -> None:
    await user.send("/lapor")
    await reply(user)
    question = await reply(user, "Langkah 1/9")
    await press(user, question, "Anonim", "Langkah 2/9")


@pytest.mark.parametrize("kind", [*NOT_TEXT, *BAD_TEXT])
async def test_text_step_answers_and_stays(app: Application, citizen: FakeUser, kind: str) -> None:
    await at_name_step(citizen)
    state_before = await conversation(app, citizen)
    await {**NOT_TEXT, **BAD_TEXT}[kind](citizen)
    answer = await reply(citizen)
    assert text_of(answer), "a clear answer"
    assert await conversation(app, citizen) == state_before, "the flow stays where it was"
    await citizen.send("Budi Santoso")  # and it goes on
    await until(citizen, "Jabatan")


@pytest.mark.parametrize("kind", [*NOT_TEXT, "plain text"])
async def test_button_step_answers_and_stays(
    app: Application, citizen: FakeUser, kind: str
) -> None:
    await citizen.send("/lapor")
    await reply(citizen)
    question = await reply(citizen, "Langkah 1/9")
    state_before = await conversation(app, citizen)
    await {**NOT_TEXT, "plain text": text("anonim saja")}[kind](citizen)
    assert "tombol" in text_of(await reply(citizen))
    assert await conversation(app, citizen) == state_before
    question = await reply(citizen, "Langkah 1/9")  # the question, asked again
    await press(citizen, question, "Anonim", "Langkah 2/9")


@pytest.mark.parametrize("kind", [*NOT_TEXT, "plain text"])
async def test_evidence_step_answers_and_stays(
    app: Application, citizen: FakeUser, kind: str
) -> None:
    await fill_report_until_evidence(citizen)
    state_before = await conversation(app, citizen)
    await {**NOT_TEXT, "plain text": text("fotonya nanti")}[kind](citizen)
    assert "Selesai" in text_of(await reply(citizen))
    assert await conversation(app, citizen) == state_before


async def test_markup_in_answers_is_shown_as_typed(app: Application, citizen: FakeUser) -> None:
    await at_name_step(citizen)
    hostile = "<b>Budi</b> </code> & _*[ \u202eRTL"
    question = await say(citizen, hostile, "Langkah 2/9")
    question = await press(citizen, question, "Lewati", "Langkah 2/9")
    question = await press(citizen, question, "Lewati", "Langkah 3/9")
    question = await say(citizen, "Dinas <i>Sosial</i>", "Langkah 3/9")
    question = await press(citizen, question, "Bali", "Langkah 4/9")
    question = await press(citizen, question, "Lainnya", "Langkah 5/9")
    question = await press(citizen, question, "Hari ini", "Langkah 6/9")
    question = await say(citizen, "Denpasar & sekitarnya", "Langkah 7/9")
    question = await say(citizen, "Membagikan kaos <script>alert(1)</script> calon.", "Langkah 8/9")
    question = await press(citizen, question, "Lewati", "Langkah 9/9")
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    sent = summary["_params"]["text"]  # what went over the wire, in Telegram HTML
    assert "&lt;b&gt;Budi&lt;/b&gt; &lt;/code&gt; &amp; _*[" in sent
    assert "&lt;script&gt;" in sent and "<script>" not in sent
    assert "\u202e" not in sent, "bidi overrides are dropped"


async def test_status_with_ten_thousand_characters(app: Application, citizen: FakeUser) -> None:
    started = time.monotonic()
    answer = await say(citizen, "/status " + "A" * 10_000)
    assert "tidak valid" in text_of(answer)
    assert time.monotonic() - started < 5
