"""The PPK's response to BKN's recommendation, as staff record it: a sanction imposed by a
decree, or declined with a reason. No response by the due date is not a response: it is
counted apart, as is a decision not to sanction, and neither counts as followed up
(services/statistics.py): the follow-up rate the institutions publish is sanctions
carried out over recommendations due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.services.command_words import RESPONSE_WORDS, SANCTION_WORDS, key_for
from bot.services.dates import DateInFuture, DateInvalid, parse_incident_date
from bot.services.lifecycle import SANCTIONS

IMPOSED = "imposed"
DECLINED = "declined"
# Not stored: read off a case past its due date without a response (statistics, export).
NO_RESPONSE = "no_response"


class BadResponse(ValueError):
    """The response as typed cannot be recorded; `reason` is a stable key the bot
    translates."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PpkResponse:
    kind: str  # IMPOSED | DECLINED
    sanction: str | None = None
    decree: str | None = None
    decree_date: date | None = None
    reason: str | None = None

    def describe(self) -> str:
        """The line the audit trail keeps."""
        if self.kind == IMPOSED:
            return f"{IMPOSED} {self.sanction}: {self.decree} ({self.decree_date})"
        return f"{DECLINED}: {self.reason}"


def parse_response(text: str, today: date) -> PpkResponse:
    """ "imposed SANCTION DECREE_NUMBER DD-MM-YYYY" or "declined REASON"."""
    kind, _space, rest = text.strip().partition(" ")
    kind = key_for(kind, RESPONSE_WORDS)
    if kind == IMPOSED:
        parts = rest.split()
        if len(parts) != 3:
            raise BadResponse("imposed_usage")
        sanction, decree, day = parts
        sanction = key_for(sanction, SANCTION_WORDS)
        if sanction not in SANCTIONS:
            raise BadResponse("bad_sanction")
        try:
            decree_date = parse_incident_date(day, today)
        except (DateInvalid, DateInFuture) as error:
            raise BadResponse("bad_decree_date") from error
        return PpkResponse(IMPOSED, sanction=sanction, decree=decree, decree_date=decree_date)
    if kind == DECLINED:
        if not rest.strip():
            raise BadResponse("declined_needs_reason")
        return PpkResponse(DECLINED, reason=rest.strip()[:500])
    raise BadResponse("response_usage")
