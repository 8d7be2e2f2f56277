"""The public site under test, in this process on a free port, as `python -m bot web`
serves it; and cases put in its database the way the bot puts them there: filed through
the intake service and moved along by the desk, each move in the audit trail."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from aiohttp import web

from bot.config import Settings
from bot.services.desk import Desk
from bot.services.intake import IntakeService, ReportDraft
from bot.services.offices import OfficeDirectory
from bot.services.regions import province_of, regency
from bot.services.register import DEFAULT_FORMAT
from bot.services.staff_feed import StaffFeed
from bot.web.app import open_site
from storage.db import SessionFactory

STAFF = 555
# The statuses a case passes through to reach each one (lifecycle.TRANSITIONS).
PATHS: dict[str, tuple[str, ...]] = {
    "received": (),
    "initial_review": ("initial_review",),
    "not_registered": ("not_registered",),
    "registered": ("initial_review", "registered"),
    "examination": ("initial_review", "registered", "examination"),
    "established": ("initial_review", "registered", "examination", "established"),
    "not_established": ("initial_review", "registered", "examination", "not_established"),
    "closed": ("initial_review", "registered", "examination", "established", "closed"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_site(settings: Settings) -> AsyncIterator[str]:
    """The site's base URL ("http://127.0.0.1:PORT")."""
    async with open_site(settings) as app:
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        port = free_port()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


@dataclass
class Seeder:
    sessions: SessionFactory
    prefix: str = "ASN"

    def __post_init__(self) -> None:
        feed = StaffFeed(OfficeDirectory(self.sessions, None), "id")
        self.intake = IntakeService(self.sessions, self.prefix, staff_feed=feed)
        self.desk = Desk(
            self.sessions, self.prefix, staff_feed=feed, register_format=DEFAULT_FORMAT
        )
        self._chats = 900_000

    async def case(
        self,
        status: str = "registered",
        *,
        region: str = "32.73",  # Kota Bandung
        category: str = "social_media",
        **draft_fields: object,
    ) -> str:
        """A report filed from a chat of its own, moved to `status`; its tracking code."""
        place = regency(region)
        province = province_of(region)
        assert province is not None, region
        values: dict[str, object] = {
            # Registration needs the reporter's name and address (Pasal 15(3)).
            "identity": "identified",
            "reporter_name": "Warga Pelapor",
            "reporter_address": "Jl. Contoh 1",
            "asn_name": "Budi Santoso",
            "agency": "Dinas Pendidikan",
            "province": province.name,
            "province_code": province.code,
            "regency_code": place.code if place else None,
            "category": category,
            "incident_date": date(2024, 3, 1),
            "description": "Mengunggah poster calon di media sosial.",
            "place": "Kantor dinas",
            "election": "legislative",
        }
        values.update(draft_fields)
        self._chats += 1
        code = self.intake.new_code()
        await self.intake.submit(
            ReportDraft(**values),  # type: ignore[arg-type]
            code=code,
            chat_id=self._chats,
            locale="id",
        )
        for step in PATHS[status]:
            reason = "material" if step == "not_registered" else None
            await self.desk.set_status(code, step, actor_id=STAFF, reason=reason)
        return code
