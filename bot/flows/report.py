"""The report conversation: its states, their order and step numbers, and its buttons."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from bot.services import report_fields


class ReportForm(StatesGroup):
    identity = State()
    reporter_name = State()
    reporter_phone = State()
    asn_name = State()
    asn_position = State()
    asn_nip = State()
    agency = State()
    province = State()
    regency = State()
    category = State()
    incident_date = State()
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
    ReportForm.reporter_phone,
    ReportForm.asn_name,
    ReportForm.asn_position,
    ReportForm.asn_nip,
    ReportForm.agency,
    ReportForm.province,
    ReportForm.regency,
    ReportForm.category,
    ReportForm.incident_date,
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
            (ReportForm.identity, ReportForm.reporter_name, ReportForm.reporter_phone),
            (ReportForm.asn_name, ReportForm.asn_position, ReportForm.asn_nip),
            (ReportForm.agency, ReportForm.province, ReportForm.regency),
            (ReportForm.category,),
            (ReportForm.incident_date,),
            (ReportForm.place,),
            (ReportForm.description,),
            (ReportForm.witnesses,),
            (ReportForm.evidence,),
        ),
        start=1,
    )
    for state in states
}
_IDENTIFIED_ONLY = {ReportForm.reporter_name.state, ReportForm.reporter_phone.state}

# Summary fields that can be edited, and the state that asks for each.
EDITABLE: dict[str, State] = {
    "identity": ReportForm.identity,
    "asn_name": ReportForm.asn_name,
    "asn_position": ReportForm.asn_position,
    "asn_nip": ReportForm.asn_nip,
    "agency": ReportForm.agency,
    "province": ReportForm.province,
    "regency": ReportForm.regency,
    "category": ReportForm.category,
    "incident_date": ReportForm.incident_date,
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


def previous_state(current: str | None, identity: str | None) -> State | None:
    """The step before `current`, skipping the reporter's details for anonymous reports."""
    names = [state.state for state in ORDER]
    if current not in names:
        return None
    for state in reversed(ORDER[: names.index(current)]):
        if state.state in _IDENTIFIED_ONLY and identity != "identified":
            continue
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
    if current == ReportForm.reporter_name:
        return ReportForm.reporter_phone
    if current == ReportForm.agency and data.get("editing") and not data.get("province"):
        return ReportForm.province
    if current == ReportForm.province:
        return ReportForm.regency  # a new province needs its regency asked again
    if data.get("editing"):
        return ReportForm.summary
    names = [state.state for state in ORDER]
    for state in ORDER[names.index(current.state) + 1 :]:
        if state.state in _IDENTIFIED_ONLY and not identified:
            continue
        return state
    return ReportForm.summary
