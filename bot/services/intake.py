"""Turning a finished draft into a stored case, and reading a case back for its reporter."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.services import regions
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.codes import generate_code
from bot.services.deadlines import review_deadline
from bot.services.elections import ELECTIONS, Election, office_for
from bot.services.lifecycle import PARTY_KINDS
from bot.services.related import find_related, stage_links
from bot.services.report_fields import agency_key
from bot.services.staff_feed import StaffFeed
from storage import repositories
from storage.db import SessionFactory
from storage.models import Case, CaseEvent, Evidence, Reporter, utcnow
from storage.sqlite_writer import SqliteWriter

log = logging.getLogger(__name__)

IDENTITIES = ("anonymous", "identified")
# A staff member's finding: no reporter, no one to notify.
FINDING_IDENTITY = "finding"
_CODE_ATTEMPTS = 5


class DraftIncomplete(ValueError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


@dataclass(frozen=True)
class EvidenceItem:
    kind: str
    mime: str
    storage_key: str
    sha256: str
    original_sha256: str
    size: int
    thumbnail_key: str | None = None
    phash: str | None = None
    captured_at: str | None = None  # ISO format, naive, as the camera wrote it
    # A picture's hashes for finding its copies (services/similar_images.py).
    look_alike: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvidenceItem:
        values = {name: data.get(name) for name in cls.__dataclass_fields__}
        # Stored as JSON in the conversation's state: the tuple comes back a list, and a
        # draft saved before look-alike hashes existed has none.
        values["look_alike"] = tuple(values["look_alike"] or ())
        return cls(**values)


@dataclass(frozen=True)
class ReportDraft:
    identity: str
    asn_name: str
    agency: str
    province: str
    category: str
    incident_date: date
    description: str
    reporter_name: str | None = None
    reporter_address: str | None = None
    reporter_phone: str | None = None
    # "report" from a citizen; "finding" opened by staff from their own supervision.
    kind: str = "report"
    election: str = "unknown"
    party_kind: str = "asn"
    date_known: date | None = None
    asn_position: str | None = None
    asn_nip: str | None = None
    place: str | None = None
    place_url: str | None = None
    witnesses: str | None = None
    evidence: tuple[EvidenceItem, ...] = field(default_factory=tuple)
    # Where it happened: the province (its name above, its code here) and, when the
    # reporter knows it, the regency or city. A draft without the code names its province.
    province_code: str | None = None
    regency_code: str | None = None

    @property
    def region_code(self) -> str:
        """The most precise region known: the regency/city, else the province."""
        if self.regency_code:
            return self.regency_code
        if self.province_code:
            return self.province_code
        province = regions.province_by_name(self.province)
        return province.code if province else ""

    @classmethod
    def from_conversation(cls, data: Mapping[str, Any]) -> ReportDraft:
        """Build from the conversation's stored answers, refusing anything inconsistent."""
        required = [
            "identity",
            "asn_name",
            "agency",
            "province",
            "category",
            "incident_date",
            "description",
        ]
        missing = [name for name in required if not data.get(name)]
        if data.get("identity") == "identified":
            missing += [
                name for name in ("reporter_name", "reporter_address") if not data.get(name)
            ]
        if not data.get("place") and not data.get("place_url"):
            missing.append("place")
        if missing:
            raise DraftIncomplete(missing)
        if data["identity"] not in IDENTITIES or data["category"] not in CATEGORY_KEYS:
            raise DraftIncomplete(
                ["identity" if data["identity"] not in IDENTITIES else "category"]
            )
        # Drafts begun before these were asked: an unknown election, an ASN, known the day
        # it happened.
        election = data.get("election") or Election.UNKNOWN
        party_kind = data.get("party_kind") or "asn"
        if election not in ELECTIONS or party_kind not in PARTY_KINDS:
            raise DraftIncomplete(["election" if election not in ELECTIONS else "party_kind"])
        # Drafts begun before regions had codes name their province only.
        province = regions.province(data.get("province_code")) or regions.province_by_name(
            data["province"]
        )
        if province is None:
            raise DraftIncomplete(["province"])
        regency = regions.regency(data.get("regency_code"))
        if data.get("regency_code") and (regency is None or regency.province_code != province.code):
            raise DraftIncomplete(["province"])
        identified = data["identity"] == "identified"
        return cls(
            identity=data["identity"],
            reporter_name=data.get("reporter_name") if identified else None,
            reporter_address=data.get("reporter_address") if identified else None,
            reporter_phone=data.get("reporter_phone") if identified else None,
            kind="finding" if data.get("finding") else "report",
            election=election,
            party_kind=party_kind,
            date_known=date.fromisoformat(data["date_known"]) if data.get("date_known") else None,
            asn_name=data["asn_name"],
            asn_position=data.get("asn_position"),
            asn_nip=data.get("asn_nip"),
            agency=data["agency"],
            province=province.name,
            province_code=province.code,
            regency_code=regency.code if regency else None,
            category=data["category"],
            incident_date=date.fromisoformat(data["incident_date"]),
            place=data.get("place"),
            place_url=data.get("place_url"),
            description=data["description"],
            witnesses=data.get("witnesses"),
            evidence=tuple(EvidenceItem.from_dict(item) for item in data.get("evidence", [])),
        )


