"""Many cases at once, straight into the database, for tests that need more than a handful
(filing each through the dialog takes a second). Each has its own identified reporter,
whose name and phone a search or an export must never show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from storage.db import SessionFactory
from storage.models import Case, Reporter

SEEDED_REPORTER = "Yohana Rahasia Sitompul"
SEEDED_PHONE = "+6281377770001"


async def seed_cases(sessions: SessionFactory, rows: list[dict[str, Any]]) -> list[str]:
    """One case per dict (its fields over plain defaults), in order: their codes."""
    codes = []
    async with sessions() as session:
        for row in rows:
            reporter = Reporter(identity="identified", name=SEEDED_REPORTER, phone=SEEDED_PHONE)
            session.add(reporter)
            await session.flush()
            number = len(codes) + 1
            when = row.get("created_at", datetime(2026, 10, 1, 3, 0, tzinfo=UTC))
            values: dict[str, Any] = {
                "code": f"LN-S{number:05d}",
                "status": "received",
                "category": "social_media",
                "asn_name": f"Pegawai {number}",
                "agency": "Dinas Contoh",
                "agency_key": "dinas contoh",
                "province": "Jawa Barat",
                "region_code": "32.73",
                "office_code": "32.73",
                "incident_date": date(2026, 9, 30),
                "description": f"Uraian kejadian {number}",
                "reporter_id": reporter.id,
                "created_at": when,
                "status_changed_at": when,
            }
            values.update(row)
            session.add(Case(**values))
            codes.append(values["code"])
        await session.commit()
    return codes
