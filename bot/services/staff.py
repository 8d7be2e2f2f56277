"""Who is staff, with which role, at which office. Admins from ADMIN_IDS are admins of
Bawaslu RI from the first start. An admin manages the staff of their office and of the
offices below it."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.offices import RI, covers
from storage.db import SessionFactory, dialect_insert
from storage.models import Staff, StaffName, utcnow

log = logging.getLogger(__name__)

ROLES = ("officer", "admin")
# Telegram user ids have at most 52 significant bits.
_LARGEST_USER_ID = 2**52


def parse_user_id(text: str) -> int | None:
    """A Telegram user id typed by staff, or None for anything else (a 30-digit number
    would overflow the database's integer)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value < _LARGEST_USER_ID else None


class StaffError(ValueError):
    """A staff-management request that cannot be done; `reason` is a stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    role: str  # "officer" | "admin"
    office: str  # "RI", a province or a regency code

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class StaffDirectory:
    def __init__(self, session_factory: SessionFactory, bootstrap_admins: Iterable[int]) -> None:
        self._sessions = session_factory
        self._bootstrap = frozenset(bootstrap_admins)
        self._names: dict[int, str] = {}

    @property
    def bootstrap_admins(self) -> frozenset[int]:
        return self._bootstrap

    async def member(self, user_id: int) -> StaffMember | None:
        """Read on every use, so a removal or a move takes effect at once."""
        if user_id in self._bootstrap:
            return StaffMember(user_id, "admin", RI)
        async with self._sessions() as session:
            row = await session.get(Staff, user_id)
        return StaffMember(user_id, row.role, row.office_code) if row else None

    async def remember_name(self, user_id: int, name: str) -> None:
        """The name a staff member goes by, written when it is new or changed (checked
        against what this process last wrote, so an unchanged name costs nothing)."""
        name = name.strip()[:200]
        if not name or self._names.get(user_id) == name:
            return
        # One statement: a staff member's first two updates at once (a button pressed in the
        # group, a command in private) both find no row, and the second INSERT was refused.
        table = StaffName.__table__  # type: ignore[attr-defined]
        async with self._sessions() as session, session.begin():
            values = {"user_id": user_id, "name": name, "updated_at": utcnow()}
            insert = dialect_insert(session.bind.dialect.name)(table).values(values)
            await session.exec(
                insert.on_conflict_do_update(
                    index_elements=[table.c.user_id],
                    set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at},
                )
            )  # type: ignore[call-overload]
        self._names[user_id] = name

    async def names(self, user_ids: Collection[int]) -> dict[int, str]:
        async with self._sessions() as session:
            return await staff_names(session, user_ids)

    async def role_of(self, user_id: int) -> str | None:
        member = await self.member(user_id)
        return member.role if member else None

    async def add(self, user_id: int, role: str, office: str, *, by: StaffMember) -> None:
        """Add (or move, or change the role of) a staff member; `by` must be an admin whose
        office covers both `office` and, for someone already staff, their present one."""
        if role not in ROLES:
            raise StaffError("bad_role")
        if user_id in self._bootstrap:
            raise StaffError("bootstrap_admin")
        if not covers(by.office, office):
            raise StaffError("outside_office")
        async with self._sessions() as session, session.begin():
            row = await session.get(Staff, user_id)
            if row is not None and not covers(by.office, row.office_code):
                raise StaffError("outside_office")
            if row is None:
                row = Staff(user_id=user_id, role=role, added_by=by.user_id)
            row.role, row.office_code = role, office
            session.add(row)
        log.info(
            "staff added",
            extra={"staff": user_id, "role": role, "office": office, "by": by.user_id},
        )

    async def remove(self, user_id: int, *, by: StaffMember) -> None:
        if user_id in self._bootstrap:
            raise StaffError("bootstrap_admin")
        async with self._sessions() as session, session.begin():
            row = await session.get(Staff, user_id)
            if row is None or not covers(by.office, row.office_code):
                raise StaffError("not_staff")
            await session.delete(row)
        log.info("staff removed", extra={"staff": user_id, "by": by.user_id})

    async def members(self, *, within: str = RI) -> list[StaffMember]:
        """Staff of office `within` and of the offices below it."""
        async with self._sessions() as session:
            rows = (await session.exec(select(Staff).order_by(Staff.user_id))).all()
        listed = {row.user_id: StaffMember(row.user_id, row.role, row.office_code) for row in rows}
        for admin in self._bootstrap:
            listed[admin] = StaffMember(admin, "admin", RI)
        return [member for _id, member in sorted(listed.items()) if covers(within, member.office)]


async def staff_names(session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    """The names known for these staff members (those never seen are left out)."""
    if not user_ids:
        return {}
    rows = await session.exec(
        select(StaffName.user_id, StaffName.name).where(col(StaffName.user_id).in_(user_ids))
    )
    return dict(rows.all())
