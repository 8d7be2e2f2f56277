"""Messages owed to reporters, rendered at delivery time in the reporter's language."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.flows.desk import AnswerAction
from bot.outbound.messages import RenderedMessage
from bot.services.offices import office_name
from bot.ui.labels import status_label, status_meaning
from bot.ui.text import bold, code, quote
from storage.models import Outbox


class NotificationRenderer:
    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n

    def __call__(self, row: Outbox) -> RenderedMessage:
        with self._i18n.context(), self._i18n.use_locale(row.locale):
            if row.kind == "status_changed":
                return _status_changed(row.params)
            if row.kind == "question":
                return _question(row.params)
            if row.kind == "transferred":
                return _transferred(row.params)
        raise ValueError(f"unknown notification kind {row.kind!r}")


def _status_changed(params: dict) -> RenderedMessage:
    lines = [
        _("🔔 Update on your report {code}").format(code=code(params["code"])),
        _("New status: {status}").format(status=bold(status_label(params["status"]))),
        status_meaning(params["status"]),
    ]
    if params.get("note"):
        lines.append(_("Note from the review team: {note}").format(note=quote(params["note"])))
    return RenderedMessage("\n".join(lines))


def _question(params: dict) -> RenderedMessage:
    text = _(
        "❓ The review team has a question about your report {code}:\n\n{question}\n\n"
        "Press <b>Reply</b> to answer; you can send text, photos or files."
    ).format(code=code(params["code"]), question=quote(params["question"]))
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
    return RenderedMessage(
        _(
            "🔔 Update on your report {code}\nIt is now handled by {office}, the office "
            "responsible for where it happened. Its status is unchanged; you will hear from "
            "them here."
        ).format(code=code(params["code"]), office=bold(office_name(params["office"])))
    )