class IntakeService:
    def __init__(
        self,
        session_factory: SessionFactory,
        code_prefix: str = "ASN",
        *,
        staff_feed: StaffFeed,
        on_enqueued: Callable[[], None] = lambda: None,
        writer: SqliteWriter | None = None,
    ) -> None:
        self._sessions = session_factory
        self._writer = writer
        self._code_prefix = code_prefix
        self._feed = staff_feed
        self._on_enqueued = on_enqueued

    def new_code(self) -> str:
        return generate_code(self._code_prefix)

    async def submit(
        self,
        draft: ReportDraft,
        *,
        code: str,
        chat_id: int,
        locale: str,
        found_by: int | None = None,
    ) -> tuple[Case, bool]:
        """Store the case, its evidence and its first event in one transaction; returns the
        case and whether it is new. Returns only after the commit, so a code shown to the
        reporter always exists.

        `code` is drawn once per draft and kept with it (`new_code`), which makes submitting
        idempotent: if the process died after the commit but before the reporter saw their
        code, pressing Submit again returns the case already stored instead of a second one.

        A finding (`found_by`, the staff member who opened it) keeps no chat: there is no
        reporter to notify, and the chat it was typed in is a staff member's.
        """
        image_hashes = [h for item in draft.evidence for h in item.look_alike]
        for _attempt in range(_CODE_ATTEMPTS):
            case = _case_from(draft, code)
            stage_the_rest = await self._links_and_cards(case, image_hashes)
            reporter, evidence, event = _first_rows(
                draft, chat_id=chat_id, locale=locale, found_by=found_by
            )
            try:
                case = await self._insert(reporter, case, evidence, event, stage_the_rest)
            except IntegrityError:
                # A repeated Submit, or a collision with another's code.
                earlier = await self.filed(code, chat_id=chat_id, user_id=found_by)
                if earlier is not None:
                    log.info("submission repeated", extra={"case": earlier.code})
                    return earlier, False
                # 40 random bits make a collision very unlikely, but the unique index decides.
                log.warning("tracking code collision, drawing another")
                code = self.new_code()
                continue
            self._on_enqueued()
            log.info("case submitted", extra={"case": case.code, "evidence": len(draft.evidence)})
            return case, True
        raise RuntimeError("could not draw an unused tracking code")

    async def _links_and_cards(
        self, case: Case, image_hashes: list[str]
    ) -> Callable[[repositories.Stager, Case], None]:
        """What the new case stages once it has its id: its links to related cases, its
        pictures' hashes, its staff card and the related cases' cards.

        Everything it needs is read here, in a transaction of its own, before the write:
        the write holds SQLite's one write turn from its first INSERT to its commit, and
        every other update's writes wait for it (storage/db.py). With the reads inside
        it, it held the turn for 59 ms at the median under load (bench/RESULTS.md). Two
        reports filed at the same moment may miss each other's link; every later one
        finds both."""
        async with self._sessions() as session:
            related = await find_related(session, case, image_hashes)
            others = await repositories.cases_by_ids(session, list(related))
        card_chat = await self._feed.chat_for(case)
        other_chats = [await self._feed.chat_for(other) for other in others]
        return functools.partial(
            _stage_links_and_cards,
            self._feed,
            related,
            image_hashes,
            card_chat,
            list(zip(others, other_chats, strict=True)),
        )

    async def _insert(
        self,
        reporter: Reporter,
        case: Case,
        evidence: list[Evidence],
        event: CaseEvent,
        stage_the_rest: Callable[[repositories.Stager, Case], None],
    ) -> Case:
        """The case and all it stages, committed: one write of the SQLite writer when there
        is one, else a transaction of the engine."""
        if self._writer is not None:
            return await self._writer.run(
                repositories.case_write(
                    self._writer, reporter, case, evidence, event, stage_the_rest
                )
            )
        async with self._sessions() as session, session.begin():
            case = await repositories.insert_case(
                session, reporter=reporter, case=case, evidence=evidence, event=event
            )
            stage_the_rest(session, case)
        return case

    async def filed(self, code: str, *, chat_id: int, user_id: int | None = None) -> Case | None:
        """The case stored under a draft's code, if this chat filed it (or, for a finding,
        this staff member opened it): a submission whose confirmation never arrived
        (Telegram failed, or the process died in flight) is still a filed report, and must
        not be called cancelled or expired."""
        async with self._sessions() as session:
            case = await repositories.case_by_code(session, code)
            filed_from = await repositories.reporter_chat(session, case)
            opener = await repositories.finding_opener(session, case)
        if case is None:
            return None
        if filed_from == chat_id or (opener is not None and opener == user_id):
            return case
        return None


