"""Staff commands. The router's filter admits staff only (checked on every update); anyone
else falls through to the same answer as an unknown command. A code that names no case, a
move the lifecycle forbids and the like are answered in handlers/desk_errors.py."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, F
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.dispatch.filters import StaffOnly
from bot.dispatch.routing import RouterTemplate
from bot.flows.desk import DeskAction
from bot.flows.finding import begin_finding
from bot.services.case_queries import INBOX_PAGE, CaseQueries
from bot.services.command_words import ELECTION_WORDS, SANCTION_WORDS, STATUS_WORDS, key_for
from bot.services.dates import (
    DateInFuture,
    DateInvalid,
    parse_incident_date,
    today_in,
    today_in_indonesia,
)
from bot.services.desk import Desk
from bot.services.elections import KNOWN_ELECTIONS
from bot.services.evidence_intake import EvidenceIntake
from bot.services.follow_up import BadResponse, parse_response
from bot.services.forwarding_document import ForwardingDocument, forwarding_pdf
from bot.services.lifecycle import OPEN, SANCTIONS, STATUSES, Status
from bot.services.offices import find_office, office_name
from bot.services.regions import zone_of
from bot.services.report_fields import clean_text
from bot.services.staff import StaffDirectory, StaffMember, parse_user_id
from bot.telegram.case_sending import send_case
from bot.telegram.files import download_evidence
from bot.telegram.menus import staff_commands
from bot.ui.cards import case_line, overdue_text, staff_name
from bot.ui.labels import (
    category_label,
    election_label,
    ppk_response_label,
    sanction_label,
    show_local_date,
    status_label,
)
from bot.ui.text import TELEGRAM_TEXT_LIMIT, bold, code, quote, split_for_telegram
from storage.evidence_store import EvidenceStore

log = logging.getLogger(__name__)

router = RouterTemplate(name="staff")
COMMANDS = (
    "inbox",
    "case",
    "setstatus",
    "note",
    "ask",
    "assign",
    "find",
    "overdue",
    "forward",
    "recommend",
    "ppk",
    "bkn",
    "followup",
    "transfer",
    "extend",
    "merge",
    "finding",
    "election",
    "help",
)
# The cheap tests first: most updates are citizens' answers and button presses, which need
# no look-up of who is staff.
router.message.filter(Command(*COMMANDS), StaffOnly())
router.callback_query.filter(DeskAction.filter(), StaffOnly())

TEXT_ARGUMENT_MAX = 1000
# Where an established ASN violation goes (BKN took over KASN's neutrality role in 2024).
DEFAULT_RECIPIENT = "Badan Kepegawaian Negara (BKN)"


def _arguments(command: CommandObject) -> str:
    """The command's text without control or invisible characters: a NUL byte would be
    refused by PostgreSQL, a bidi override would garble what other staff read."""
    return clean_text((command.args or "")[:TELEGRAM_TEXT_LIMIT])


def _split_args(command: CommandObject, count: int) -> list[str]:
    return _arguments(command).split(maxsplit=count - 1)


async def _code_and_text(
    message: Message, command: CommandObject, usage: str, limit: int = TEXT_ARGUMENT_MAX
) -> tuple[str, str] | None:
    """`/command CODE text`: both, the text cut to `limit`; or None, the usage answered."""
    parts = _split_args(command, 2)
    if len(parts) < 2:
        await message.answer(usage)
        return None
    return parts[0], parts[1][:limit]


@router.message(Command("help"))
async def staff_help(message: Message, staff: StaffMember) -> None:
    """Staff see the desk's commands; a citizen's /help falls through to the citizens'."""
    lines = [bold(_("Lapor Netral for staff"))]
    lines += [
        f"/{entry.command} — {quote(entry.description)}" for entry in staff_commands(staff.role)
    ]
    lines += [
        "",
        _(
            "Statuses, in the order of the procedure: {statuses}. Cards in the staff group "
            "have buttons for a case's next steps. The citizens' commands (/lapor, /status) "
            "work here too."
        ).format(statuses=", ".join(code(key) for key in STATUSES)),
    ]
    await message.answer("\n".join(lines))


@router.message(Command("inbox"))
async def inbox(
    message: Message, command: CommandObject, cases: CaseQueries, staff: StaffMember
) -> None:
    await _send_inbox(message, cases, (command.args or "").strip(), page=0, staff=staff)


