"""Register numbers: each office numbers the reports (LP) and findings (TM) it registers,
from 1 each year, in the institution's format. Bawaslu's registers show numbers like
"002/LP/PL/Kab/27.09/III/2024": sequence, kind, election, office level, region, month in
Roman numerals, year. The format is REGISTER_NUMBER_FORMAT; the region is the office's
Kemendagri code (Bawaslu's own region numbering is not public), docs/domain.md."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import regions
from bot.services.elections import register_code
from bot.services.offices import RI
from storage.models import RegisterCounter

DEFAULT_FORMAT = "{number:03d}/{kind}/{election}/{level}/{region}/{month}/{year}"
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
KIND_CODES = {"report": "LP", "finding": "TM"}


class BadRegisterFormat(ValueError):
    """REGISTER_NUMBER_FORMAT names a field that does not exist, or is not a format."""


def office_level(office_code: str) -> str:
    if office_code == RI:
        return "RI"
    if regions.province(office_code) is not None:
        return "Prov"
    regency = regions.regency(office_code)
    return "Kota" if regency is not None and regency.kind == "kota" else "Kab"


def region_part(office_code: str) -> str:
    """ "00.00" for RI, "62.00" for a province, "62.10" for a regency or city."""
    if office_code == RI:
        return "00.00"
    return office_code if "." in office_code else f"{office_code}.00"


def register_number(
    template: str, *, number: int, kind: str, election: str, office_code: str, on: date
) -> str:
    return template.format(
        number=number,
        kind=KIND_CODES[kind],
        election=register_code(election),
        level=office_level(office_code),
        region=region_part(office_code),
        month=ROMAN_MONTHS[on.month - 1],
        year=on.year,
    )


def check_format(template: str) -> None:
    """Refuse a format that cannot make a number, at start rather than at the first
    registration."""
    if "{number" not in template:
        raise BadRegisterFormat("the format has no {number}")
    try:
        register_number(
            template,
            number=1,
            kind="report",
            election="legislative",
            office_code=RI,
            on=date.today(),
        )
    except (KeyError, IndexError, ValueError) as error:
        raise BadRegisterFormat(f"{type(error).__name__}: {error}") from error


async def next_number(session: AsyncSession, office_code: str, year: int, kind: str) -> int:
    """The office's next number for `kind` in `year`, taken in the caller's transaction: the
    counter row is locked until it commits, so two registrations never share a number."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite if dialect == "sqlite" else None
    if module is None:
        raise RuntimeError(f"register numbers need PostgreSQL or SQLite, not {dialect}")
    statement = module.insert(RegisterCounter).values(
        office_code=office_code, year=year, kind=KIND_CODES[kind], last=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["office_code", "year", "kind"],
        set_={"last": RegisterCounter.__table__.c.last + 1},
    ).returning(RegisterCounter.__table__.c.last)
    return int((await session.exec(statement)).scalar_one())
