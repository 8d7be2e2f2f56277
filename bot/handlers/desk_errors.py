"""The staff desk's domain errors, each answered once here instead of in every handler
(aiogram's error observers see the errors of every router; this router comes before the
last-resort one in handlers/errors.py). A command gets a message, a button an alert: alerts
are plain text, so those carry no HTML."""

from __future__ import annotations

from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.services.case_queries import CaseNotFound
from bot.services.desk import CaseChanged, Desk, DeskError
from bot.services.elections import KNOWN_ELECTIONS
from bot.services.lifecycle import (
    NOT_REGISTERED_REASONS,
    SANCTIONS,
    STATUSES,
    TransitionNotAllowed,
)
from bot.services.staff import StaffError
from bot.ui.labels import status_label
from bot.ui.text import ALERT_LIMIT, bold, code, plain_text, quote, shorten

router = RouterTemplate(name="desk_errors")


async def _tell(event: ErrorEvent, *, message: str, alert: str | None = None) -> None:
    update = event.update
    if update.callback_query is not None:
        # An alert is plain text of at most 200 characters.
        await update.callback_query.answer(
            shorten(plain_text(alert or message), ALERT_LIMIT), show_alert=True
        )
    elif update.message is not None:
        await update.message.answer(message)


def stale_button() -> str:
    return _("This button is no longer active.")


@router.errors(ExceptionTypeFilter(CaseChanged))
async def case_changed(event: ErrorEvent, desk: Desk) -> None:
    """Someone else acted on the case first: say what it is now; nothing was done."""
    assert isinstance(event.exception, CaseChanged)
    case = event.exception.case
    text = _(
        "{code} changed a moment ago and is now: {status}. Nothing was done. Check the "
        "case and try again if it is still needed."
    ).format(code=case.code, status=status_label(case.status))
    if event.update.callback_query is not None:
        # The card pressed is out of date: bring it up to date as well.
        await desk.refresh_card(case.id)  # type: ignore[arg-type]
    await _tell(event, message=text)


@router.errors(ExceptionTypeFilter(CaseNotFound))
async def case_not_found(event: ErrorEvent) -> None:
    assert isinstance(event.exception, CaseNotFound)
    typed = event.exception.code_text
    await _tell(
        event,
        message=_("No case has the code {code}.").format(code=quote(typed[:40])),
        alert=stale_button(),
    )


@router.errors(ExceptionTypeFilter(TransitionNotAllowed))
async def transition_refused(event: ErrorEvent) -> None:
    assert isinstance(event.exception, TransitionNotAllowed)
    error = event.exception
    allowed = ", ".join(code(key) for key in error.allowed) or _("none (final status)")
    message = _(
        "A case in status {current} cannot move to {wanted}. Allowed next: {allowed}"
    ).format(current=bold(status_label(error.current)), wanted=code(error.wanted), allowed=allowed)
    alert = _("A case in status {current} cannot move to {wanted}.").format(
        current=status_label(error.current), wanted=status_label(error.wanted)
    )
    await _tell(event, message=message, alert=alert)


@router.errors(ExceptionTypeFilter(DeskError))
async def desk_refusal(event: ErrorEvent) -> None:
    assert isinstance(event.exception, DeskError)
    messages = {
        "unknown_status": _("Unknown status. Use one of: {statuses}").format(
            statuses=", ".join(code(key) for key in STATUSES)
        ),
        "merge_with_command": _("Merge a duplicate with /merge CODE INTO_CODE."),
        "completion_needs_note": _(
            "Say what is missing: /setstatus CODE completion what the reporter must add."
        ),
        "stopped_needs_note": _("Give the reason: /setstatus CODE stopped the reason."),
        "not_registered_reason": _(
            "Give the reason: /setstatus CODE not_registered REASON [note], REASON one of: "
            "{reasons}"
        ).format(reasons=", ".join(code(key) for key in NOT_REGISTERED_REASONS)),
        "election_unknown": _(
            "Say first which election the case concerns (it decides the deadlines): "
            "/election CODE {elections}"
        ).format(elections="|".join(KNOWN_ELECTIONS)),
        "unknown_election": _("The election must be one of: {elections}").format(
            elections=", ".join(code(key) for key in KNOWN_ELECTIONS)
        ),
        "election_after_registration": _(
            "The case is registered: its election can no longer change."
        ),
        "formal_requirements": _(
            "The formal requirements are not met: a report needs the reporter's name and "
            "address. An anonymous report can be taken up as a finding (/finding CODE), or "
            "returned for completion."
        ),
        "extend_not_pending": _("Only a registered case awaiting its decision can be extended."),
        "already_extended": _("The decision period of this case has already been extended."),
        "merge_same": _("A case cannot be merged into itself."),
        "merge_closed": _("Only an open case can be merged into another."),
        "merge_into_closed": _("That case is closed: merge into an open or decided one."),
        "already_finding": _("This case is already a finding."),
        "finding_after_registration": _(
            "Only a case not yet registered can be taken up as a finding."
        ),
        "reporter_unreachable": _("The reporter can no longer be reached for this case."),
        "ask_closed": _("The case is no longer open: its reporter cannot be asked more."),
        "take_closed": _("The case is closed."),
        "already_yours": _("You are already handling this case."),
        "taken_by_other": _(
            "Another officer is already handling this case. To take it over, send /assign CODE me."
        ),
        "not_established": _(
            "A recommendation can only be recorded on a case whose violation is established."
        ),
        "no_recommendation": _("Forward the case first with /forward."),
        "before_forwarding": _(
            "That date is before the case was forwarded: check the date of the decision."
        ),
        "already_followed_up": _(
            "The PPK's response to this case is already recorded; it is not changed."
        ),
        "bad_sanction": _("Sanction must be one of: {sanctions}").format(
            sanctions=", ".join(code(key) for key in SANCTIONS)
        ),
        "unknown_office": _(
            "There is no such office. Name it by its region code (e.g. 62.10) or its name."
        ),
        "same_office": _("The case is already with that office."),
        "assignee_outside_office": _(
            "That staff member's office does not cover this case: assign someone of the "
            "case's office or of an office above it."
        ),
    }
    await _tell(event, message=messages[event.exception.reason])


@router.errors(ExceptionTypeFilter(StaffError))
async def staff_refusal(event: ErrorEvent) -> None:
    assert isinstance(event.exception, StaffError)
    messages = {
        "bad_role": _("The role must be officer or admin."),
        "not_staff": _("That user is not staff."),
        "bootstrap_admin": _(
            "Admins listed in ADMIN_IDS are removed by the operator, not with /staff."
        ),
        "outside_office": _(
            "That is outside your office: you manage your own office and those below it."
        ),
    }
    await _tell(event, message=messages[event.exception.reason])
