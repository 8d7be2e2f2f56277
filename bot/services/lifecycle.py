"""The case lifecycle in one place, as the supervisors' procedure runs it: the statuses, the
moves between them, which are open and which final, the reasons a report is not
registered, the sanctions a follow-up records, and the audit trail every change writes.
Screens, queries and retention all ask here, so a change of procedure is a change of this
module (as fixmystreet keeps its states on the model). The rules and their articles are in
docs/domain.md.

    received ─► initial_review ─► registered ─► examination ─► established ─► forwarded ─► closed
                   │    ▲   │          │              │  ├──► not_established ─► closed
                   ▼    │   │          └──► stopped ◄─┘  └──► stopped ─► closed
               completion   └──► not_registered
    (any open case may be merged into another: merged)

Perbawaslu 7/2022: a report is reviewed (kajian awal, Pasal 15) and then registered,
returned to the reporter for completion, or not registered; a registered report is examined
(klarifikasi) and decided within the statutory period (UU 7/2017 Pasal 454(7)-(8)); a
violation of another law than the election law, as ASN neutrality is, is forwarded to the
authority that sanctions it (UU 7/2017 Pasal 455(1)(c); Perbawaslu 7/2022 Pasal 22)."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CaseEvent


class Status(StrEnum):
    """Stable keys: stored with each case and typed in /setstatus; labels are translated
    (bot/ui/labels.py). In lifecycle order."""

    RECEIVED = "received"
    INITIAL_REVIEW = "initial_review"
    COMPLETION = "completion"
    REGISTERED = "registered"
    EXAMINATION = "examination"
    ESTABLISHED = "established"
    NOT_ESTABLISHED = "not_established"
    STOPPED = "stopped"
    NOT_REGISTERED = "not_registered"
    FORWARDED = "forwarded"
    CLOSED = "closed"
    MERGED = "merged"


STATUSES: tuple[Status, ...] = tuple(Status)

TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (Status.INITIAL_REVIEW, Status.NOT_REGISTERED),
    Status.INITIAL_REVIEW: (Status.REGISTERED, Status.COMPLETION, Status.NOT_REGISTERED),
    # Completed in time it is registered; not completed in time it is not registered.
    Status.COMPLETION: (Status.REGISTERED, Status.NOT_REGISTERED, Status.INITIAL_REVIEW),
    Status.REGISTERED: (Status.EXAMINATION, Status.STOPPED),
    Status.EXAMINATION: (Status.ESTABLISHED, Status.NOT_ESTABLISHED, Status.STOPPED),
    Status.ESTABLISHED: (Status.FORWARDED, Status.CLOSED),
    Status.NOT_ESTABLISHED: (Status.CLOSED,),
    Status.STOPPED: (Status.CLOSED,),
    Status.FORWARDED: (Status.CLOSED,),
    Status.NOT_REGISTERED: (),
    Status.CLOSED: (),
    Status.MERGED: (),
}

# Still being handled before a decision: listed by /inbox by default, able to take a
# reporter's answers and additions, and able to be merged into another case.
OPEN: tuple[Status, ...] = (
    Status.RECEIVED,
    Status.INITIAL_REVIEW,
    Status.COMPLETION,
    Status.REGISTERED,
    Status.EXAMINATION,
)
# Decided, but the matter goes on (the hand-off to the civil-service authority).
DECIDED: tuple[Status, ...] = (
    Status.ESTABLISHED,
    Status.NOT_ESTABLISHED,
    Status.STOPPED,
    Status.FORWARDED,
)
# Nothing more happens: the card loses its buttons, retention counts from here.
FINAL: tuple[Status, ...] = (Status.NOT_REGISTERED, Status.CLOSED, Status.MERGED)
# Registered or later: a case the public site may list one by one (bot/web). Before
# registration a report is only a claim; not registered or merged away, it never was a case.
REGISTERED_OR_LATER: tuple[Status, ...] = (
    Status.REGISTERED,
    Status.EXAMINATION,
    *DECIDED,
    Status.CLOSED,
)
# The decisions that end an examination: the time to one is what the public is shown.
DECISIONS: tuple[Status, ...] = (Status.ESTABLISHED, Status.NOT_ESTABLISHED, Status.STOPPED)
# Each status's deadline, where it has one (services/deadlines.py computes it).
REVIEW_PENDING: tuple[Status, ...] = (Status.RECEIVED, Status.INITIAL_REVIEW)
DECISION_PENDING: tuple[Status, ...] = (Status.REGISTERED, Status.EXAMINATION)
# Registration still to be decided (registered or not).
REGISTRATION_PENDING: tuple[Status, ...] = (*REVIEW_PENDING, Status.COMPLETION)

# Why a report is not registered, each with a message for the reporter (bot/ui/labels.py):
# a formal requirement not met (Perbawaslu 7/2022 Pasal 15(3)), a material one (15(4)),
# made more than 7 days after the violation became known (Pasal 8(3)), a matter for another
# authority (Pasal 22), or not completed within the completion period.
NOT_REGISTERED_REASONS = ("formal", "material", "late", "not_competent", "not_completed")
# Moves that need a text: the missing items for completion, the reason handling stops.
NEEDS_NOTE: tuple[Status, ...] = (Status.COMPLETION, Status.STOPPED)

# Sanctions for a civil servant's breach of neutrality: moral (PP 42/2004 Pasal 15), or
# discipline, light / moderate / severe (PP 94/2021 Pasal 8). BKN recommends one; the PPK
# imposes it, or another, or declines.
SANCTIONS = ("moral", "light", "moderate", "severe")
# What the PPK did with BKN's recommendation; no response by the due date is not a response
# but the lack of one (services/follow_up.py).
PPK_RESPONSES = ("imposed", "declined")

# Who the reported person is: the neutrality of each is supervised (UU 7/2017 Pasal 280(2)-(3),
# 283; UU 10/2016 Pasal 70-71), but the sanction comes from a different authority for each
# (bot/ui/labels.py forwarding_authority, docs/domain.md).
PARTY_KINDS = ("asn", "village_head", "tni", "polri", "other")


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
