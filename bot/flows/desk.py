"""Buttons of the staff desk and of the reporter's answer to a question."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup


class DeskAction(CallbackData, prefix="dk"):
    action: str  # take | review | ask | reject | reason | page
    code: str = ""
    value: str = ""
    # The case version the card showed when it was drawn: a change applies only to the case
    # the officer saw (see services/desk.py). 0 on buttons that change nothing.
    seen: int = 0


class AnswerAction(CallbackData, prefix="an"):
    action: str  # reply | done
    code: str


class AnswerForm(StatesGroup):
    waiting = State()