async def _send_inbox(
    message: Message,
    cases: CaseQueries,
    selector: str,
    *,
    page: int,
    staff: StaffMember,
    edit: bool = False,
) -> None:
    """Open cases of the staff member's office and the offices below it."""
    if selector not in ("", "mine", *STATUSES):
        await message.answer(
            _("Use /inbox, /inbox mine, or /inbox STATUS (one of: {statuses}).").format(
                statuses=", ".join(code(key) for key in STATUSES)
            )
        )
        return
    statuses = (selector,) if selector in STATUSES else OPEN
    assignee = staff.user_id if selector == "mine" else None
    listed = await cases.inbox(
        statuses=statuses, assignee_id=assignee, page=page, scope=staff.office
    )
    total = listed.total
    if not total:
        text = _("No cases here.")
    else:
        first = page * INBOX_PAGE + 1
        heading = (
            _("Cases {first}–{last} of more than {total}, oldest first")
            if listed.more
            else _("Cases {first}–{last} of {total}, oldest first")
        )
        text = "\n".join(
            [bold(heading.format(first=first, last=first + len(listed.cases) - 1, total=total))]
            + [case_line(case) for case in listed.cases]
        )
    buttons = []
    if page > 0:
        buttons.append(
            InlineKeyboardButton(
                text=_("◀️ Previous"),
                callback_data=DeskAction(action="page", code=selector, value=str(page - 1)).pack(),
            )
        )
    if (page + 1) * INBOX_PAGE < total:  # with `more`, total already reaches past the next page
        buttons.append(
            InlineKeyboardButton(
                text=_("Next ▶️"),
                callback_data=DeskAction(action="page", code=selector, value=str(page + 1)).pack(),
            )
        )
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


@router.callback_query(DeskAction.filter(F.action == "page"))
async def inbox_page(
    callback: CallbackQuery, callback_data: DeskAction, cases: CaseQueries, staff: StaffMember
) -> None:
    page = callback_data.value
    if not (page.isascii() and page.isdigit() and len(page) < 6) or not isinstance(
        callback.message, Message
    ):
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    await callback.answer()
    await _send_inbox(
        callback.message,
        cases,
        callback_data.code,
        page=int(callback_data.value),
        staff=staff,
        edit=True,
    )


@router.message(Command("case"))
async def case(
    message: Message,
    command: CommandObject,
    bot: Bot,
    cases: CaseQueries,
    evidence_store: EvidenceStore,
    staff: StaffMember,
    sees_identity: bool,
) -> None:
    if not _arguments(command):
        await message.answer(_("Usage: /case CODE"))
        return
    await send_case(
        message.chat.id,
        bot,
        cases,
        evidence_store,
        _arguments(command),
        show_identity=sees_identity,
        scope=staff.office,
    )


@router.message(Command("setstatus"))
async def set_status(
    message: Message, command: CommandObject, desk: Desk, staff: StaffMember
) -> None:
    """/setstatus CODE STATUS [note]; for not_registered, /setstatus CODE not_registered
    REASON [note]. The note is told to the reporter (for completion: what is missing)."""
    parts = _split_args(command, 3)
    if len(parts) < 2:
        await message.answer(
            _("Usage: /setstatus CODE STATUS [note for the reporter]. Statuses: {statuses}").format(
                statuses=", ".join(code(key) for key in STATUSES)
            )
        )
        return
    wanted = key_for(parts[1], STATUS_WORDS)
    rest = parts[2] if len(parts) > 2 else ""
    reason = None
    if wanted == Status.NOT_REGISTERED:
        reason, _space, rest = rest.partition(" ")
        reason = reason.lower() or None
    note = rest.strip()[:TEXT_ARGUMENT_MAX] or None
    moved, previous = await desk.set_status(
        parts[0],
        wanted,
        actor_id=staff.user_id,
        public_note=note,
        reason=reason,
        scope=staff.office,
    )
    text = _("{code}: {old} → {new}. The reporter will be notified.").format(
        code=code(moved.code), old=status_label(previous), new=bold(status_label(moved.status))
    )
    if moved.status == Status.REGISTERED and moved.register_number:
        text += "\n" + _("Register number: {number}").format(number=code(moved.register_number))
    await message.answer(text)


