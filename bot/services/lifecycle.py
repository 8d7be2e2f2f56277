"""The case lifecycle in one place: the statuses, the moves between them, which are open and
which final, the sanctions a follow-up records, the reasons a report is rejected, and the
audit trail every change writes. Screens, queries and retention all ask here, so a change
of procedure is a change of this module (as fixmystreet keeps its states on the model)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CaseEvent


class Status(StrEnum):
    """Stable keys: stored with each case and typed in /setstatus; labels are translated
    (bot/ui/labels.py). In lifecycle order."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    FORWARDED = "forwarded"
    PROVEN = "proven"
    NOT_PROVEN = "not_proven"
    REJECTED = "rejected"
    CLOSED = "closed"


STATUSES: tuple[Status, ...] = tuple(Status)

TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (Status.IN_REVIEW, Status.REJECTED),
    Status.IN_REVIEW: (Status.NEEDS_INFO, Status.FORWARDED, Status.REJECTED),
    Status.NEEDS_INFO: (Status.IN_REVIEW, Status.REJECTED),
    Status.FORWARDED: (Status.PROVEN, Status.NOT_PROVEN),
    Status.PROVEN: (Status.CLOSED,),
    Status.NOT_PROVEN: (Status.CLOSED,),
    Status.REJECTED: (),
    Status.CLOSED: (),
}

# Still being handled: listed by /inbox, counted against the decision deadline, and able
# to take a reporter's answers.
OPEN: tuple[Status, ...] = (
    Status.RECEIVED,
    Status.IN_REVIEW,
    Status.NEEDS_INFO,
    Status.FORWARDED,
)
# Nothing more happens: the card loses its buttons, retention counts from here.
FINAL: tuple[Status, ...] = (Status.REJECTED, Status.CLOSED)

# What the civil servant's staffing authority (PPK) did with a recommendation.
SANCTIONS = ("none", "moral", "moderate", "severe")

# Why staff reject a report; each has a message for the reporter (bot/ui/cards.py).
REJECT_REASONS = ("not_asn", "out_of_scope", "duplicate", "no_substance")


@dataclass(frozen=True)
class Deadlines:
    """Days allowed for each stage, told to reporters and checked by /overdue."""

    review_days: int = 2
    decision_days: int = 7
    decision_days_needs_info: int = 14
    follow_up_days: int = 30


class TransitionNotAllowed(ValueError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} -> {wanted}")
        self.current = current
        self.wanted = wanted
        self.allowed = TRANSITIONS.get(Status(current), ()) if current in STATUSES else ()


def can_move(current: str, wanted: str) -> bool:
    return current in STATUSES and wanted in TRANSITIONS[Status(current)]


def audit(
    session: AsyncSession,
    case_id: int | None,
    *,
    actor_id: int | None,
    action: str,
    actor: str = "staff",
    from_status: str | None = None,
    to_status: str | None = None,
    detail: str | None = None,
) -> CaseEvent:
    """Append an event to the audit trail (who, when, what, from -> to). Events are never
    updated or deleted; desk-wide actions (an export) have no case."""
    event = CaseEvent(
        case_id=case_id,
        actor=actor,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )
    session.add(event)
    return event
