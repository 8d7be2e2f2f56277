"""Database tables. Times are timezone-aware UTC, except EXIF capture times (see Evidence)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Reporter(SQLModel, table=True):
    """Who filed one case. Anonymous reporters leave only the chat used to notify them."""

    id: int | None = Field(default=None, primary_key=True)
    # Nullable so retention can erase it while the case stays.
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    identity: str = Field(max_length=16)  # "anonymous" | "identified"
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    locale: str = Field(default="id", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


# Proven cases only: /stats reads its headline (how many, how many followed up, in how many
# provinces) from this small index instead of joining the audit trail to every case.
_PROVEN = text("proven_at IS NOT NULL")


class Case(SQLModel, table=True):
    __table_args__ = (
        Index("ix_case_status_created", "status", "created_at"),
        # A regency's desk lists its own few cases without scanning the country's.
        Index("ix_case_office_created", "office_code", "created_at"),
        Index(
            "ix_case_proven_province",
            "province",
            "followed_up_at",
            sqlite_where=_PROVEN,
            postgresql_where=_PROVEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    status: str = Field(default="received", max_length=16)
    category: str = Field(max_length=32, index=True)  # /stats counts by it
    asn_name: str = Field(max_length=200)
    asn_position: str | None = Field(default=None, max_length=200)
    asn_nip: str | None = Field(default=None, max_length=18)
    agency: str = Field(max_length=200)
    # Lower-cased, whitespace-folded agency, for suggestions and related-case matching.
    agency_key: str = Field(max_length=200, index=True)
    province: str = Field(max_length=64, index=True)  # /stats counts by it
    # Where it happened, by Kemendagri code: the regency/city ("62.10") when the reporter
    # knew it, else the province ("62"). services/regions.py names it.
    region_code: str = Field(default="", max_length=8, index=True)
    # The office handling it ("RI", "62", "62.10"): where it happened, until a transfer
    # (pelimpahan) moves it. Staff see the cases of their office and of those below it.
    office_code: str = Field(default="RI", max_length=8)
    incident_date: date
    place: str | None = Field(default=None, max_length=500)
    place_url: str | None = Field(default=None, max_length=1000)
    description: str = Field(sa_column=Column(Text, nullable=False))
    witnesses: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reporter_id: int = Field(foreign_key="reporter.id", index=True)
    assignee_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    public_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    status_changed_at: datetime = Field(default_factory=utcnow)
    # Set once staff have asked the reporter for more: the decision deadline is then longer.
    info_requested: bool = False
    # The card posted in a staff group, edited in place as the case moves; the group it is
    # in (an office's group; None for cards posted before offices had groups of their own).
    staff_card_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    card_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # Follow-up of a proven case: the recommendation to the staffing authority (PPK) and
    # what that authority did about it.
    recommendation_to: str | None = Field(default=None, max_length=300)
    recommendation_sent_at: datetime | None = None
    follow_up_due_at: datetime | None = None
    sanction: str | None = Field(default=None, max_length=16)  # none|moral|moderate|severe
    followed_up_at: datetime | None = None
    # When the case was first marked proven. Never cleared: closing a case does not undo the
    # finding. The audit trail records the same change; this copy is what /stats counts.
    proven_at: datetime | None = None
    # Raised by every change made through the ORM, which writes only if the row still has
    # the version it read (compare-and-set): two officers acting on one case at the same
    # moment cannot both win. Buttons carry the version their card showed.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict[str, object]:
        return {"version_id_col": cls.__table__.c.version}


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=16)  # "image" | "pdf" | "video"
    mime: str = Field(max_length=64)
    storage_key: str = Field(max_length=300)
    thumbnail_key: str | None = Field(default=None, max_length=300)
    sha256: str = Field(max_length=64, index=True)
    original_sha256: str = Field(max_length=64)
    phash: str | None = Field(default=None, max_length=16, index=True)
    size: int
    # EXIF DateTimeOriginal carries no zone: kept naive, as the camera wrote it.
    captured_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    # "report" for files sent with the report, "answer" for files sent answering staff.
    source: str = Field(default="report", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class CaseEvent(SQLModel, table=True):
    """Audit trail: append-only, one row per change. Desk-wide actions (an export) have no
    case."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    actor: str = Field(max_length=16)  # "reporter" | "staff" | "system"
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class Staff(SQLModel, table=True):
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    role: str = Field(max_length=16)  # "officer" | "admin"
    # The office they belong to ("RI", a province or a regency code): what they may see.
    office_code: str = Field(default="RI", max_length=8)
    added_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class Office(SQLModel, table=True):
    """An office that has been set up: its staff group. Offices are the regions' (one per
    province and regency/city, and RI); only those with a group need a row."""

    code: str = Field(primary_key=True, max_length=8)  # "RI", "62", "62.10"
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    linked_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class ChatPreference(SQLModel, table=True):
    __tablename__ = "chat_preference"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    locale: str = Field(max_length=8)


class ConversationState(SQLModel, table=True):
    """aiogram FSM state and data, so a conversation survives a restart."""

    __tablename__ = "conversation_state"

    key: str = Field(primary_key=True, max_length=200)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    state: str | None = Field(default=None, max_length=200)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class CaseLink(SQLModel, table=True):
    """Two cases that look related: the same civil servant at the same agency, or the same
    image. Stored once per pair, lower id first."""

    __tablename__ = "case_link"

    case_id: int = Field(foreign_key="case.id", primary_key=True)
    other_case_id: int = Field(foreign_key="case.id", primary_key=True, index=True)
    reason: str = Field(primary_key=True, max_length=16)  # "same_person" | "same_image"
    created_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """Messages owed to someone, written in the same transaction as the change that caused
    them and delivered by the sender, so none is lost to a crash or a Telegram error."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(max_length=32)  # what to render: "status_changed", "question", ...
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    locale: str = Field(default="id", max_length=8)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class JobRun(SQLModel, table=True):
    """A periodic job done for a period (the overdue reminder of a day): the first instance
    to insert the row does it, the others see the key taken."""

    __tablename__ = "job_run"

    job: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class ProcessedUpdate(SQLModel, table=True):
    """Webhook updates already handled (or being handled), so Telegram's redelivery of an
    update does no harm."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    claimed_at: datetime = Field(default_factory=utcnow, index=True)
    done: bool = False
