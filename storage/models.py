"""Database tables. Times are timezone-aware UTC, except EXIF capture times (see Evidence)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment with its zone: SQLite hands DateTime columns back naive, and they
    are UTC (every one is written by utcnow)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Reporter(SQLModel, table=True):
    """Who filed one case. Anonymous reporters leave only the chat used to notify them."""

    id: int | None = Field(default=None, primary_key=True)
    # Nullable so retention can erase it while the case stays.
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    # "anonymous" | "identified"; "finding" for a case staff opened themselves (no one to
    # notify: its chat is None).
    identity: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=200)
    # A formal requirement of a report (Perbawaslu 7/2022 Pasal 15(3)): name and address.
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    locale: str = Field(default="id", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


# Established (terbukti) cases only: /stats and the public figures read their headline
# (the follow-up chain, provinces, time to a sanction, repeat offenders) from this small
# index alone instead of each established case's row (migration 0012).
_PROVEN = text("proven_at IS NOT NULL")
# Findings only: their count by office, merged ones apart, without reading the table.
_FINDING = text("kind = 'finding'")


class Case(SQLModel, table=True):
    __table_args__ = (
        Index("ix_case_status_created", "status", "created_at"),
        # A regency's desk lists its own few cases without scanning the country's.
        Index("ix_case_office_created", "office_code", "created_at"),
        # /find at a regency's desk reads its cases' names from this index alone
        # (bot/services/name_search.py).
        Index("ix_case_office_names", "office_code", "asn_name", "agency_key", "id"),
        # /overdue and the reminders: the open cases past their stage's deadline.
        Index("ix_case_deadline", "deadline_at"),
        Index(
            "ix_case_proven_cover",
            "office_code",
            "province",
            "followed_up_at",
            "ppk_response",
            "recommendation_sent_at",
            "follow_up_due_at",
            "created_at",
            "asn_nip",
            "asn_name",
            "agency_key",
            sqlite_where=_PROVEN,
            postgresql_where=_PROVEN,
        ),
        Index(
            "ix_case_findings",
            "office_code",
            "status",
            sqlite_where=_FINDING,
            postgresql_where=_FINDING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    status: str = Field(default="received", max_length=16)
    # "report" (laporan, from a citizen) or "finding" (temuan, staff's own supervision).
    kind: str = Field(default="report", max_length=8)
    # The election concerned (services/elections.py): decides the office level, the
    # deadlines' regime and the register number's code. "unknown" until someone says.
    election: str = Field(default="unknown", max_length=16)
    # Who the reported person is (lifecycle.PARTY_KINDS): an ASN, a village head, a member
    # of TNI or Polri...: the authority a violation is forwarded to depends on it.
    party_kind: str = Field(default="asn", max_length=16)
    category: str = Field(max_length=32, index=True)  # /stats counts by it
    asn_name: str = Field(max_length=200)
    asn_position: str | None = Field(default=None, max_length=200)
    asn_nip: str | None = Field(default=None, max_length=18, index=True)
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
    # When the reporter learned of it: the 7 days to report count from here (Pasal 8(3)).
    date_known: date | None = None
    place: str | None = Field(default=None, max_length=500)
    place_url: str | None = Field(default=None, max_length=1000)
    description: str = Field(sa_column=Column(Text, nullable=False))
    witnesses: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reporter_id: int = Field(foreign_key="reporter.id", index=True)
    assignee_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    public_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    status_changed_at: datetime = Field(default_factory=utcnow)
    # Registration (registrasi): the number in the office's register and when; the
    # decision period counts from then (services/deadlines.py).
    register_number: str | None = Field(default=None, max_length=64, unique=True, index=True)
    registered_at: datetime | None = None
    # The end of the current stage's statutory period (kajian awal, completion, decision),
    # None once decided. `extended` once the decision period has been extended.
    deadline_at: datetime | None = None
    extended: bool = False
    # Why it was not registered or stopped (lifecycle.NOT_REGISTERED_REASONS), for counting.
    outcome_reason: str | None = Field(default=None, max_length=16)
    # A duplicate merged into another case: that case carries on, and this one's reporter
    # hears its news.
    merged_into_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    # The card posted in a staff group, edited in place as the case moves; the group it is
    # in (an office's group; None for cards posted before offices had groups of their own).
    staff_card_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    card_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # Follow-up of an established violation (services/follow_up.py): forwarded with the
    # office's recommendation to `recommendation_to` (BKN) on `recommendation_sent_at`,
    # which starts the follow-up clock (`follow_up_due_at`); BKN's recommendation of a
    # sanction to the civil servant's Pejabat Pembina Kepegawaian (`ppk`); and what the PPK
    # did: "imposed" `sanction` by a decree, or "declined" with a reason; recorded at
    # `followed_up_at`. No response by the due date is "no response", never followed up.
    recommendation_to: str | None = Field(default=None, max_length=300)
    recommendation_sent_at: datetime | None = None
    follow_up_due_at: datetime | None = None
    ppk: str | None = Field(default=None, max_length=200)
    bkn_recommended_at: date | None = None
    bkn_sanction: str | None = Field(default=None, max_length=16)  # lifecycle.SANCTIONS
    ppk_response: str | None = Field(default=None, max_length=16)  # imposed | declined
    sanction: str | None = Field(default=None, max_length=16)  # imposed: lifecycle.SANCTIONS
    ppk_decree: str | None = Field(default=None, max_length=100)
    ppk_decree_date: date | None = None
    ppk_reason: str | None = Field(default=None, max_length=500)
    followed_up_at: datetime | None = None
    # When the violation was first established (terbukti). Never cleared: closing a case
    # does not undo the decision. The audit trail records the same change; this copy is
    # what /stats counts.
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
    # The picture's difference hash; its copies are found through ImageHash.
    phash: str | None = Field(default=None, max_length=16)
    size: int
    # EXIF DateTimeOriginal carries no zone: kept naive, as the camera wrote it.
    captured_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    # "report": sent with the report; "answer": sent later by the reporter; "staff": a
    # statement or document staff recorded (klarifikasi).
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


class ImageHash(SQLModel, table=True):
    """A difference hash of a case's picture (several per picture: images.look_alike_hashes),
    cut into four 16-bit bands, each indexed: two hashes within 7 bits of each other agree
    to within one bit on at least one band, so a few exact look-ups per band find every
    near copy among millions (services/similar_images.py)."""

    __tablename__ = "image_hash"
    # Each band's index carries the hash and the case as well: a look-up's thousands of
    # candidates at a million cases are read from the indexes alone, never the table
    # (bench/RESULTS.md: 30 → 8 ms for the reads at 3 million rows).
    __table_args__ = tuple(
        Index(f"ix_image_hash_band{band}_cover", f"band{band}", "hash", "case_id")
        for band in range(4)
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    hash: str = Field(max_length=16)
    band0: int
    band1: int
    band2: int
    band3: int


class StaffName(SQLModel, table=True):
    """The name a staff member goes by in Telegram, shown where they acted (cards, history)
    instead of their id. Kept for ADMIN_IDS admins too, who have no `staff` row."""

    __tablename__ = "staff_name"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    name: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class RegisterCounter(SQLModel, table=True):
    """The last number an office's register gave in a year, per kind (LP reports, TM
    findings): registration takes the next one in its own transaction."""

    __tablename__ = "register_counter"

    office_code: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=4)
    last: int = 0


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
