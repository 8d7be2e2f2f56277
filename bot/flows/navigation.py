"""Moving the reporter between steps: set the state, then ask that step's question."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message

from bot.flows.prompts import prompt
from bot.flows.report import ReportForm, first_state, next_state, previous_state, state_by_name


async def ask(message: Message, fsm: FSMContext, target: State) -> None:
    await fsm.set_state(target)
    data = await fsm.get_data()
    text, markup = prompt(target, data)
    await message.answer(text, reply_markup=markup)


async def advance(message: Message, fsm: FSMContext, current: State, **answers: object) -> None:
    """Store this step's answers and the step they lead to, then ask its question. Stored
    before asking: a reporter never sees a question the bot would not remember asking."""
    data = {**await fsm.get_data(), **answers}
    target = next_state(current, data)
    save_both = getattr(fsm.storage, "set_state_and_data", None)
    if save_both is not None:
        await save_both(fsm.key, target, data)  # one transaction instead of two
    else:
        await fsm.set_data(data)
        await fsm.set_state(target)
    text, markup = prompt(target, data)
    await message.answer(text, reply_markup=markup)


async def go_back(message: Message, fsm: FSMContext) -> None:
    data = await fsm.get_data()
    current = await fsm.get_state()
    if data.get("editing") and current != ReportForm.summary.state:
        await ask(message, fsm, ReportForm.summary)
        return
    target = previous_state(current, data) or first_state(data)
    await ask(message, fsm, target)


async def repeat_question(message: Message, fsm: FSMContext) -> None:
    current = state_by_name(await fsm.get_state())
    if current is not None:
        await ask(message, fsm, current)
