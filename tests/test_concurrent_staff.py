"""Two officers acting on one case at the same moment: one wins, the other is told, the
history never shows two moves from the same status, and the reporter hears once. On the
database the suite runs on (SQLite, or PostgreSQL with TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

from sqlmodel import select

from bot.app import Application
from bot.services.desk import CaseChanged, DeskError
from bot.services.intake import ReportDraft
from bot.services.lifecycle import TransitionNotAllowed
from bot.services.offices import RI
from bot.services.staff import StaffMember
from storage.models import Case, CaseEvent, Outbox
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import reply, text_of
from tests.helpers.reports import file_report
from tests.helpers.staff import ADMIN, OFFICER, STAFF_CHAT


async def seed_cases(application: Application, count: int) -> list[str]:
    intake = application.services.intake
    codes = []
    for number in range(count):
        draft = ReportDraft(
            identity="anonymous",
            asn_name=f"Pegawai {number}",
            agency="Dinas Sosial",
            province="Bali",
            category="other",
            incident_date=date(2026, 11, 1),
            description="Membagikan sembako bergambar calon kepada warga.",
            place="Denpasar",
        )
        case, _new = await intake.submit(
            draft, code=intake.new_code(), chat_id=7_700 + number, locale="id"
        )
        codes.append(case.code)
    return codes


async def history_of(application: Application) -> dict[int, list[CaseEvent]]:
    async with application.sessions() as session:
        events = (await session.exec(select(CaseEvent).order_by(CaseEvent.id))).all()
    by_case: dict[int, list[CaseEvent]] = {}
    for event in events:
        by_case.setdefault(event.case_id, []).append(event)  # type: ignore[arg-type]
    return by_case


async def test_simultaneous_commands_never_both_move_a_case_from_the_same_status(
    desk_app: Application,
) -> None:
    desk = desk_app.services.desk
    codes = await seed_cases(desk_app, 12)

    async def attempt(action: object) -> str:
        try:
            await action  # type: ignore[misc]
        except (CaseChanged, TransitionNotAllowed):
            return "refused"
        except DeskError as error:
            # Taken after another's command closed it: whichever commits first decides.
            assert error.reason == "take_closed", error.reason
            return "refused"
        return "applied"

    outcomes: Counter[str] = Counter()
    for code in codes:
        results = await asyncio.gather(
            attempt(
                desk.set_status(
                    code, "not_registered", actor_id=ADMIN, reason="formal", public_note="Anonim"
                )
            ),
            attempt(desk.take(code, actor_id=OFFICER)),
            attempt(desk.assign(code, StaffMember(ADMIN, "admin", RI), actor_id=ADMIN)),
        )
        outcomes.update(results)
    assert outcomes["applied"] >= len(codes), "at least one action per case goes through"

    async with desk_app.sessions() as session:
        cases = {case.id: case for case in (await session.exec(select(Case))).all()}
        notices = (await session.exec(select(Outbox).where(Outbox.kind == "status_changed"))).all()
    history = await history_of(desk_app)
    notified = Counter(row.case_id for row in notices)
    for case_id, events in history.items():
        moves = [(e.from_status, e.to_status) for e in events if e.action == "status"]
        assert len({before for before, _after in moves}) == len(moves), (
            f"two moves from one status: {moves}"
        )
        # The case ends where its history says, and each move was told once.
        assert cases[case_id].status == (moves[-1][1] if moves else "received")
        assert notified[case_id] == len(moves)
        assignments = [e.detail for e in events if e.action == "assigned"]
        previous = "-"
        for detail in assignments:
            before, after = detail.split(" -> ")  # type: ignore[union-attr]
            assert before == previous, f"an assignment made from a state overwritten: {assignments}"
            previous = after


async def test_two_officers_pressing_on_one_card_one_wins_and_the_other_is_told(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    admin = FakeUser(telegram, user_id=ADMIN)
    await admin.send(f"/staff add {OFFICER}")
    await reply(admin, str(OFFICER))
    code = await file_report(citizen)
    card = await telegram.wait_output(STAFF_CHAT)

    admin_in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    officer_in_group = FakeUser(telegram, user_id=OFFICER, chat_id=STAFF_CHAT)
    await admin_in_group.press(card, "Tidak diregistrasi")
    reasons = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda m: "tidak diregistrasi?" in text_of(m)
    )

    # Both act on what they saw on the card, at the same moment.
    answered = len([call for call in telegram.calls if call.method == "answercallbackquery"])
    await asyncio.gather(
        admin_in_group.press(reasons, "Syarat formal"), officer_in_group.press(card, "Ambil")
    )
    for _ in range(250):
        answers = [call for call in telegram.calls if call.method == "answercallbackquery"]
        if len(answers) >= answered + 2:
            break
        await asyncio.sleep(0.02)
    told = [call.params.get("text", "") for call in answers[answered:]]
    assert sum("baru saja berubah" in text for text in told) == 1, told

    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
        events = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))).all()
    moves = [(e.from_status, e.to_status) for e in events if e.action == "status"]
    assert len(moves) == 1 and moves[0][0] == "received", moves
    update = await reply(citizen, "Kabar terbaru")
    assert case.code in text_of(update)
    await telegram.assert_no_output(citizen.chat_id, quiet=1.5)  # told once, not twice


async def test_a_new_officers_first_two_updates_at_once_are_both_answered(
    desk_app: Application, telegram: FakeTelegram
) -> None:
    """The first update of a staff member records the name they go by: two at once (a
    command in private, one in the staff group) must not make the second one fail."""
    in_private = FakeUser(telegram, user_id=ADMIN, first_name="Rina")
    in_group = FakeUser(telegram, user_id=ADMIN, first_name="Rina", chat_id=STAFF_CHAT)
    await asyncio.gather(
        in_private.send("/case ASN-ZZZZ-ZZZZ"), in_group.send("/case ASN-ZZZZ-ZZZZ")
    )
    answers = [text_of(await reply(in_private)), text_of(await telegram.wait_output(STAFF_CHAT))]
    for answer in answers:
        assert "Tidak ada kasus" in answer, answer
