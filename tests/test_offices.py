"""One deployment for the supervision hierarchy, through the fake Bot API: a report from
Kabupaten Gunung Mas, with RI, Kalimantan Tengah and Gunung Mas set up, is carded only in
Gunung Mas's group and handled there; the province sees it, Aceh does not (by command or by
forged button); a transfer to the province moves it and tells the reporter; with only RI
set up, the same report lands at RI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import Application
from bot.config import Settings
from storage.models import Case, CaseEvent, Outbox, utcnow
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import press, reply, say, text_of
from tests.helpers.reports import file_report
from tests.helpers.staff import ADMIN, STAFF_CHAT

RI_CHAT = STAFF_CHAT
KALTENG_CHAT = -1_001_620_000_000
GUMAS_CHAT = -1_001_621_000_000
ACEH_CHAT = -1_001_110_000_000
GUMAS_OFFICER = 9_062_100
KALTENG_OFFICER = 9_062_000
ACEH_OFFICER = 9_011_000


@pytest.fixture
async def hierarchy(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram
) -> AsyncIterator[Application]:
    """RI (STAFF_CHAT_ID), Kalimantan Tengah, Gunung Mas and Aceh, each with its group and an
    officer, set up as an admin would: /office link from inside each group, /staff add."""
    settings = settings_factory(admin_ids=frozenset({ADMIN}), staff_chat_id=RI_CHAT)
    async with running_bot(settings) as application:
        admin = FakeUser(telegram, user_id=ADMIN, first_name="Admin")
        for chat, office in (
            (KALTENG_CHAT, "Kalimantan Tengah"),
            (GUMAS_CHAT, "kab. gunung mas"),
            (ACEH_CHAT, "11"),
        ):
            in_group = FakeUser(telegram, user_id=ADMIN, chat_id=chat)
            await say(in_group, f"/office link {office}", "grup petugas")
        for user_id, office in (
            (GUMAS_OFFICER, "62.10"),
            (KALTENG_OFFICER, "Kalimantan Tengah"),
            (ACEH_OFFICER, "Aceh"),
        ):
            await say(admin, f"/staff add {user_id} officer {office}", str(user_id))
        yield application


async def card_of(telegram: FakeTelegram, chat: int, case_code: str) -> dict:
    return await telegram.wait_output(
        chat,
        predicate=lambda m: case_code in text_of(m) and m["_kind"] == "message",
    )


def shown_to(telegram: FakeTelegram, chat: int, case_code: str) -> bool:
    return any(case_code in text_of(output) for output in telegram.sent_to(chat))


async def test_a_regencys_report_is_handled_there_seen_above_and_hidden_elsewhere(
    hierarchy: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen, province="Kalimantan Tengah", regency="kab. gumas")
    card = await card_of(telegram, GUMAS_CHAT, code)
    assert "Kabupaten Gunung Mas" in text_of(card)
    assert "Bawaslu Kabupaten Gunung Mas" in text_of(card)
    await asyncio.sleep(1.0)
    for elsewhere in (RI_CHAT, KALTENG_CHAT, ACEH_CHAT):
        assert not shown_to(telegram, elsewhere, code), elsewhere

    # Gunung Mas's officer takes it from the card in their group.
    gumas_in_group = FakeUser(telegram, user_id=GUMAS_OFFICER, chat_id=GUMAS_CHAT)
    await gumas_in_group.press(card, "Ambil")
    await reply(citizen, "Kajian awal")
    # The province's officer sees it; Aceh's does not, and cannot tell that it exists.
    kalteng = FakeUser(telegram, user_id=KALTENG_OFFICER)
    assert code in text_of(await say(kalteng, "/inbox"))
    assert "Budi Santoso" in text_of(await say(kalteng, f"/case {code}", code))
    aceh = FakeUser(telegram, user_id=ACEH_OFFICER)
    assert code not in text_of(await say(aceh, "/inbox"))
    unknown = text_of(await say(aceh, "/case ASN-ZZZZ-ZZZZ"))
    assert text_of(await say(aceh, f"/case {code}")) == unknown.replace("ASN-ZZZZ-ZZZZ", code)
    assert code not in text_of(await say(aceh, "/find budi"))
    assert "Kalimantan Tengah" not in text_of(await say(aceh, "/stats"))
    await reply(aceh)  # the chart
    refused = text_of(await say(aceh, f"/setstatus {code} not_registered formal Anonim"))
    assert "Tidak ada kasus" in refused

    # A button forged in Aceh's group for this case does nothing.
    aceh_in_group = FakeUser(telegram, user_id=ACEH_OFFICER, chat_id=ACEH_CHAT)
    async with hierarchy.sessions() as session:
        version = (await session.exec(select(Case).where(Case.code == code))).one().version
    answered = len([c for c in telegram.calls if c.method == "answercallbackquery"])
    await aceh_in_group.press_data(card, f"dk:reason:{code}:not_asn:{version}")
    for _ in range(100):
        answers = [c for c in telegram.calls if c.method == "answercallbackquery"]
        if len(answers) > answered:
            break
        await asyncio.sleep(0.05)
    assert "tidak aktif" in answers[answered].params.get("text", "")
    async with hierarchy.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert (case.status, case.assignee_id) == ("initial_review", GUMAS_OFFICER)

    # A transfer to the province (a governor's election): the reporter is told, the old card
    # says where it went, the province's group gets the card.
    gumas = FakeUser(telegram, user_id=GUMAS_OFFICER)
    moved = await say(gumas, f"/transfer {code} Kalimantan Tengah: pemilihan gubernur", code)
    assert "Bawaslu Provinsi Kalimantan Tengah" in text_of(moved)
    told = await reply(citizen, "Bawaslu Provinsi Kalimantan Tengah")
    assert code in text_of(told)
    await telegram.wait_output(
        GUMAS_CHAT, predicate=lambda m: m["_kind"] == "edit" and "Dilimpahkan" in text_of(m)
    )
    await card_of(telegram, KALTENG_CHAT, code)
    async with hierarchy.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
        events = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))).all()
    assert case.office_code == "62"
    assert [e.detail for e in events if e.action == "transfer"] == [
        "62.10 -> 62: pemilihan gubernur"
    ]
    # Gunung Mas no longer sees it; the province does.
    assert "Tidak ada kasus" in text_of(await say(gumas, f"/case {code}"))
    assert code in text_of(await say(kalteng, "/inbox"))


async def test_an_office_group_is_shown_only_its_own_cases_whoever_asks_there(
    hierarchy: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """RI's admin sees every case, but typed in Aceh's group, /case and /inbox answer as
    Aceh would: a Gunung Mas case (its description, the reporter's words, the evidence)
    must not reach another office's group. In the case's own group, or above it, the same
    commands work."""
    code = await file_report(citizen, province="Kalimantan Tengah", regency="kab. gumas")
    await card_of(telegram, GUMAS_CHAT, code)
    admin_in_aceh = FakeUser(telegram, user_id=ADMIN, chat_id=ACEH_CHAT)
    assert "Tidak ada kasus" in text_of(await say(admin_in_aceh, f"/case {code}"))
    assert code not in text_of(await say(admin_in_aceh, "/inbox"))
    assert code not in text_of(await say(admin_in_aceh, "/find budi"))
    admin_in_gumas = FakeUser(telegram, user_id=ADMIN, chat_id=GUMAS_CHAT)
    assert "Budi Santoso" in text_of(await say(admin_in_gumas, f"/case {code}", code))
    # Aceh's officer, in Gunung Mas's group: no office of theirs, no answer. The province's
    # officer there is answered (their office is above it), after anything owed to Aceh's.
    before = len(telegram.sent_to(GUMAS_CHAT))
    await FakeUser(telegram, user_id=ACEH_OFFICER, chat_id=GUMAS_CHAT).send(f"/case {code}")
    kalteng_in_gumas = FakeUser(telegram, user_id=KALTENG_OFFICER, chat_id=GUMAS_CHAT)
    assert code in text_of(await say(kalteng_in_gumas, "/inbox", code))
    answered = [text_of(m) for m in telegram.sent_to(GUMAS_CHAT)[before:] if code in text_of(m)]
    assert len(answered) == 1, answered


async def when_all_is_sent(application: Application, case_code: str) -> Case:
    """The case once nothing about it is left in the outbox to send."""
    for _ in range(150):
        async with application.sessions() as session:
            case = (await session.exec(select(Case).where(Case.code == case_code))).one()
            owed = (
                await session.exec(
                    select(Outbox).where(Outbox.case_id == case.id, Outbox.status == "pending")
                )
            ).all()
        if not owed:
            return case
        await asyncio.sleep(0.2)
    raise AssertionError(f"still to send: {[(row.kind, row.chat_id) for row in owed]}")


async def test_a_card_update_queued_before_a_transfer_does_not_bring_the_card_back(
    hierarchy: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """The old group sends one message every few seconds; the new one is idle, so the
    transfer's card is out first. The old group's queued card update then must not post a
    fresh card there and take the case's card (and its answers) back to the group it left."""
    code = await file_report(citizen, province="Kalimantan Tengah", regency="kab. gumas")
    card = await card_of(telegram, GUMAS_CHAT, code)
    gumas_in_group = FakeUser(telegram, user_id=GUMAS_OFFICER, chat_id=GUMAS_CHAT)
    await gumas_in_group.press(card, "Ambil")
    gumas = FakeUser(telegram, user_id=GUMAS_OFFICER)
    await say(gumas, f"/ask {code} Siapa saksinya?", code)
    await say(gumas, f"/transfer {code} Kalimantan Tengah: terlalu dekat", code)
    kalteng_card = await card_of(telegram, KALTENG_CHAT, code)
    posted_in_gumas = len([m for m in telegram.sent_to(GUMAS_CHAT) if m["_kind"] == "message"])

    case = await when_all_is_sent(hierarchy, code)
    await asyncio.sleep(1.0)  # a card recorded just after the last row was marked sent
    async with hierarchy.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert (case.card_chat_id, case.staff_card_message_id) == (
        KALTENG_CHAT,
        kalteng_card["message_id"],
    )
    later = [m for m in telegram.sent_to(GUMAS_CHAT) if m["_kind"] == "message"]
    assert len(later) == posted_in_gumas, [text_of(m) for m in later[posted_in_gumas:]]
    # What the old group last shows of the case is where it went, with no buttons to act.
    last = [m for m in telegram.sent_to(GUMAS_CHAT) if code in text_of(m)][-1]
    assert "Dilimpahkan" in text_of(last), text_of(last)


async def test_an_answer_waiting_to_be_sent_follows_its_case_to_the_new_office(
    hierarchy: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """A reporter's answer held back by the old office's group (over its limit) and sent after
    a transfer goes to the office that now handles the case, not to the group it left (a
    sideways transfer is often made because the local office is too close to the civil
    servant); and the card stays in the new group."""
    code = await file_report(citizen, province="Kalimantan Tengah", regency="kab. gumas")
    await card_of(telegram, GUMAS_CHAT, code)
    gumas = FakeUser(telegram, user_id=GUMAS_OFFICER)
    await say(gumas, f"/ask {code} Siapa saksinya?", code)
    asked = await reply(citizen, "Siapa saksinya")
    await press(citizen, asked, "Balas")
    telegram.fail_next("sendMessage", 429, retry_after=4, chat_id=GUMAS_CHAT)
    await say(citizen, "Saya tetangga sebelah rumahnya, Wulan.", "Diterima")
    await say(gumas, f"/transfer {code} Kalimantan Tengah: terlalu dekat", code)

    kalteng_card = await card_of(telegram, KALTENG_CHAT, code)
    relayed = await telegram.wait_output(
        KALTENG_CHAT, timeout=30, predicate=lambda m: "tetangga sebelah" in text_of(m)
    )
    assert code in text_of(relayed)
    case = await when_all_is_sent(hierarchy, code)
    assert not any("tetangga sebelah" in text_of(m) for m in telegram.sent_to(GUMAS_CHAT))
    assert (case.card_chat_id, case.staff_card_message_id) == (
        KALTENG_CHAT,
        kalteng_card["message_id"],
    )


async def test_with_only_ri_set_up_the_same_report_lands_at_ri(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen, province="Kalimantan Tengah", regency="gunung mas")
    card = await card_of(telegram, STAFF_CHAT, code)
    assert "Bawaslu Kabupaten Gunung Mas" in text_of(card), "its office, carded at RI"
    for _ in range(50):  # where the card stands is recorded once Telegram has answered
        async with desk_app.sessions() as session:
            case = (await session.exec(select(Case).where(Case.code == code))).one()
        if case.card_chat_id is not None:
            break
        await asyncio.sleep(0.05)
    assert (case.region_code, case.office_code, case.card_chat_id) == ("62.10", "62.10", RI_CHAT)


async def test_offices_are_set_up_from_a_csv_file(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram, citizen: FakeUser
) -> None:
    settings = settings_factory(admin_ids=frozenset({ADMIN}))
    csv_text = (
        "office,staff_group,officers,admins\n"
        f"Kalimantan Tengah,{KALTENG_CHAT},{KALTENG_OFFICER},\n"
        f"62.10,{GUMAS_CHAT},{GUMAS_OFFICER} 9062101,\n"
        "Atlantis,-1009,,\n"
    )
    async with running_bot(settings):
        admin = FakeUser(telegram, user_id=ADMIN, first_name="Admin")
        await admin.send_document(
            csv_text.encode(), "kantor.csv", "text/csv", caption="/office import"
        )
        summary = text_of(await reply(admin))
        assert "2 kantor" in summary and "2 grup" in summary and "3 petugas" in summary
        assert "Baris 4" in summary and "Atlantis" in summary
        listing = text_of(await say(admin, "/office list"))
        assert "Bawaslu Kabupaten Gunung Mas" in listing and "2 petugas" in listing
        code = await file_report(citizen, province="Kalimantan Tengah", regency="Gunung Mas")
        await card_of(telegram, GUMAS_CHAT, code)


async def test_an_office_admin_manages_only_their_own_offices(
    hierarchy: Application, telegram: FakeTelegram
) -> None:
    admin = FakeUser(telegram, user_id=ADMIN, first_name="Admin")
    province_admin = 9_062_999
    await say(admin, f"/staff add {province_admin} admin 62", str(province_admin))
    kalteng_admin = FakeUser(telegram, user_id=province_admin)
    added = text_of(await say(kalteng_admin, "/staff add 9062555 officer Gunung Mas"))
    assert "Bawaslu Kabupaten Gunung Mas" in added
    refused = text_of(await say(kalteng_admin, "/staff add 9011555 officer Aceh"))
    assert "di luar kantor Anda" in refused
    listed = text_of(await say(kalteng_admin, "/staff list"))
    assert str(GUMAS_OFFICER) in listed and str(ACEH_OFFICER) not in listed


async def test_each_office_group_is_reminded_of_its_own_overdue_cases_in_its_own_time(
    hierarchy: Application, telegram: FakeTelegram
) -> None:
    from bot.jobs.reminders import remind_zone
    from bot.services.regions import WIB, ZONES

    codes = {}
    for number, (province, regency) in enumerate(
        (
            ("Kalimantan Tengah", "Gunung Mas"),
            ("Aceh", "Kota Banda Aceh"),
            ("Papua", "Kota Jayapura"),
        )
    ):
        reporter = FakeUser(telegram, user_id=5_570_000 + number, first_name="Warga")
        codes[province] = await file_report(reporter, province=province, regency=regency)
    async with hierarchy.sessions() as session:
        for case in (await session.exec(select(Case))).all():
            case.deadline_at = utcnow() - timedelta(hours=1)  # past the review deadline
            session.add(case)
        await session.commit()
    services = hierarchy.services
    reminded = await remind_zone(
        WIB, services.desk, services.cases, services.offices, hierarchy.i18n, "id"
    )
    # Gunung Mas's group, Aceh's, and RI's, where Papua's case is carded (Papua has no group
    # yet): RI keeps WIB time.
    assert reminded == 3

    def reminder_in(chat: int) -> str:
        found = [text_of(m) for m in telegram.sent_to(chat) if "melewati tenggat" in text_of(m)]
        return found[-1] if found else ""

    for _ in range(200):  # the group's messages go out three seconds apart
        if all(reminder_in(chat) for chat in (GUMAS_CHAT, ACEH_CHAT, RI_CHAT)):
            break
        await asyncio.sleep(0.1)
    expected = {GUMAS_CHAT: "Kalimantan Tengah", ACEH_CHAT: "Aceh", RI_CHAT: "Papua"}
    for chat, province in expected.items():
        shown = {name for name, code in codes.items() if code in reminder_in(chat)}
        assert shown == {province}, (chat, shown)
    assert not reminder_in(KALTENG_CHAT), "the province's own group has no case of its own"
    wit = ZONES["Asia/Jayapura"]
    assert (
        await remind_zone(
            wit, services.desk, services.cases, services.offices, hierarchy.i18n, "id"
        )
        == 0
    )


async def test_a_case_shows_the_time_of_its_place(
    hierarchy: Application, telegram: FakeTelegram
) -> None:
    reporter = FakeUser(telegram, user_id=5_570_100, first_name="Warga")
    code = await file_report(reporter, province="Papua Selatan", regency="Merauke")
    admin = FakeUser(telegram, user_id=ADMIN, first_name="Admin")
    shown = text_of(await say(admin, f"/case {code}", code))
    assert "WIT" in shown and "WIB" not in shown


async def test_an_office_exports_its_own_cases(
    hierarchy: Application, telegram: FakeTelegram
) -> None:
    import csv
    import io

    first = FakeUser(telegram, user_id=5_570_200, first_name="Warga")
    second = FakeUser(telegram, user_id=5_570_201, first_name="Warga")
    ours = await file_report(first, province="Kalimantan Tengah", regency="Gunung Mas")
    theirs = await file_report(second, province="Aceh", regency="Kota Banda Aceh")
    admin = FakeUser(telegram, user_id=ADMIN, first_name="Admin")
    province_admin = 9_062_998
    await say(admin, f"/staff add {province_admin} admin Kalimantan Tengah", str(province_admin))
    kalteng_admin = FakeUser(telegram, user_id=province_admin)
    await kalteng_admin.send("/export csv")
    document = await reply(kalteng_admin)
    rows = list(csv.reader(io.StringIO(document["_upload"].decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [ours]
    header = rows[0]
    assert rows[1][header.index("Kabupaten/kota")] == "Kabupaten Gunung Mas"
    assert rows[1][header.index("Kantor")] == "Bawaslu Kabupaten Gunung Mas"
    await admin.send("/export csv")
    everything = (await reply(admin))["_upload"].decode("utf-8-sig")
    assert ours in everything and theirs in everything


def staff_menus(telegram: FakeTelegram) -> dict[int, set[str]]:
    """Chat id -> the commands its staff menu offers (in any language)."""
    menus: dict[int, set[str]] = {}
    for call in telegram.calls:
        scope = call.params.get("scope") or {}
        if call.method.lower() == "setmycommands" and scope.get("type") == "chat":
            commands = {command["command"] for command in call.params["commands"]}
            menus.setdefault(int(scope["chat_id"]), set()).update(commands)
    return menus


async def test_office_groups_and_their_staff_get_the_staff_menu_now_and_at_every_start(
    hierarchy: Application, telegram: FakeTelegram, settings_factory: Callable[..., Settings]
) -> None:
    linked_now = staff_menus(telegram)
    for chat in (GUMAS_CHAT, KALTENG_CHAT, ACEH_CHAT, GUMAS_OFFICER):
        assert "inbox" in linked_now.get(chat, set()), chat
    telegram.calls.clear()
    settings = settings_factory(admin_ids=frozenset({ADMIN}), staff_chat_id=RI_CHAT)
    async with running_bot(settings):
        at_start = staff_menus(telegram)
    for chat in (RI_CHAT, GUMAS_CHAT, KALTENG_CHAT, ACEH_CHAT, GUMAS_OFFICER, ACEH_OFFICER):
        assert "inbox" in at_start.get(chat, set()), chat
    assert "staff" in at_start[ADMIN]
    assert "staff" not in at_start[GUMAS_OFFICER]
