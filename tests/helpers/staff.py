"""Who is staff in the tests: one admin (from ADMIN_IDS), one officer, one staff group."""

from __future__ import annotations

from tests.fakebot import FakeUser
from tests.helpers.dialog import say

ADMIN = 9_000_001
OFFICER = 9_000_002
STAFF_CHAT = -1_001_234_567_890


async def make_officer(admin: FakeUser, user_id: int = OFFICER) -> None:
    await say(admin, f"/staff add {user_id} officer", str(user_id))
