"""The supervision hierarchy: Bawaslu RI, a Bawaslu Provinsi per province and a Bawaslu
Kabupaten/Kota per regency and city, each office named by its region's code ("RI", "62",
"62.10") and named as the institution names itself.

A case belongs to the office of the place where it happened; staff see the cases of their
office and of the offices below it. An office's staff group is configured, not coded (an
`office` row, or STAFF_CHAT_ID for RI): a case's card goes to the group of its office, or,
where that office has none yet, of the nearest office above it that has one. So a deployment
can start with RI alone and grow office by office."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlmodel import col, select

from bot.services import regions
from storage.db import SessionFactory
from storage.models import Case, Office, utcnow

log = logging.getLogger(__name__)

RI = "RI"
# Office groups are read from the database at most this often per process: a group linked
# through another instance is used within this many seconds.
GROUPS_TTL_SECONDS = 30.0


def office_name(code: str) -> str:
    """ "Bawaslu Republik Indonesia", "Bawaslu Provinsi Kalimantan Tengah", "Bawaslu
    Kabupaten Gunung Mas"."""
    if code == RI:
        return "Bawaslu Republik Indonesia"
    province = regions.province(code)
    if province is not None:
        return f"Bawaslu Provinsi {province.name}"
    regency = regions.regency(code)
    return f"Bawaslu {regency.name}" if regency is not None else code


def is_office(code: str) -> bool:
    return code == RI or regions.province(code) is not None or regions.regency(code) is not None


def parent(code: str) -> str | None:
    if code == RI:
        return None
    return code.rsplit(".", 1)[0] if "." in code else RI


def ancestry(code: str) -> list[str]:
    """The office and those above it, nearest first: "62.10", "62", "RI"."""
    chain: list[str] = []
    current: str | None = code
    while current is not None:
        chain.append(current)
        current = parent(current)
    return chain


def natural_office(region_code: str) -> str:
    """The office of the place: the regency's or city's when it is known, else the
    province's (a governor's election and a regent's are the same place's business until
    the procedure tells them apart)."""
    return region_code if is_office(region_code) and region_code else RI


def covers(scope: str, office_code: str) -> bool:
    """Whether staff of office `scope` may see and act on a case of `office_code`."""
    return scope in ancestry(office_code)


def in_scope(scope: str) -> ColumnElement[bool] | None:
    """The SQL condition for the cases staff of `scope` see (None: all of them). A range
    on office_code rather than LIKE, so the index serves it on SQLite too."""
    if scope == RI:
        return None
    if "." in scope:
        return col(Case.office_code) == _written_in(scope)
    # A province: its own code and every "62.xx" below it, and nothing of "63".
    following = f"{scope[:-1]}{chr(ord(scope[-1]) + 1)}"
    return and_(
        col(Case.office_code) >= _written_in(scope),
        col(Case.office_code) < _written_in(following),
    )


def _written_in(code: str) -> BindParameter[str]:
    """An office code written into the statement rather than sent as a parameter. From
    the sixth run of a prepared statement PostgreSQL may switch to a generic plan, made
    without the values: for a province's range it cannot tell a small province from the
    largest (a fifth of all cases). With parameters, /find at the largest province's desk
    took about 200 ms from its sixth run on, against 4-13 before (bench/RESULTS.md)."""
    return bindparam(None, code, literal_execute=True)


def find_office(text: str) -> str | None:
    """The office an admin means: a code ("62.10", "ri"), or a name as people write it
    ("Gunung Mas", "Bawaslu Provinsi Kalimantan Tengah", "Kota Palangkaraya")."""
    typed = text.strip()
    if typed.upper() == RI or typed.casefold() in ("bawaslu ri", "bawaslu republik indonesia"):
        return RI
    if is_office(typed):
        return typed
    words = typed.casefold().replace("bawaslu", " ").replace("provinsi", " ").split()
    wanted = " ".join(words)
    province = regions.province_by_name(wanted)
    if province is not None:
        return province.code
    matches = [
        regency
        for item in regions.provinces()
        for regency in regions.match_regencies(item.code, wanted)
    ]
    return matches[0].code if len(matches) == 1 else None


@dataclass(frozen=True)
class OfficeGroup:
    code: str
    chat_id: int


class OfficeDirectory:
    """Which office has which staff group. STAFF_CHAT_ID is RI's group unless RI has been
    given one in the database."""

    def __init__(
        self,
        session_factory: SessionFactory,
        fallback_ri_chat: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = session_factory
        self._fallback = fallback_ri_chat
        self._clock = clock
        self._groups: dict[str, int] | None = None
        self._read_at = 0.0

    async def groups(self) -> dict[str, int]:
        """Office code -> group chat id, for every office that has a group."""
        if self._groups is None or self._clock() - self._read_at > GROUPS_TTL_SECONDS:
            async with self._sessions() as session:
                rows = (await session.exec(select(Office))).all()
            groups = {row.code: row.chat_id for row in rows}
            if RI not in groups and self._fallback is not None:
                groups[RI] = self._fallback
            self._groups, self._read_at = groups, self._clock()
        return self._groups

    async def group_for(self, office_code: str) -> int | None:
        """The group a case of `office_code` is carded in: its office's, or the nearest
        office's above it."""
        groups = await self.groups()
        return next((groups[code] for code in ancestry(office_code) if code in groups), None)

    async def office_of_chat(self, chat_id: int) -> str | None:
        groups = await self.groups()
        return next((code for code, chat in groups.items() if chat == chat_id), None)

    async def link(self, code: str, chat_id: int, *, by: int) -> None:
        """Make `chat_id` the staff group of office `code` (a group serves one office)."""
        async with self._sessions() as session, session.begin():
            await session.exec(delete(Office).where(col(Office.chat_id) == chat_id))  # type: ignore[call-overload]
            existing = await session.get(Office, code)
            if existing is None:
                session.add(Office(code=code, chat_id=chat_id, linked_by=by))
            else:
                existing.chat_id, existing.linked_by = chat_id, by
                existing.created_at = utcnow()
                session.add(existing)
        self._groups = None
        log.info("office group linked", extra={"office": code, "by": by})

    async def unlink(self, chat_id: int) -> str | None:
        async with self._sessions() as session, session.begin():
            row = (await session.exec(select(Office).where(col(Office.chat_id) == chat_id))).first()
            if row is not None:
                await session.delete(row)
        self._groups = None
        return row.code if row is not None else None
