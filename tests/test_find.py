"""/find by name as staff use it, through the trigram index of each engine (migration
0011): a rare name and a common one, within the office's own cases, and never by anything
that says who the reporter is."""

from __future__ import annotations

from bot.app import Application
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import say, text_of
from tests.helpers.reports import REPORTER_NAME, file_report
from tests.helpers.seed import SEEDED_PHONE, SEEDED_REPORTER, seed_cases
from tests.helpers.staff import make_officer

COMMON = "Budi Santoso"


async def test_find_a_rare_and_a_common_name(
    desk_app: Application,
    telegram: FakeTelegram,
    citizen: FakeUser,
    admin: FakeUser,
    officer: FakeUser,
) -> None:
    await make_officer(admin)
    # Filed through the bot: the index follows new cases (SQLite's trigger).
    rare = await file_report(citizen, asn_name="Theresia Pandjaitan", identified=True)
    common = await seed_cases(
        desk_app.sessions,
        [
            {"asn_name": COMMON, "agency": f"Dinas {n}", "agency_key": f"dinas {n}"}
            for n in range(30)
        ]
        + [{"asn_name": "Siti Nurhaliza"}] * 5,
    )
    answer = text_of(await say(officer, "/find pandjaitan", rare))
    assert rare in answer and not any(code in answer for code in common)
    # Any case, any spacing: a piece of the name is enough.
    assert rare in text_of(await say(officer, "/find THERESIA pandj", rare))
    found = text_of(await say(officer, "/find budi santoso", "Budi"))
    listed = [code for code in common if code in found]
    # Thirty alike: the ten newest are shown, and no Siti.
    assert listed == common[20:30]
    assert rare not in found
    # By agency, as before.
    assert rare in text_of(await say(officer, "/find pendidikan", rare))
    nothing = text_of(await say(officer, "/find Zulkifli"))
    assert "Zulkifli" in nothing and not any(code in nothing for code in [rare, *common])


async def test_find_never_matches_who_reported_or_what_they_wrote(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser, admin: FakeUser
) -> None:
    code = await file_report(citizen, asn_name="Theresia Pandjaitan", identified=True)
    await seed_cases(desk_app.sessions, [{"asn_name": "Hadi Hidayat"}])
    for typed in (REPORTER_NAME, "Wulandari", SEEDED_REPORTER, SEEDED_PHONE[3:], "Uraian"):
        answer = text_of(await say(admin, f"/find {typed}"))
        assert code not in answer and "LN-S" not in answer, typed
    assert code in text_of(await say(admin, "/find pandjaitan", code))


async def test_find_keeps_to_the_office(
    desk_app: Application, telegram: FakeTelegram, admin: FakeUser
) -> None:
    ours, theirs = await seed_cases(
        desk_app.sessions,
        [
            {"asn_name": "Theresia Pandjaitan", "region_code": "62.10", "office_code": "62.10"},
            {"asn_name": "Theresia Pandjaitan", "region_code": "11.71", "office_code": "11.71"},
        ],
    )
    await say(admin, "/staff add 9062998 officer Kalimantan Tengah", "9062998")
    kalteng = FakeUser(telegram, user_id=9_062_998)
    answer = text_of(await say(kalteng, "/find pandjaitan", ours))
    assert ours in answer and theirs not in answer
    everywhere = text_of(await say(admin, "/find pandjaitan", ours))
    assert ours in everywhere and theirs in everywhere