def _stage_links_and_cards(
    feed: StaffFeed,
    related: dict[int, str],
    image_hashes: list[str],
    card_chat: int | None,
    other_cards: list[tuple[Case, int | None]],
    session: repositories.Stager,
    case: Case,
) -> None:
    """Staged after the case has its id: its links, its hashes, and the staff cards."""
    stage_links(session, case, related, image_hashes)
    # The new card, then the older cards that now have a case to mention.
    feed.card_to(session, card_chat, case)
    for other, chat in other_cards:
        feed.card_to(session, chat, other)


def _first_rows(
    draft: ReportDraft, *, chat_id: int, locale: str, found_by: int | None
) -> tuple[Reporter, list[Evidence], CaseEvent]:
    """The reporter, evidence and first audit event of a new case, built afresh for each
    attempt (rows once added to a failed write are not reused)."""
    reporter = (
        Reporter(chat_id=None, identity=FINDING_IDENTITY, locale=locale)
        if found_by is not None
        else _reporter_from(draft, chat_id, locale)
    )
    evidence = [evidence_row(item, 0) for item in draft.evidence]
    event = CaseEvent(
        case_id=0,
        actor="reporter" if found_by is None else "staff",
        actor_id=found_by,
        action="submitted" if found_by is None else "finding_opened",
        to_status="received",
    )
    return reporter, evidence, event


def _reporter_from(draft: ReportDraft, chat_id: int, locale: str) -> Reporter:
    return Reporter(
        chat_id=chat_id,
        identity=draft.identity,
        name=draft.reporter_name,
        address=draft.reporter_address,
        phone=draft.reporter_phone,
        locale=locale,
    )


def _case_from(draft: ReportDraft, code: str) -> Case:
    received_at = utcnow()
    return Case(
        code=code,
        kind=draft.kind,
        election=draft.election,
        party_kind=draft.party_kind,
        date_known=draft.date_known,
        created_at=received_at,
        status_changed_at=received_at,
        deadline_at=review_deadline(
            received_at, draft.election, regions.zone_of(draft.region_code)
        ),
        category=draft.category,
        asn_name=draft.asn_name,
        asn_position=draft.asn_position,
        asn_nip=draft.asn_nip,
        agency=draft.agency,
        agency_key=agency_key(draft.agency),
        province=draft.province,
        region_code=draft.region_code,
        office_code=office_for(draft.election, draft.region_code),
        incident_date=draft.incident_date,
        place=draft.place,
        place_url=draft.place_url,
        description=draft.description,
        witnesses=draft.witnesses,
        reporter_id=0,
    )


def evidence_row(item: EvidenceItem, case_id: int) -> Evidence:
    return Evidence(
        case_id=case_id,
        kind=item.kind,
        mime=item.mime,
        storage_key=item.storage_key,
        thumbnail_key=item.thumbnail_key,
        sha256=item.sha256,
        original_sha256=item.original_sha256,
        phash=item.phash,
        size=item.size,
        captured_at=datetime.fromisoformat(item.captured_at) if item.captured_at else None,
    )
