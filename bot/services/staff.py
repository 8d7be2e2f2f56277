"""Who is staff, and with which role. Admins from ADMIN_IDS are admins from the first start."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlmodel import select

from storage.db import SessionFactory
from storage.models import Staff

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


class StaffDirectory:
    def __init__(self, session_factory: SessionFactory, bootstrap_admins: Iterable[int]) -> None:
        self._sessions = session_factory
        self._bootstrap = frozenset(bootstrap_admins)

    @property
    def bootstrap_admins(self) -> frozenset[int]:
        return self._bootstrap

    async def role_of(self, user_id: int) -> str | None:
        """Read on every use, so a removal takes effect at once."""
        if user_id in self._bootstrap:
            return "admin"
        async with self._sessions() as session:
            member = await session.get(Staff, user_id)
        return member.role if member else None

    async def add(self, user_id: int, role: str, by: int) -> None:
        if role not in ROLES:
            raise StaffError("bad_role")
        async with self._sessions() as session, session.begin():
            member = await session.get(Staff, user_id)
            if member is None:
                member = Staff(user_id=user_id, role=role, added_by=by)
            member.role = role
            session.add(member)
        log.info("staff added", extra={"staff": user_id, "role": role, "by": by})

    async def remove(self, user_id: int, by: int) -> None:
        if user_id in self._bootstrap:
            raise StaffError("bootstrap_admin")
        async with self._sessions() as session, session.begin():
            member = await session.get(Staff, user_id)
            if member is None:
                raise StaffError("not_staff")
            await session.delete(member)
        log.info("staff removed", extra={"staff": user_id, "by": by})

    async def members(self) -> list[tuple[int, str]]:
        async with self._sessions() as session:
            rows = (await session.exec(select(Staff).order_by(Staff.user_id))).all()
        listed = {row.user_id: row.role for row in rows}
        for admin in self._bootstrap:
            listed[admin] = "admin"
        return sorted(listed.items())
