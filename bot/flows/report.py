"""The report conversation: its states, their order and step numbers, and its buttons."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from bot.services import report_fields


class ReportForm(StatesGroup):
    identity = State()
    reporter_name = State()
    reporter_address = State()
    reporter_phone = State()
    party_kind = State()
    asn_name = State()
    asn_position = State()
    asn_nip = State()
    agency = State()
    province = State()
    regency = State()
    election = State()
    category = State()
    incident_date = State()
    date_known = State()
    place = State()
    description = State()
    witnesses = State()
    evidence = State()
    summary = State()


TOTAL_STEPS = 9

# The order Back walks through; each state's visible step number.
ORDER: tuple[State, ...] = (
    ReportForm.identity,
    ReportForm.reporter_name,
    ReportForm.reporter_address,
    ReportForm.reporter_phone,
    ReportForm.party_kind,
    ReportForm.asn_name,
    ReportForm.asn_position,
    ReportForm.asn_nip,
    ReportForm.agency,
    ReportForm.province,
    ReportForm.regency,
    ReportForm.election,
    ReportForm.category,
    ReportForm.incident_date,
    ReportForm.date_known,
    ReportForm.place,
    ReportForm.description,
    ReportForm.witnesses,
    ReportForm.evidence,
    ReportForm.summary,
)
STEP_NUMBER: dict[str, int] = {
    state.state: number  # type: ignore[misc]
    for number, states in enumerate(
        (
            (
                ReportForm.identity,
                ReportForm.reporter_name,
                ReportForm.reporter_address,
                ReportForm.reporter_phone,
            ),
            (
                ReportForm.party_kind,
                ReportForm.asn_name,
                ReportForm.asn_position,
                ReportForm.asn_nip,
            ),
            (ReportForm.agency, ReportForm.province, ReportForm.regency),
            (ReportForm.election, ReportForm.category),
            (ReportForm.incident_date, ReportForm.date_known),
            (ReportForm.place,),
            (ReportForm.description,),
            (ReportForm.witnesses,),
            (ReportForm.evidence,),
        ),
        start=1,
    )
    for state in states
}
_IDENTIFIED_ONLY = {
    ReportForm.reporter_name.state,
    ReportForm.reporter_address.state,
    ReportForm.reporter_phone.state,
}

# Summary fields that can be edited, and the state that asks for each.
EDITABLE: dict[str, State] = {
    "identity": ReportForm.identity,
    "reporter_name": ReportForm.reporter_name,
    "reporter_address": ReportForm.reporter_address,
    "party_kind": ReportForm.party_kind,
    "asn_name": ReportForm.asn_name,
    "asn_position": ReportForm.asn_position,
    "asn_nip": ReportForm.asn_nip,
    "agency": ReportForm.agency,
    "province": ReportForm.province,
    "regency": ReportForm.regency,
    "election": ReportForm.election,
    "category": ReportForm.category,
    "incident_date": ReportForm.incident_date,
    "date_known": ReportForm.date_known,
    "place": ReportForm.place,
    "description": ReportForm.description,
    "witnesses": ReportForm.witnesses,
    "evidence": ReportForm.evidence,
}


# Steps answered by typing text: what each stores of the typed text (or FieldRejected, which
# handlers/citizen_errors.py answers). One handler serves them all.
TEXT_ANSWERS: dict[str, Callable[[str | None], dict[str, object]]] = {
    ReportForm.reporter_name.state: lambda text: {  # type: ignore[dict-item]
        "reporter_name": report_fields.bounded_text(text, maximum=report_fields.REPORTER_NAME_MAX)
    },
    ReportForm.reporter_address.state: lambda text: {  # type: ignore[dict-item]
        "reporter_address": report_fields.bounded_text(
            text, minimum=report_fields.ADDRESS_MIN, maximum=report_fields.ADDRESS_MAX
        )
    },
    ReportForm.asn_name.state: lambda text: {  # type: ignore[dict-item]
        "asn_name": report_fields.bounded_text(text, maximum=report_fields.NAME_MAX)
    },
    ReportForm.asn_position.state: lambda text: {  # type: ignore[dict-item]
        "asn_position": report_fields.bounded_text(text, maximum=report_fields.POSITION_MAX)
    },
    ReportForm.asn_nip.state: lambda text: {"asn_nip": report_fields.validate_nip(text)},  # type: ignore[dict-item]
    ReportForm.place.state: lambda text: _place_answers(report_fields.parse_place(text)),  # type: ignore[dict-item]
    ReportForm.description.state: lambda text: {  # type: ignore[dict-item]
        "description": report_fields.bounded_text(
            text,
            minimum=report_fields.DESCRIPTION_MIN,
            maximum=report_fields.DESCRIPTION_MAX,
        )
    },
    ReportForm.witnesses.state: lambda text: {  # type: ignore[dict-item]
        "witnesses": report_fields.bounded_text(text, maximum=report_fields.WITNESSES_MAX)
    },
}


def _place_answers(place: report_fields.Place) -> dict[str, object]:
    return {"place": place.text, "place_url": place.url}


def is_reporting(state_name: str | None) -> bool:
    """The conversation is a report being written (not an answer, not idle)."""
    return state_name is not None and state_name.startswith(f"{ReportForm.__name__}:")


def state_by_name(name: str | None) -> State | None:
    return next((state for state in ORDER if state.state == name), None)


def _skipped(state: State, data: dict) -> bool:
    """Steps this draft does not ask: the reporter's details for an anonymous report or a
    staff finding, the identity itself for a finding, the NIP of someone not an ASN."""
    if state.state in _IDENTIFIED_ONLY and data.get("identity") != "identified":
        return True
    if state == ReportForm.identity and data.get("finding"):
        return True
    return state == ReportForm.asn_nip and data.get("party_kind", "asn") != "asn"


def first_state(data: dict) -> State:
    return ReportForm.party_kind if data.get("finding") else ReportForm.identity


def previous_state(current: str | None, data: dict) -> State | None:
    """The step before `current`, skipping the steps this draft does not ask."""
    names = [state.state for state in ORDER]
    if current not in names:
        return None
    for state in reversed(ORDER[: names.index(current)]):
        if not _skipped(state, data):
            return state
    return None


class ReportAction(CallbackData, prefix="rf"):
    """Buttons of the report flow. `value` is validated by the handler that receives it."""

    action: str
    value: str = ""


class MenuAction(CallbackData, prefix="mn"):
    action: str
    value: str = ""


def next_state(current: State, data: dict) -> State:
    """Where a valid answer at `current` leads: the next step, or back to the summary when
    the reporter came from it to edit one field."""
    identified = data.get("identity") == "identified"
    if current == ReportForm.identity and identified:
        return ReportForm.reporter_name
    if current in (ReportForm.reporter_name, ReportForm.reporter_address):
        # The reporter's details are asked together, also when edited from the summary.
        return (
            ReportForm.reporter_address
            if current == ReportForm.reporter_name
            else ReportForm.reporter_phone
        )
    if current == ReportForm.agency and data.get("editing") and not data.get("province"):
        return ReportForm.province
    if current == ReportForm.province:
        return ReportForm.regency  # a new province needs its regency asked again
    if current == ReportForm.incident_date and data.get("editing"):
        return ReportForm.date_known  # known no earlier than it happened: asked again
    if data.get("editing"):
        return ReportForm.summary
    names = [state.state for state in ORDER]
    for state in ORDER[names.index(current.state) + 1 :]:
        if not _skipped(state, data):
            return state
    return ReportForm.summary
