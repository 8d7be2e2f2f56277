"""A staff member's own finding (temuan), written with the report's steps: the same
questions about who, where, what and when, and the same evidence, without the reporter's
identity (there is none: the office is the finder). Submitted, it is stored as a finding
(services/intake.py) and carded in the office's group like any report."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.flows.navigation import ask
from bot.flows.report import first_state


async def begin_finding(message: Message, fsm: FSMContext) -> None:
    data = {"finding": True, "identity": "anonymous"}
    await fsm.set_state(None)
    await fsm.set_data(data)
    await message.answer(
        _(
            "A new finding from your own supervision. Answer the questions as for a report; "
            "the finding is registered in your office's name. /batal cancels."
        )
    )
    await ask(message, fsm, first_state(data))
