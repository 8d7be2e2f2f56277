"""The report conversation, step by step. Evidence has its own router (handlers/evidence)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.dispatch.routing import RouterTemplate
from bot.flows.navigation import advance, ask, go_back, repeat_question
from bot.flows.prompts import back_label, regency_keyboard, skip_label
from bot.flows.report import (
    EDITABLE,
    TEXT_ANSWERS,
    MenuAction,
    ReportAction,
    ReportForm,
    is_reporting,
    state_by_name,
)
from bot.services import regions, report_fields
from bot.services.agencies import AgencyDirectory
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.dates import (
    DateDoesNotExist,
    DateInFuture,
    DateInvalid,
    parse_incident_date,
    today_in,
)
from bot.services.deadlines import reported_late
from bot.services.elections import ELECTIONS
from bot.services.intake import DraftIncomplete, IntakeService, ReportDraft
from bot.services.lifecycle import PARTY_KINDS
from bot.services.offices import office_name
from bot.services.ratelimit import RateLimiter
from bot.services.regions import zone_of
from bot.services.staff import StaffDirectory
from bot.ui.labels import show_date, show_local_date
from bot.ui.text import bold, code, quote
from storage.db import DATABASE_ERRORS
from storage.models import Case

log = logging.getLogger(__name__)

router = RouterTemplate(name="report")
# Text answers: anything typed that is not a command. A forwarded text is someone else's
# words (and may name who wrote them), so it is not taken as the reporter's answer.
TYPED = F.text & ~F.text.startswith("/") & ~F.forward_origin


async def _stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer active."), show_alert=True)


async def _close_buttons(callback: CallbackQuery) -> None:
    """Remove the buttons of the question just answered, so old steps cannot be pressed."""
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


async def _acknowledge(callback: CallbackQuery) -> None:
    """Answer the press and close the answered question's buttons. Neither round trip to
    Telegram waits on the other, so they go together and the next question comes one
    round trip sooner; both are finished before the step goes on, and the first failure
    is raised as it would have been."""

    async def answer() -> None:
        await callback.answer()

    outcomes = await asyncio.gather(answer(), _close_buttons(callback), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _begin(
    message: Message, state: FSMContext, user_id: int, report_limiter: RateLimiter
) -> None:
    if is_reporting(await state.get_state()):
        await message.answer(
            _(
                "You have a report in progress; let's continue where you left off. "
                "To start again, send /batal first."
            )
        )
        await repeat_question(message, state)
        return
    if not await report_limiter.allow(f"report:{user_id}"):
        await message.answer(
            _(
                "You have started many reports in the last hour. Please wait a while before "
                "starting another one."
            )
        )
        return
    await state.clear()
    await message.answer(
        _(
            "Let's file a report. It takes a few minutes; you can go back at any step, "
            "and /cancel cancels."
        )
    )
    await ask(message, state, ReportForm.identity)


@router.message(Command("lapor", "report"))
async def start_report(message: Message, state: FSMContext, report_limiter: RateLimiter) -> None:
    user_id = message.from_user.id if message.from_user else message.chat.id
    await _begin(message, state, user_id, report_limiter)


@router.callback_query(MenuAction.filter(F.action == "report"))
async def start_report_button(
    callback: CallbackQuery, state: FSMContext, report_limiter: RateLimiter
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await _begin(callback.message, state, callback.from_user.id, report_limiter)


@router.callback_query(StateFilter(ReportForm), ReportAction.filter(F.action == "back"))
async def back(callback: CallbackQuery, state: FSMContext) -> None:
    await _acknowledge(callback)
    await go_back(callback.message, state)  # type: ignore[arg-type]


# --- step 1: identity ---------------------------------------------------------------------


@router.callback_query(ReportForm.identity, ReportAction.filter(F.action == "identity"))
async def choose_identity(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    if callback_data.value not in ("anonymous", "identified"):
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    answers: dict[str, object] = {"identity": callback_data.value}
    if callback_data.value == "anonymous":
        # Switching to anonymous forgets what an identified draft held.
        answers |= {"reporter_name": None, "reporter_address": None, "reporter_phone": None}
    await advance(callback.message, state, ReportForm.identity, **answers)  # type: ignore[arg-type]


@router.message(ReportForm.reporter_phone, F.contact)
async def reporter_phone_shared(message: Message, state: FSMContext) -> None:
    contact = message.contact
    assert contact is not None  # guaranteed by the F.contact filter
    if message.from_user is None or contact.user_id != message.from_user.id:
        await message.answer(_("Please share your own number with the button, or type it."))
        return
    await _accept_phone(message, state, contact.phone_number)


@router.message(ReportForm.reporter_phone, TYPED)
async def reporter_phone_typed(message: Message, state: FSMContext) -> None:
    if message.text == back_label():
        await message.answer(_("Going back."), reply_markup=ReplyKeyboardRemove())
        await go_back(message, state)
        return
    if message.text == skip_label():
        await message.answer(_("No phone number, then."), reply_markup=ReplyKeyboardRemove())
        await advance(message, state, ReportForm.reporter_phone, reporter_phone=None)
        return
    await _accept_phone(message, state, message.text or "")


async def _accept_phone(message: Message, state: FSMContext, raw: str) -> None:
    phone = report_fields.normalize_phone(raw)  # FieldRejected: handlers/citizen_errors.py
    await message.answer(_("Thank you, number saved."), reply_markup=ReplyKeyboardRemove())
    await advance(message, state, ReportForm.reporter_phone, reporter_phone=phone)


# --- the steps answered by typing text (flows/report.py TEXT_ANSWERS) ------------------------


@router.message(StateFilter(*TEXT_ANSWERS), TYPED)
async def typed_answer(message: Message, state: FSMContext, raw_state: str) -> None:
    """Names, position, NIP, place, description, witnesses: checked by the step's entry in
    TEXT_ANSWERS; a refusal (FieldRejected) is answered in handlers/citizen_errors.py."""
    answers = TEXT_ANSWERS[raw_state](message.text)
    step = state_by_name(raw_state)
    assert step is not None  # StateFilter admitted only steps of the table
    await advance(message, state, step, **answers)


# --- step 2: skipping what the reporter does not know ------------------------------------


_SKIPPABLE = {
    ReportForm.asn_position.state: "asn_position",
    ReportForm.asn_nip.state: "asn_nip",
    ReportForm.witnesses.state: "witnesses",
}


@router.callback_query(StateFilter(*_SKIPPABLE), ReportAction.filter(F.action == "skip"))
async def skip_optional(callback: CallbackQuery, state: FSMContext) -> None:
    await _acknowledge(callback)
    current = await state.get_state()
    field = _SKIPPABLE[current or ""]
    target = next(
        s
        for s in (ReportForm.asn_position, ReportForm.asn_nip, ReportForm.witnesses)
        if s.state == current
    )
    await advance(callback.message, state, target, **{field: None})  # type: ignore[arg-type]


# --- step 2: who is reported ----------------------------------------------------------------


@router.callback_query(ReportForm.party_kind, ReportAction.filter(F.action == "party_kind"))
async def party_kind(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    if callback_data.value not in PARTY_KINDS:
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    answers: dict[str, object] = {"party_kind": callback_data.value}
    if callback_data.value != "asn":
        answers["asn_nip"] = None  # only a civil servant has a NIP
    await advance(callback.message, state, ReportForm.party_kind, **answers)  # type: ignore[arg-type]


# --- step 3: agency and province ---------------------------------------------------------


@router.message(ReportForm.agency, TYPED)
async def agency(message: Message, state: FSMContext, agencies: AgencyDirectory) -> None:
    typed = report_fields.bounded_text(message.text, maximum=report_fields.AGENCY_MAX)
    suggestions = await agencies.suggestions(typed)
    if not suggestions:
        await advance(message, state, ReportForm.agency, agency=typed, agency_options=None)
        return
    await state.update_data(agency_options=[typed, *suggestions])
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(suggestions, start=1):
        builder.button(text=name, callback_data=ReportAction(action="agency", value=str(index)))
    builder.button(
        text=_("Keep: {agency}").format(agency=typed),
        callback_data=ReportAction(action="agency", value="0"),
    )
    builder.adjust(1)
    await message.answer(
        _("Is it one of these agencies?"),
        reply_markup=builder.as_markup(),
    )


@router.callback_query(ReportForm.agency, ReportAction.filter(F.action == "agency"))
async def agency_chosen(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    options = (await state.get_data()).get("agency_options") or []
    if not callback_data.value.isdigit() or int(callback_data.value) >= len(options):
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    chosen = options[int(callback_data.value)]
    await advance(
        callback.message,
        state,
        ReportForm.agency,
        agency=chosen,
        agency_options=None,  # type: ignore[arg-type]
    )


@router.callback_query(ReportForm.province, ReportAction.filter(F.action == "province"))
async def province(callback: CallbackQuery, callback_data: ReportAction, state: FSMContext) -> None:
    chosen = regions.province(callback_data.value)
    if chosen is None:
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    await advance(
        callback.message,  # type: ignore[arg-type]
        state,
        ReportForm.province,
        province=chosen.name,
        province_code=chosen.code,
        regency=None,
        regency_code=None,
    )


@router.callback_query(ReportForm.regency, ReportAction.filter(F.action == "regency"))
async def regency_chosen(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    province_code = (await state.get_data()).get("province_code")
    chosen = regions.regency(callback_data.value)
    if callback_data.value != "-" and (chosen is None or chosen.province_code != province_code):
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    await advance(
        callback.message,  # type: ignore[arg-type]
        state,
        ReportForm.regency,
        regency=chosen.name if chosen else None,
        regency_code=chosen.code if chosen else None,
    )


@router.callback_query(ReportForm.regency, ReportAction.filter(F.action == "regency_page"))
async def regency_page(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    page = callback_data.value
    if not (page.isascii() and page.isdigit() and len(page) < 3) or not isinstance(
        callback.message, Message
    ):
        await _stale_button(callback)
        return
    await callback.answer()
    province_code = (await state.get_data()).get("province_code", "")
    await callback.message.edit_reply_markup(
        reply_markup=regency_keyboard(province_code, page=int(page))
    )


@router.message(ReportForm.regency, TYPED)
async def regency_typed(message: Message, state: FSMContext) -> None:
    province_code = (await state.get_data()).get("province_code", "")
    matches = regions.match_regencies(province_code, message.text or "")
    if len(matches) == 1:
        await advance(
            message,
            state,
            ReportForm.regency,
            regency=matches[0].name,
            regency_code=matches[0].code,
        )
        return
    if matches:
        await message.answer(
            _("Which one do you mean?"),
            reply_markup=regency_keyboard(province_code, page=0, only=matches),
        )
        return
    province = regions.province(province_code)
    await message.answer(
        _(
            "I could not find {typed} in {province}. Choose from the list, type the name "
            "again, or press I don't know."
        ).format(typed=quote(message.text or ""), province=quote(province.name if province else ""))
    )
    await repeat_question(message, state)


# --- step 4: election and category ---------------------------------------------------------


@router.callback_query(ReportForm.election, ReportAction.filter(F.action == "election"))
async def election(callback: CallbackQuery, callback_data: ReportAction, state: FSMContext) -> None:
    if callback_data.value not in ELECTIONS:
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    await advance(callback.message, state, ReportForm.election, election=callback_data.value)  # type: ignore[arg-type]


@router.callback_query(ReportForm.category, ReportAction.filter(F.action == "category"))
async def category(callback: CallbackQuery, callback_data: ReportAction, state: FSMContext) -> None:
    if callback_data.value not in CATEGORY_KEYS:
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    await advance(callback.message, state, ReportForm.category, category=callback_data.value)  # type: ignore[arg-type]


# --- step 5: when ------------------------------------------------------------------------


@router.callback_query(ReportForm.incident_date, ReportAction.filter(F.action == "date"))
async def date_button(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    offsets = {"today": 0, "yesterday": 1}
    if callback_data.value not in offsets:
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    today = today_in(regions.zone_of((await state.get_data()).get("province_code")))
    day = today - timedelta(days=offsets[callback_data.value])
    await advance(callback.message, state, ReportForm.incident_date, incident_date=day.isoformat())  # type: ignore[arg-type]


async def _typed_day(message: Message, state: FSMContext, in_future: str) -> date | None:
    """A typed date not after today in the report's province; or None once the reporter
    has been told what is wrong (`in_future` for a date after today)."""
    today = today_in(regions.zone_of((await state.get_data()).get("province_code")))
    try:
        return parse_incident_date(message.text or "", today)
    except DateInFuture:
        await message.answer(in_future)
    except DateDoesNotExist:
        await message.answer(
            _(
                "There is no such day in the calendar. Please check the date, for example "
                "{example}."
            ).format(example=today.strftime("%d-%m-%Y"))
        )
    except DateInvalid:
        await message.answer(
            _("Please type the date as dd-mm-yyyy, for example {example}.").format(
                example=today.strftime("%d-%m-%Y")
            )
        )
    return None


@router.message(ReportForm.incident_date, TYPED)
async def date_typed(message: Message, state: FSMContext) -> None:
    future = _("That date is in the future. Please type the date it happened.")
    if (day := await _typed_day(message, state, future)) is not None:
        await advance(message, state, ReportForm.incident_date, incident_date=day.isoformat())


# --- step 5: when it became known (the 7 days count from here) --------------------------------


@router.callback_query(ReportForm.date_known, ReportAction.filter(F.action == "known"))
async def date_known_button(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    data = await state.get_data()
    today = today_in(regions.zone_of(data.get("province_code")))
    days = {
        "same": data.get("incident_date"),
        "today": today.isoformat(),
        "yesterday": (today - timedelta(days=1)).isoformat(),
    }
    if not days.get(callback_data.value) or not isinstance(callback.message, Message):
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    await _accept_date_known(callback.message, state, date.fromisoformat(days[callback_data.value]))


@router.message(ReportForm.date_known, TYPED)
async def date_known_typed(message: Message, state: FSMContext) -> None:
    future = _("That date is in the future. Please type the day you found out.")
    if (day := await _typed_day(message, state, future)) is not None:
        await _accept_date_known(message, state, day)


async def _accept_date_known(message: Message, state: FSMContext, day: date) -> None:
    data = await state.get_data()
    incident = data.get("incident_date")
    if incident and day < date.fromisoformat(incident):
        await message.answer(
            _(
                "You cannot have found out before it happened ({date}). Please check the date."
            ).format(date=show_date(date.fromisoformat(incident)))
        )
        await repeat_question(message, state)
        return
    today = today_in(regions.zone_of(data.get("province_code")))
    if not data.get("finding") and reported_late(day, today, data.get("election") or "unknown"):
        await message.answer(
            _(
                "Note: you found out on {date}, more than 7 days ago. A formal report must be "
                "made within 7 days of finding out, so the office may treat this one as "
                "information instead. We still accept it."
            ).format(date=show_date(day))
        )
    await advance(message, state, ReportForm.date_known, date_known=day.isoformat())


# --- summary: edit and submit -------------------------------------------------------------


@router.callback_query(ReportForm.summary, ReportAction.filter(F.action == "edit"))
async def edit_field(
    callback: CallbackQuery, callback_data: ReportAction, state: FSMContext
) -> None:
    target = EDITABLE.get(callback_data.value)
    if target is None:
        await _stale_button(callback)
        return
    await _acknowledge(callback)
    await state.update_data(editing=True)
    await ask(callback.message, state, target)  # type: ignore[arg-type]


@router.callback_query(ReportForm.summary, ReportAction.filter(F.action == "submit"))
async def submit(
    callback: CallbackQuery,
    state: FSMContext,
    intake: IntakeService,
    staff_directory: StaffDirectory,
    i18n: I18n,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await _stale_button(callback)
        return
    data = await state.get_data()
    try:
        draft = ReportDraft.from_conversation(data)
    except DraftIncomplete as missing:
        await callback.answer()
        target = EDITABLE.get(missing.missing[0], ReportForm.identity)
        await message.answer(_("Something is missing from your report. Please fill it in."))
        await state.update_data(editing=True)
        await ask(message, state, target)
        return
    found_by = None
    if data.get("finding"):
        # Only staff open findings; one removed since they began cannot file it.
        found_by = callback.from_user.id
        if await staff_directory.member(found_by) is None:
            await callback.answer(_("Only staff can record a finding."), show_alert=True)
            await state.clear()
            return
    await callback.answer(_("Sending…"))
    code_for_draft = data.get("submission_code")
    if not code_for_draft:
        code_for_draft = intake.new_code()
        await state.update_data(submission_code=code_for_draft)
    try:
        case, _new = await intake.submit(
            draft,
            code=code_for_draft,
            chat_id=message.chat.id,
            locale=i18n.current_locale,
            found_by=found_by,
        )
    except DATABASE_ERRORS:
        log.exception("report could not be stored", extra={"chat": "redacted"})
        await message.answer(
            _(
                "Your report could not be saved just now. Nothing was lost: your answers are "
                "kept. Please press Submit report again in a minute."
            )
        )
        return
    # The code is shown before the draft is dropped: if showing it fails (or the process
    # dies first), the summary stays and Submit, pressed again, shows the same case's code.
    await message.answer(
        received_text(case, finding=found_by is not None, anonymous=draft.identity != "identified")
    )
    await state.clear()
    await _close_buttons(callback)


def received_text(case: Case, *, finding: bool, anonymous: bool) -> str:
    office = bold(office_name(case.office_code))
    due = show_local_date(case.deadline_at, zone_of(case.region_code)) if case.deadline_at else "-"
    if finding:
        return _(
            "✅ <b>Finding recorded.</b> Code: {code}\n\nIt is carded in the group of {office}; "
            "its initial review is due by {date}."
        ).format(code=code(case.code), office=office, date=due)
    text = _(
        "✅ <b>Your report has been received.</b>\n\n"
        "Tracking code: {code}\n\n"
        "Keep this code: with it you can check the status at any time with "
        "/status {plain_code}. We will also message you here at every step.\n\n"
        "What happens next: {office} checks the formal and material requirements (the "
        "initial review) by {date}, then registers the report or tells you what is missing. "
        "After registration the law gives the office a few days to decide; you will be told "
        "the date. The office may send you questions through this bot; your identity is not "
        "shown to its staff."
    ).format(code=code(case.code), plain_code=quote(case.code), office=office, date=due)
    if anonymous:
        text += "\n\n" + _(
            "Your report is anonymous, so it is handled as information: the office may take it "
            "up as its own finding."
        )
    return text


# --- anything else while a report is open ----------------------------------------------------


@router.callback_query(StateFilter(ReportForm), ReportAction.filter())
async def button_of_another_step(callback: CallbackQuery) -> None:
    await _stale_button(callback)


@router.message(StateFilter(ReportForm), F.forward_origin)
async def forwarded_during_report(message: Message, state: FSMContext) -> None:
    await message.answer(
        _(
            "Forwarded messages are not taken as answers: please type your answer yourself. "
            "To include a post as evidence, send a screenshot of it at the evidence step."
        )
    )
    await repeat_question(message, state)


@router.edited_message(StateFilter(ReportForm))
async def edited_during_report(message: Message) -> None:
    # Telegram lets people edit a sent answer, but the step it answered has passed.
    await message.answer(
        _(
            "Edits to messages already sent are not picked up. To change an answer, use "
            "Back, or Edit on the summary before you send the report."
        )
    )


@router.message(StateFilter(ReportForm), F.text.startswith("/"))
async def command_during_report(message: Message) -> None:
    await message.answer(
        _(
            "That command is not available while you are filing a report. Answer the question "
            "above, or send /batal to cancel the report."
        )
    )


@router.message(StateFilter(ReportForm))
async def unexpected_input(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    button_steps = {
        ReportForm.identity.state,
        ReportForm.party_kind.state,
        ReportForm.province.state,
        ReportForm.election.state,
        ReportForm.category.state,
        ReportForm.summary.state,
    }
    if current in button_steps:
        await message.answer(_("Please choose one of the buttons above."))
    elif current == ReportForm.reporter_phone.state:
        await message.answer(_("Please share your number with the button, or type it."))
    else:
        await message.answer(_("Please answer with a text message."))
    await repeat_question(message, state)
