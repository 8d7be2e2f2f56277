"""Finding the cases that carry a copy of a picture, when only the newest are wanted: a new
report is linked to at most LINKS_PER_CASE earlier ones (services/related.py)."""

from __future__ import annotations

from sqlmodel import col, select

from bot.services.similar_images import cases_with_copies, distance, hash_rows
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case
from tests.helpers.seed import seed_cases

PICTURE = "0123456789abcdef"
COPY = "0123456789abcdec"  # two bits apart: a re-encoded copy
# Same first band as the picture, so a candidate, but a different picture altogether.
LOOKALIKE_BAND = "0123fedcba987654"


async def test_the_newest_copies_are_found_past_a_page_of_other_pictures(
    database_url: str,
) -> None:
    assert distance(PICTURE, COPY) == 2 and distance(PICTURE, LOOKALIKE_BAND) > 6
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        # 30 older cases carry copies; the 250 newer ones a picture sharing only a band.
        await seed_cases(sessions, [{} for _ in range(280)])
        async with sessions() as session:
            ids = list((await session.exec(select(Case.id).order_by(col(Case.id)))).all())
            copies, others = ids[:30], ids[30:]
            for case_id in copies:
                session.add_all(hash_rows(case_id, [COPY]))
            for case_id in others:
                session.add_all(hash_rows(case_id, [LOOKALIKE_BAND]))
            await session.commit()
        async with sessions() as session:
            newest = await cases_with_copies(session, [PICTURE], other_than=0, newest=20)
            every = await cases_with_copies(session, [PICTURE], other_than=0)
    finally:
        await engine.dispose()
    assert newest == sorted(copies, reverse=True)[:20]
    assert every == sorted(copies, reverse=True)
