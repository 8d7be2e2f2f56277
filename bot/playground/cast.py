"""Who is in the playground, and the settings the bot runs with there.

One citizen writing privately; one staff member, an admin from ADMIN_IDS (so also able to do
all an officer does), writing both in the staff group (STAFF_CHAT_ID, where new cases'
cards land) and privately. Its data lives in a directory of its own so it never mixes with
real data, and nothing reaches the network: the token is a fixed one no Telegram knows and
TELEGRAM_API_URL points at the built-in stand-in."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.playground.people import Person
from bot.playground.telegram_stand_in import BOT_USER, TelegramStandIn
from bot.playground.web import PlaygroundChat

TOKEN = f"{BOT_USER['id']}:playground-not-a-real-token"
CITIZEN = 5_550_001
STAFF_MEMBER = 9_000_001
STAFF_CHAT = -1_001_000_000_001
DATA_DIR = Path("data/playground")


def playground_settings(settings: Settings, api_url: str, data_dir: Path = DATA_DIR) -> Settings:
    """`settings` (PORT, DEFAULT_LOCALE and the like) with everything that could reach real
    data or a real service replaced."""
    return settings.model_copy(
        update={
            "bot_token": TOKEN,
            "telegram_api_url": api_url,
            "database_url": f"sqlite+aiosqlite:///{data_dir / 'lapor.db'}",
            "redis_url": None,
            "evidence_dir": data_dir / "evidence",
            "evidence_url": None,
            "admin_ids": frozenset({STAFF_MEMBER}),
            "staff_chat_id": STAFF_CHAT,
            "webhook_url": None,
        }
    )


def playground_chats(stand_in: TelegramStandIn) -> list[PlaygroundChat]:
    citizen = Person(stand_in, CITIZEN, first_name="Sari", language_code="id")
    in_group = Person(
        stand_in,
        STAFF_MEMBER,
        first_name="Petugas Andi",
        language_code="id",
        chat_id=STAFF_CHAT,
        chat_title="Staf Bawaslu",
    )
    privately = Person(stand_in, STAFF_MEMBER, first_name="Petugas Andi", language_code="id")
    return [
        PlaygroundChat("citizen", "Warga / Citizen", citizen, "+62 812-0000-0001"),
        PlaygroundChat("staff", "Grup staf / Staff group", in_group, "+62 812-0000-0002"),
        PlaygroundChat(
            "officer",
            "Chat pribadi petugas / Officer's private chat",
            privately,
            "+62 812-0000-0002",
        ),
    ]