@router.message(Command("extend"))
async def extend(message: Message, command: CommandObject, desk: Desk, staff: StaffMember) -> None:
    usage = _("Usage: /extend CODE what more information is needed (told to the reporter)")
    if (given := await _code_and_text(message, command, usage)) is None:
        return
    case = await desk.extend(*given, actor_id=staff.user_id, scope=staff.office)
    await message.answer(
        _("{code}: the decision period is extended to {date}.").format(
            code=code(case.code),
            date=show_local_date(case.deadline_at, zone_of(case.region_code)),  # type: ignore[arg-type]
        )
    )


@router.message(Command("merge"))
async def merge(message: Message, command: CommandObject, desk: Desk, staff: StaffMember) -> None:
    parts = _split_args(command, 2)
    if len(parts) < 2:
        await message.answer(
            _(
                "Usage: /merge CODE INTO_CODE: the case CODE (the same civil servant, the same "
                "event) is merged into INTO_CODE, which carries on."
            )
        )
        return
    merged, survivor = await desk.merge(
        parts[0], parts[1].strip(), actor_id=staff.user_id, scope=staff.office
    )
    await message.answer(
        _(
            "{code} is merged into {into}. Its reporter is told and will hear that case's news."
        ).format(code=code(merged.code), into=code(survivor.code))
    )


@router.message(Command("election"))
async def election(
    message: Message, command: CommandObject, desk: Desk, staff: StaffMember
) -> None:
    parts = _split_args(command, 2)
    if len(parts) < 2:
        await message.answer(
            _("Usage: /election CODE {elections}").format(elections="|".join(KNOWN_ELECTIONS))
        )
        return
    case = await desk.set_election(
        parts[0], key_for(parts[1], ELECTION_WORDS), actor_id=staff.user_id, scope=staff.office
    )
    await message.answer(
        _("{code}: {election}, handled by {office}.").format(
            code=code(case.code),
            election=election_label(case.election),
            office=quote(office_name(case.office_code)),
        )
    )


@router.message(Command("finding"))
async def finding(
    message: Message, command: CommandObject, desk: Desk, state: FSMContext, staff: StaffMember
) -> None:
    """/finding CODE takes a report up as the office's finding; /finding alone, in a private
    chat, opens a new finding from the staff member's own supervision."""
    typed = _arguments(command)
    if typed:
        case = await desk.take_up_as_finding(typed, actor_id=staff.user_id, scope=staff.office)
        await message.answer(
            _("{code} is now a finding of {office}.").format(
                code=code(case.code), office=quote(office_name(case.office_code))
            )
        )
        return
    if message.chat.type != ChatType.PRIVATE:
        await message.answer(
            _("Open a new finding in a private chat with me: send /finding there.")
        )
        return
    await begin_finding(message, state)


@router.message(Command("note"))
async def note(
    message: Message,
    command: CommandObject,
    bot: Bot,
    desk: Desk,
    evidence_intake: EvidenceIntake,
    staff: StaffMember,
) -> None:
    """An internal note; sent as the caption of a photo or a file, the file is kept with
    the case as a record of the examination (a statement, minutes, a document)."""
    usage = _(
        "Usage: /note CODE text (internal, never shown to the reporter). As the caption of "
        "a photo or file, the file is kept with the case."
    )
    media = message.photo[-1] if message.photo else message.document
    parts = _split_args(command, 2)
    if not parts or (len(parts) < 2 and media is None):
        await message.answer(usage)
        return
    evidence = []
    if media is not None:
        content = await download_evidence(bot, media.file_id, media.file_size)
        evidence.append(await evidence_intake.accept(content))
    text = parts[1][:TEXT_ARGUMENT_MAX] if len(parts) > 1 else ""
    noted = await desk.add_note(
        parts[0], text, actor_id=staff.user_id, evidence=evidence, scope=staff.office
    )
    answer = (
        _("Internal note and file added to {code}.")
        if evidence
        else _("Internal note added to {code}.")
    )
    await message.answer(answer.format(code=code(noted.code)))


@router.message(Command("ask"))
async def ask(message: Message, command: CommandObject, desk: Desk, staff: StaffMember) -> None:
    usage = _("Usage: /ask CODE question for the reporter")
    if (given := await _code_and_text(message, command, usage)) is None:
        return
    asked = await desk.ask(*given, actor_id=staff.user_id, scope=staff.office)
    await message.answer(
        _("Question sent to the reporter of {code}; their answer will come here.").format(
            code=code(asked.code)
        )
    )


