"""A fake Telegram Bot API server and users, for tests that drive the real bot over HTTP."""

from tests.fakebot.server import Call, FakeTelegram
from tests.fakebot.user import FakeUser

__all__ = ["Call", "FakeTelegram", "FakeUser"]
