"""Agency suggestions at report step 3: the list of agencies reported so far is kept in
memory and reloaded in the background, on a real SQLite file."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from bot.services.agencies import AgencyDirectory, similar_agencies
from bot.services.codes import generate_code
from bot.services.report_fields import agency_key
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case, Reporter


def test_similar_names_are_suggested_but_not_an_exact_match() -> None:
    known = {agency_key(name): name for name in ("Dinas Pendidikan Kota Bandung", "Kecamatan Ubud")}
    assert similar_agencies(known, "dinas pendidikan kota bandungg") == [
        "Dinas Pendidikan Kota Bandung"
    ]
    assert similar_agencies(known, "  DINAS  pendidikan kota bandung ") == []
    assert similar_agencies(known, "Satpol PP Kota Medan") == []


async def test_agency_list_is_kept_and_reloaded_in_the_background(tmp_path: Path) -> None:
    """The agency list is read once, served from memory, refreshed after its interval in
    the background, and knows at once an agency reported through this process."""

    url = f"sqlite+aiosqlite:///{tmp_path / 'agencies.db'}"
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    now = [0.0]
    directory = AgencyDirectory(sessions, reload_seconds=60, clock=lambda: now[0])

    async def report(agency: str) -> None:
        async with sessions() as session, session.begin():
            reporter = Reporter(chat_id=1, identity="anonymous")
            session.add(reporter)
            await session.flush()
            session.add(
                Case(
                    code=generate_code(),
                    category="other",
                    asn_name="Budi",
                    agency=agency,
                    agency_key=agency_key(agency),
                    province="Bali",
                    incident_date=date.today(),
                    description="Membagikan sembako bergambar calon.",
                    reporter_id=reporter.id,
                )
            )

    await report("Dinas Pendidikan Kota Bandung")
    assert await directory.suggestions("Dinas Pendidikan Kota Bandungg") == [
        "Dinas Pendidikan Kota Bandung"
    ]
    await report("Dinas Kesehatan Kota Medan")  # through another instance: not known yet
    assert await directory.suggestions("Dinas Kesehatan Kota Medann") == []
    directory.note("Kecamatan Ubud")  # through this one: known at once
    assert await directory.suggestions("Kecamatan Ubuud") == ["Kecamatan Ubud"]
    now[0] = 61  # the interval has passed: this answer is still the old list ...
    assert await directory.suggestions("Dinas Kesehatan Kota Medann") == []
    for _ in range(100):  # ... and the reload runs in the background
        await asyncio.sleep(0.01)
        if await directory.suggestions("Dinas Kesehatan Kota Medann"):
            break
    assert await directory.suggestions("Dinas Kesehatan Kota Medann") == [
        "Dinas Kesehatan Kota Medan"
    ]
    assert await directory.suggestions("Kecamatan Ubuud") == ["Kecamatan Ubud"]
    await engine.dispose()
