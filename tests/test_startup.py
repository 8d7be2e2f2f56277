"""`python -m bot` as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_missing_token_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env here
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "nothing is created before the token is checked"


def test_purge_erases_reporters_of_long_closed_cases_and_keeps_the_cases(tmp_path: Path) -> None:
    import asyncio
    from datetime import date, timedelta

    from sqlmodel import select

    from bot.services.intake import IntakeService, ReportDraft
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade_to_head
    from storage.models import Case, Reporter, utcnow

    url = f"sqlite+aiosqlite:///{tmp_path / 'lapor.db'}"
    upgrade_to_head(url)

    async def seed() -> None:
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        intake = IntakeService(sessions)
        for name, status, age_days in (
            ("Lama", "closed", 400),
            ("Baru", "closed", 10),
            ("Terbuka", "in_review", 400),
        ):
            draft = ReportDraft(
                identity="identified",
                reporter_name=f"Pelapor {name}",
                reporter_phone="+62811",
                asn_name=f"ASN {name}",
                agency="Dinas Sosial",
                province="Bali",
                category="other",
                incident_date=date(2025, 1, 1),
                description="Membagikan sembako bergambar calon kepada warga.",
                place="Denpasar",
            )
            case, _new = await intake.submit(
                draft, code=intake.new_code(), chat_id=1000 + age_days, locale="id"
            )
            async with sessions() as session:
                stored = await session.get(Case, case.id)
                stored.status = status
                stored.status_changed_at = utcnow() - timedelta(days=age_days)
                session.add(stored)
                await session.commit()
        await engine.dispose()

    async def remaining() -> list[tuple[str, int | None, str | None, str | None]]:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            rows = (
                await session.exec(
                    select(Case.asn_name, Reporter.chat_id, Reporter.name, Reporter.phone)
                    .join(Reporter, Reporter.id == Case.reporter_id)
                    .order_by(Case.id)
                )
            ).all()
        await engine.dispose()
        return [tuple(row) for row in rows]

    asyncio.run(seed())
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 reporter" in result.stdout
    assert asyncio.run(remaining()) == [
        ("ASN Lama", None, None, None),  # the case stays; who reported it is gone
        ("ASN Baru", 1010, "Pelapor Baru", "+62811"),
        ("ASN Terbuka", 1400, "Pelapor Terbuka", "+62811"),
    ]