@router.message(Command("assign"))
async def assign(
    message: Message,
    command: CommandObject,
    desk: Desk,
    staff_directory: StaffDirectory,
    staff: StaffMember,
) -> None:
    parts = _split_args(command, 2)
    if len(parts) < 2:
        await message.answer(_("Usage: /assign CODE me|USER_ID"))
        return
    target = parts[1].strip()
    if target.lower() == "me":
        assignee: StaffMember | None = staff
    else:
        typed = parse_user_id(target)
        assignee = await staff_directory.member(typed) if typed is not None else None
    if assignee is None:
        await message.answer(_("{who} is not a staff member.").format(who=quote(target[:40])))
        return
    assigned = await desk.assign(parts[0], assignee, actor_id=staff.user_id, scope=staff.office)
    names = await staff_directory.names([assignee.user_id])
    await message.answer(
        _("{code} is assigned to {who}.").format(
            code=code(assigned.code), who=staff_name(assignee.user_id, names)
        )
    )


@router.message(Command("find"))
async def find(
    message: Message, command: CommandObject, cases: CaseQueries, staff: StaffMember
) -> None:
    text = _arguments(command)[:200]
    if not text:
        await message.answer(_("Usage: /find name, agency or code"))
        return
    found = await cases.find(text, scope=staff.office)
    if not found:
        await message.answer(_("Nothing found for {text}.").format(text=quote(text)))
        return
    await message.answer("\n".join([bold(_("Found"))] + [case_line(case) for case in found]))


@router.message(Command("overdue"))
async def overdue(message: Message, cases: CaseQueries, staff: StaffMember) -> None:
    for part in split_for_telegram(overdue_text(await cases.overdue(scope=staff.office))):
        await message.answer(part)


@router.message(Command("forward", "recommend"))
async def forward(
    message: Message,
    command: CommandObject,
    desk: Desk,
    cases: CaseQueries,
    evidence_intake: EvidenceIntake,
    i18n: I18n,
    staff: StaffMember,
) -> None:
    """/forward CODE [recipient]: an established violation goes to BKN (or `recipient`)
    with the forwarding document, which is kept with the case, posted under its card and
    given to the staff member to send."""
    parts = _split_args(command, 2)
    if not parts:
        await message.answer(
            _("Usage: /forward CODE [recipient]: the recipient is BKN unless you name another.")
        )
        return
    recipient = parts[1][:300] if len(parts) > 1 else DEFAULT_RECIPIENT
    case = await desk.forward(parts[0], recipient, actor_id=staff.user_id, scope=staff.office)
    detail = await cases.detail(case.code, show_identity=False, scope=staff.office)
    with i18n.use_locale("id"):  # the office's letter is Indonesian, as its register is
        document = ForwardingDocument(
            office=office_name(case.office_code),
            recipient=recipient,
            ppk=case.ppk or "-",
            on=today_in(zone_of(case.region_code)),
            category=category_label(case.category),
        )
    pdf = await asyncio.to_thread(forwarding_pdf, document, detail.case, detail.evidence)
    item = await evidence_intake.accept(pdf)
    await desk.attach_document(
        case.code, item, actor_id=staff.user_id, scope=staff.office, shown_in=message.chat.id
    )
    await message.answer_document(
        BufferedInputFile(pdf, filename=f"penerusan-{case.code}.pdf"),
        caption=_(
            "{code} is forwarded to {recipient}; the follow-up is due by {date}. Send them "
            "this document. The PPK is {ppk} (/ppk CODE name corrects it)."
        ).format(
            code=code(case.code),
            recipient=quote(recipient),
            date=show_local_date(case.follow_up_due_at, zone_of(case.region_code)),  # type: ignore[arg-type]
            ppk=quote(case.ppk or "-"),
        ),
    )


@router.message(Command("ppk"))
async def ppk(message: Message, command: CommandObject, desk: Desk, staff: StaffMember) -> None:
    usage = _("Usage: /ppk CODE name of the staffing authority (PPK), e.g. Bupati Bogor")
    if (given := await _code_and_text(message, command, usage, limit=200)) is None:
        return
    case = await desk.set_ppk(*given, actor_id=staff.user_id, scope=staff.office)
    await message.answer(
        _("{code}: the PPK is {ppk}.").format(code=code(case.code), ppk=quote(case.ppk or ""))
    )


