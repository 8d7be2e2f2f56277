"""The report conversation: its states, their order and step numbers, and its buttons."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup


class ReportForm(StatesGroup):
    identity = State()
    reporter_name = State()
    reporter_phone = State()
    asn_name = State()
    asn_position = State()
    asn_nip = State()
    agency = State()
    province = State()
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
            (ReportForm.agency, ReportForm.province),
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
    "category": ReportForm.category,
    "incident_date": ReportForm.incident_date,
    "place": ReportForm.place,
    "description": ReportForm.description,
    "witnesses": ReportForm.witnesses,
    "evidence": ReportForm.evidence,
}


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
    if data.get("editing"):
        return ReportForm.summary
    names = [state.state for state in ORDER]
    for state in ORDER[names.index(current.state) + 1 :]:
        if state.state in _IDENTIFIED_ONLY and not identified:
            continue
        return state
    return ReportForm.summary
