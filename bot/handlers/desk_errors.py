"""Domain errors of the staff desk, answered once here rather than in every handler
(aiogram's error observers see the errors of every router, in router order)."""

from __future__ import annotations

from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.routing import RouterTemplate
from bot.services.desk import CaseChanged, Desk
from bot.ui.labels import status_label

router = RouterTemplate(name="desk_errors")


@router.errors(ExceptionTypeFilter(CaseChanged))
async def case_changed(event: ErrorEvent, desk: Desk) -> None:
    """Someone else acted on the case first: say what it is now; nothing was done."""
    assert isinstance(event.exception, CaseChanged)
    case = event.exception.case
    text = _(
        "{code} was changed by someone else a moment ago and is now: {status}. Nothing was "
        "done. Check the case and try again if it is still needed."
    ).format(code=case.code, status=status_label(case.status))
    update = event.update
    if update.callback_query is not None:
        # The card pressed is out of date: bring it up to date as well.
        await desk.refresh_card(case.id)  # type: ignore[arg-type]
        await update.callback_query.answer(text, show_alert=True)
    elif update.message is not None:
        await update.message.answer(text)