@router.message(Command("bkn"))
async def bkn(message: Message, command: CommandObject, desk: Desk, staff: StaffMember) -> None:
    """/bkn CODE SANCTION [dd-mm-yyyy]: BKN's recommendation to the PPK."""
    parts = _split_args(command, 3)
    usage = _("Usage: /bkn CODE {sanctions} [date of BKN's recommendation, dd-mm-yyyy]").format(
        sanctions="|".join(SANCTIONS)
    )
    if len(parts) < 2:
        await message.answer(usage)
        return
    today = today_in_indonesia()
    try:
        on = parse_incident_date(parts[2], today) if len(parts) > 2 else today
    except (DateInvalid, DateInFuture):
        await message.answer(usage)
        return
    case = await desk.record_bkn_recommendation(
        parts[0], key_for(parts[1], SANCTION_WORDS), on, actor_id=staff.user_id, scope=staff.office
    )
    await message.answer(
        _("{code}: BKN recommends {sanction} to {ppk}.").format(
            code=code(case.code),
            sanction=sanction_label(case.bkn_sanction or ""),
            ppk=quote(case.ppk or "-"),
        )
    )


@router.message(Command("followup"))
async def follow_up(
    message: Message, command: CommandObject, desk: Desk, staff: StaffMember
) -> None:
    """/followup CODE imposed SANCTION DECREE_NUMBER DD-MM-YYYY, or /followup CODE
    declined REASON: what the PPK did."""
    parts = _split_args(command, 2)
    usage = _(
        "Usage: /followup CODE imposed {sanctions} DECREE_NUMBER dd-mm-yyyy (the sanction the "
        "PPK imposed and its decree), or /followup CODE declined reason (the PPK decided on no "
        "sanction)."
    ).format(sanctions="|".join(SANCTIONS))
    if len(parts) < 2:
        await message.answer(usage)
        return
    try:
        response = parse_response(parts[1], today_in_indonesia())
    except BadResponse as error:
        await message.answer(_bad_response(error.reason) + "\n" + usage)
        return
    case = await desk.record_ppk_response(
        parts[0], response, actor_id=staff.user_id, scope=staff.office
    )
    await message.answer(
        _("{code}: {response} recorded; the reporter is told.").format(
            code=code(case.code), response=ppk_response_label(response.kind)
        )
    )


def _bad_response(reason: str) -> str:
    messages = {
        "bad_sanction": _("The sanction must be one of: {sanctions}.").format(
            sanctions=", ".join(SANCTIONS)
        ),
        "bad_decree_date": _("The decree's date must be a date up to today, as dd-mm-yyyy."),
        "declined_needs_reason": _("Say why the PPK decided on no sanction."),
        "imposed_usage": _(
            "An imposed sanction needs the sanction, the decree number and its date."
        ),
    }
    return messages.get(reason, _("That is not a response the bot knows."))


@router.message(Command("transfer"))
async def transfer(
    message: Message, command: CommandObject, desk: Desk, staff: StaffMember
) -> None:
    """Pelimpahan: /transfer CODE OFFICE: reason. OFFICE is a region code or a name, so the
    reason follows a colon."""
    case_code, _space, rest = _arguments(command).partition(" ")
    target_text, colon, reason = rest.partition(":")
    if not (case_code and target_text.strip() and colon and reason.strip()):
        await message.answer(
            _(
                "Usage: /transfer CODE OFFICE: reason. OFFICE is a region code or name, for "
                "example /transfer ASN-7K2M-9QXD Kalimantan Tengah: a governor's election."
            )
        )
        return
    target = find_office(target_text)
    if target is None:
        await message.answer(
            _("There is no office {office}.").format(office=quote(target_text.strip()[:60]))
        )
        return
    moved, previous = await desk.transfer(
        case_code,
        target,
        reason.strip()[:TEXT_ARGUMENT_MAX],
        actor_id=staff.user_id,
        scope=staff.office,
    )
    await message.answer(
        _("{code} moved from {old} to {new}. The reporter will be told.").format(
            code=code(moved.code),
            old=quote(office_name(previous)),
            new=bold(quote(office_name(target))),
        )
    )
