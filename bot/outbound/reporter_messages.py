"""Messages owed to reporters, rendered at delivery time in the reporter's language. Each
names the office handling the case and, while one runs, the end of the current stage; an
open case's message carries the button to add information."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.flows.desk import AnswerAction
from bot.outbound.messages import RenderedMessage
from bot.services.lifecycle import OPEN, Status
from bot.services.offices import office_name
from bot.services.regions import zone_of
from bot.ui.labels import (
    deadline_line,
    not_registered_reason_label,
    note_line,
    sanction_label,
    status_label,
    status_meaning,
)
from bot.ui.text import bold, code, quote
from storage.models import Outbox


class NotificationRenderer:
    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n

    def __call__(self, row: Outbox) -> RenderedMessage:
        renderers = {
            "status_changed": _status_changed,
            "question": _question,
            "transferred": _transferred,
            "extended": _extended,
            "merged": _merged,
            "taken_up": _taken_up,
            "ppk_response": _ppk_response,
        }
        if row.kind not in renderers:
            raise ValueError(f"unknown notification kind {row.kind!r}")
        with self._i18n.context(), self._i18n.use_locale(row.locale):
            return renderers[row.kind](row.params)


def add_information_keyboard(case_code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("➕ Add information"),
                    callback_data=AnswerAction(action="reply", code=case_code).pack(),
                )
            ]
        ]
    )


def _header(params: dict) -> str:
    """ "Update on your report X", saying which case carries it on if X was merged."""
    header = _("🔔 Update on your report {code}").format(code=code(params["code"]))
    survivor = params.get("case")
    if survivor and survivor != params["code"]:
        header += "\n" + _("(handled together with report {code})").format(code=code(survivor))
    return header


def _office(params: dict) -> str:
    return office_name(params.get("office") or "RI")


def _deadline(params: dict, *, extended: bool = False) -> str | None:
    if not params.get("deadline"):
        return None
    deadline = datetime.fromisoformat(params["deadline"])
    return deadline_line(
        params.get("status", ""), deadline, zone_of(params.get("region")), extended=extended
    )


def _keyboard(params: dict) -> InlineKeyboardMarkup | None:
    return add_information_keyboard(params["code"]) if params.get("status") in OPEN else None


def _status_changed(params: dict) -> RenderedMessage:
    status = params["status"]
    lines = [
        _header(params),
        _("New status: {status}").format(status=bold(status_label(status))),
        status_meaning(status, _office(params)),
    ]
    if status == Status.REGISTERED and params.get("register_number"):
        lines.append(_("Register number: {number}").format(number=code(params["register_number"])))
    if status == Status.NOT_REGISTERED and params.get("reason"):
        lines.append(
            _("Reason: {reason}").format(reason=not_registered_reason_label(params["reason"]))
        )
    if params.get("note"):
        lines.append(note_line(status, _office(params), quote(params["note"])))
    if deadline := _deadline(params):
        lines.append("⏱ " + deadline)
    return RenderedMessage("\n".join(lines), _keyboard(params))


def _question(params: dict) -> RenderedMessage:
    text = _(
        "❓ {office} has a question about your report {code}:\n\n{question}\n\n"
        "Press <b>Reply</b> to answer; you can send text, photos or files. Your identity is "
        "not shown to the staff who read it."
    ).format(office=_office(params), code=code(params["code"]), question=quote(params["question"]))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✍️ Reply"),
                    callback_data=AnswerAction(action="reply", code=params["code"]).pack(),
                )
            ]
        ]
    )
    return RenderedMessage(text, keyboard)


def _transferred(params: dict) -> RenderedMessage:
    text = (
        _header(params)
        + "\n"
        + _(
            "It is now handled by {office}, the office responsible for it. Its status is "
            "unchanged; you will hear from them here."
        ).format(office=bold(_office(params)))
    )
    return RenderedMessage(text, _keyboard(params))


def _extended(params: dict) -> RenderedMessage:
    lines = [
        _header(params),
        _(
            "{office} needs more information to decide, and has extended the period for the "
            "decision as the law allows."
        ).format(office=_office(params)),
    ]
    if params.get("note"):
        lines.append(
            _("Note from {office}: {note}").format(
                office=_office(params), note=quote(params["note"])
            )
        )
    if deadline := _deadline(params, extended=True):
        lines.append("⏱ " + deadline)
    return RenderedMessage("\n".join(lines), _keyboard(params))


def _merged(params: dict) -> RenderedMessage:
    text = "\n".join(
        [
            _("🔔 Update on your report {code}").format(code=code(params["code"])),
            _("New status: {status}").format(status=bold(status_label(Status.MERGED))),
            status_meaning(Status.MERGED, office_name(params.get("office") or "RI")),
            _("It is handled together with report {code}.").format(code=code(params["into"])),
        ]
    )
    return RenderedMessage(text)


def _taken_up(params: dict) -> RenderedMessage:
    text = (
        _header(params)
        + "\n"
        + _(
            "{office} has taken up your information as its own finding (temuan): it handles the "
            "matter on its own initiative, and you need do nothing more. You will still hear how "
            "it goes."
        ).format(office=_office(params))
    )
    return RenderedMessage(text, _keyboard(params))


def _ppk_response(params: dict) -> RenderedMessage:
    """The end of the chain, in plain words: what the civil servant's superior did."""
    ppk = quote(params.get("ppk") or _("the staffing authority"))
    if params.get("response") == "imposed":
        outcome = _(
            "The violation you reported has been acted on: {ppk} has imposed a {sanction} on "
            "the civil servant."
        ).format(ppk=ppk, sanction=sanction_label(params.get("sanction") or ""))
    else:
        outcome = _(
            "{ppk}, who decides the civil servant's sanction, has decided not to impose one. "
            "The supervisors record this; it does not change that the violation was established."
        ).format(ppk=ppk)
    return RenderedMessage(_header(params) + "\n" + outcome)
