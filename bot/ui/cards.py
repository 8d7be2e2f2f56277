"""How cases look to staff: the card in the staff group with the buttons of the case's next
steps, the full case, list lines. Nothing here shows a reporter's chat id; identity only
when the caller passes it. Staff members appear by name where it is known."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.flows.desk import DeskAction
from bot.services import regions
from bot.services.case_queries import CaseDetail, OverdueCases
from bot.services.dates import FORMAL_REPORT_WINDOW_DAYS, past_formal_deadline
from bot.services.lifecycle import FINAL, NOT_REGISTERED_REASONS, REGISTRATION_PENDING, Status
from bot.services.offices import office_name
from bot.services.regions import zone_of
from bot.services.related import RelatedCases
from bot.ui.labels import (
    category_label,
    deadline_line,
    election_label,
    forwarding_authority,
    kind_label,
    not_registered_reason_button,
    not_registered_reason_label,
    party_kind_label,
    sanction_label,
    show_date,
    show_datetime,
    show_local_date,
    status_label,
)
from bot.ui.text import bold, code, quote, shorten
from storage.models import Case, as_utc, utcnow

EXCERPT_CHARS = 280
# Decisions asked twice: a mis-tap would tell a reporter their case was decided.
CONFIRMED_MOVES = (Status.ESTABLISHED, Status.NOT_ESTABLISHED)


def related_label(reason: str) -> str:
    return _("same civil servant") if reason == "same_person" else _("same image")


def related_line(related: RelatedCases) -> str:
    cases = ", ".join(f"{code(other)} ({related_label(reason)})" for other, reason in related.shown)
    if related.not_shown:
        return "⚠️ " + _("Possibly related: {cases} and {count} more").format(
            cases=cases, count=related.not_shown
        )
    return "⚠️ " + _("Possibly related: {cases}").format(cases=cases)


def region_line(case: Case) -> str:
    """Where it happened: "Kabupaten Gunung Mas, Kalimantan Tengah", or the province."""
    regency = regions.regency(case.region_code)
    return f"{regency.name}, {case.province}" if regency is not None else case.province


def staff_name(user_id: int | None, names: dict[int, str]) -> str:
    """A staff member by name, or by id until the bot has seen their name."""
    if user_id is None:
        return _("nobody yet")
    return quote(names[user_id]) if user_id in names else code(str(user_id))


def _reported_person(case: Case) -> str:
    person = quote(case.asn_name) + (f" ({quote(case.asn_position)})" if case.asn_position else "")
    if case.party_kind != "asn":
        person += f" · {party_kind_label(case.party_kind)}"
    return person


def _kind_line(case: Case) -> str:
    line = kind_label(case.kind)
    if case.register_number:
        line += " · " + _("register no. {number}").format(number=code(case.register_number))
    return line


def case_card(
    case: Case, evidence_count: int, related: RelatedCases, names: dict[int, str] | None = None
) -> str:
    names = names or {}
    zone = zone_of(case.region_code)
    lines = [
        f"{code(case.code)} · {bold(status_label(case.status))}",
        _kind_line(case),
        _("Election: {election}").format(election=election_label(case.election)),
        _("Category: {category}").format(category=category_label(case.category)),
        _("Reported person: {person}").format(person=_reported_person(case)),
        _("Agency: {agency}").format(agency=quote(case.agency)),
        _("Where: {region}").format(region=quote(region_line(case))),
        _("Office: {office}").format(office=quote(office_name(case.office_code))),
        _("Incident date: {date}").format(date=show_date(case.incident_date)),
    ]
    if (late := _days_late(case)) is not None:
        lines.append(
            "⚠️ "
            + _(
                "Reported {days} days after it became known: past the {limit} days a report "
                "has (a formal requirement)."
            ).format(days=late, limit=FORMAL_REPORT_WINDOW_DAYS)
        )
    if case.deadline_at is not None:
        lines.append(
            "⏱ " + deadline_line(case.status, case.deadline_at, zone, extended=case.extended)
        )
    lines += follow_up_lines(case)
    lines += [
        _("Evidence: {count} file(s)").format(count=evidence_count),
        _("Assigned to: {who}").format(who=staff_name(case.assignee_id, names)),
        "",
        quote(shorten(case.description, EXCERPT_CHARS)),
    ]
    if related.total:
        lines += ["", related_line(related)]
    return "\n".join(lines)


def _days_late(case: Case) -> int | None:
    """How many days after it became known a report was filed, when past the window for
    reporting; None otherwise, and once registration has been decided either way. The
    reporter is warned in their summary; the officer deciding registration is warned here."""
    if case.kind != "report" or case.status not in REGISTRATION_PENDING:
        return None
    known = case.date_known or case.incident_date
    filed = as_utc(case.created_at).astimezone(zone_of(case.region_code)).date()
    return (filed - known).days if past_formal_deadline(known, filed) else None


def _button(
    text: str, action: str, case: Case, value: str = "", *, versioned: bool = False
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=DeskAction(
            action=action, code=case.code, value=value, seen=case.version if versioned else 0
        ).pack(),
    )


def _move(text: str, case: Case, to_status: Status) -> InlineKeyboardButton:
    """A button that moves the case (asked again first for a decision)."""
    action = "confirm" if to_status in CONFIRMED_MOVES else "move"
    return _button(text, action, case, to_status, versioned=True)


def card_keyboard(case: Case) -> InlineKeyboardMarkup | None:
    """The next steps of the procedure from the case's status. A step that needs words (the
    missing items, a reason) shows the command to send."""
    if case.status in FINAL:
        return None
    review = _button(_("🔎 Review"), "review", case)
    ask = _button(_("❓ Ask"), "hint", case, "ask")
    not_registered = _button(_("⛔ Not registered"), "reasons", case, versioned=True)
    register = _move(_("📝 Register"), case, Status.REGISTERED)
    completion = _button(_("📎 To complete"), "hint", case, "completion")
    stop = _button(_("✋ Stop"), "hint", case, "stop")
    extend = _button(_("⏳ Extend"), "hint", case, "extend")
    close = _move(_("📁 Close"), case, Status.CLOSED)
    rows: dict[str, list[list[InlineKeyboardButton]]] = {
        Status.RECEIVED: [
            [_button(_("🙋 Take"), "take", case, versioned=True), review],
            [ask, not_registered],
        ],
        Status.INITIAL_REVIEW: [
            [register, completion],
            [not_registered, review],
            [ask]
            + (
                [_button(_("🔁 As a finding"), "finding", case, versioned=True)]
                if case.kind == "report"
                else []
            ),
        ],
        Status.COMPLETION: [[register, not_registered], [review, ask]],
        Status.REGISTERED: [
            [_move(_("🗣 Clarification"), case, Status.EXAMINATION), stop],
            [extend, review],
        ],
        Status.EXAMINATION: [
            [
                _move(_("✅ Established"), case, Status.ESTABLISHED),
                _move(_("❎ Not established"), case, Status.NOT_ESTABLISHED),
            ],
            [stop, extend],
            [review, ask],
        ],
        Status.ESTABLISHED: [[_button(_("📤 Forward"), "hint", case, "forward"), close], [review]],
        Status.NOT_ESTABLISHED: [[close, review]],
        Status.STOPPED: [[close, review]],
        Status.FORWARDED: [[close, review]],
    }
    return InlineKeyboardMarkup(inline_keyboard=rows.get(case.status, [[review]]))


def not_registered_keyboard(case_code: str, seen_version: int) -> InlineKeyboardMarkup:
    """The reasons, each carrying the version of the card on which the button was pressed,
    and a way out: a reason is final."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *(
                [
                    InlineKeyboardButton(
                        text=not_registered_reason_button(key),
                        callback_data=DeskAction(
                            action="reason", code=case_code, value=key, seen=seen_version
                        ).pack(),
                    )
                ]
                for key in NOT_REGISTERED_REASONS
            ),
            [_cancel_button(case_code)],
        ]
    )


def confirm_keyboard(case_code: str, to_status: str, seen_version: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes: {status}").format(status=status_label(to_status)),
                    callback_data=DeskAction(
                        action="move", code=case_code, value=to_status, seen=seen_version
                    ).pack(),
                ),
                _cancel_button(case_code),
            ]
        ]
    )


def _cancel_button(case_code: str) -> InlineKeyboardButton:
    """Puts away the message it is under (a confirmation, a list of reasons)."""
    return InlineKeyboardButton(
        text=_("Cancel"), callback_data=DeskAction(action="dismiss", code=case_code).pack()
    )


def event_line(event_action: str, from_status: str | None, to_status: str | None) -> str:
    if event_action == "status" and to_status:
        return _("status {old} → {new}").format(
            old=status_label(from_status or "-"), new=status_label(to_status)
        )
    labels = {
        "submitted": _("report submitted"),
        "finding_opened": _("finding opened"),
        "finding": _("taken up as a finding"),
        "note": _("internal note"),
        "staff_files": _("files recorded by staff"),
        "question": _("question to the reporter"),
        "answer": _("information from the reporter"),
        "merged_answer": _("information from the reporter of a report merged into it"),
        "answer_files": _("files from the reporter"),
        "assigned": _("assigned"),
        "recommendation": _("recommendation sent"),
        "follow_up": _("follow-up recorded"),
        "export": _("exported"),
        "transfer": _("transferred"),
        "extended": _("decision period extended"),
        "election": _("election set"),
        "merged_in": _("duplicate merged in"),
        "bkn": _("BKN's recommendation recorded"),
        "ppk": _("staffing authority (PPK) set"),
    }
    return labels.get(event_action, event_action)


# Events whose detail is shown in the history, as written.
_DETAILED = (
    "note",
    "question",
    "answer",
    "merged_answer",
    "status",
    "follow_up",
    "recommendation",
    "extended",
)


def _event_detail(action: str, detail: str | None, names: dict[int, str]) -> str:
    if not detail:
        return ""
    if action == "transfer":
        return f": {quote(transfer_line(detail))}"
    if action == "assigned":
        _old, _arrow, new = detail.partition(" -> ")
        return f": {staff_name(int(new), names)}" if new.isdigit() else ""
    if action == "election":
        _old, _arrow, new = detail.partition(" -> ")
        return f": {election_label(new)}"
    if action in ("staff_files", "answer_files"):
        return ": " + _("{count} file(s)").format(count=detail)
    if action == "merged_in":
        return f": {code(detail)}"
    if action in _DETAILED:
        return f": {quote(shorten(detail, 300))}"
    return ""


def case_detail(detail: CaseDetail) -> str:
    case = detail.case
    names = detail.staff_names
    zone = zone_of(case.region_code)
    not_given = _("(not given)")
    lines = [
        bold(_("Case {code}").format(code=code(case.code))),
        _kind_line(case),
        _("Status: {status} (since {when})").format(
            status=bold(status_label(case.status)),
            when=show_datetime(case.status_changed_at, zone),
        ),
    ]
    if case.deadline_at is not None:
        lines.append(
            "⏱ " + deadline_line(case.status, case.deadline_at, zone, extended=case.extended)
        )
    if case.status == Status.NOT_REGISTERED and case.outcome_reason:
        lines.append(
            _("Reason: {reason}").format(reason=not_registered_reason_label(case.outcome_reason))
        )
    if detail.merged_into:
        lines.append(_("Merged into {code}").format(code=code(detail.merged_into)))
    if detail.merged_in:
        lines.append(
            _("Duplicates merged into this case: {codes}").format(
                codes=", ".join(code(other) for other in detail.merged_in)
            )
        )
    lines += [
        _("Filed: {when}").format(when=show_datetime(case.created_at, zone)),
        _("Election: {election}").format(election=election_label(case.election)),
        _("Category: {category}").format(category=category_label(case.category)),
        _("Reported person: {name}").format(name=quote(case.asn_name)),
        _("Who they are: {kind}").format(kind=party_kind_label(case.party_kind)),
        _("Position: {position}").format(position=quote(case.asn_position) or not_given),
        _("NIP: {nip}").format(nip=quote(case.asn_nip) or not_given),
        _("Agency: {agency}").format(agency=quote(case.agency)),
        _("Where: {region}").format(region=quote(region_line(case))),
        _("Office: {office}").format(office=quote(office_name(case.office_code))),
        _("Incident date: {date}").format(date=show_date(case.incident_date)),
        _("Known to the reporter since: {date}").format(
            date=show_date(case.date_known) if case.date_known else not_given
        ),
        _("Place: {place}").format(
            place=" ".join(quote(p) for p in (case.place, case.place_url) if p) or not_given
        ),
        _("Witnesses: {witnesses}").format(witnesses=quote(case.witnesses) or not_given),
        _("Assigned to: {who}").format(who=staff_name(case.assignee_id, names)),
    ]
    if detail.reporter_name or detail.reporter_phone or detail.reporter_address:
        lines.append(
            _("Reporter (visible to admins only): {name}, {address}, {phone}").format(
                name=quote(detail.reporter_name) or not_given,
                address=quote(detail.reporter_address) or not_given,
                phone=quote(detail.reporter_phone) or not_given,
            )
        )
    if case.status == Status.ESTABLISHED:
        lines.append(
            _("Forward to: {authority}").format(authority=forwarding_authority(case.party_kind))
        )
    if case.recommendation_to:
        lines.append(
            _("Recommendation sent to {recipient} on {when}").format(
                recipient=quote(case.recommendation_to),
                when=show_datetime(case.recommendation_sent_at, zone),  # type: ignore[arg-type]
            )
        )
    lines += follow_up_lines(case)
    if detail.same_person:
        lines.append(
            "🔁 "
            + _("Other cases of this civil servant: {cases}").format(
                cases="; ".join(
                    f"{code(other)} ({status_label(status)}"
                    + (f", {sanction_label(sanction)})" if sanction else ")")
                    for other, status, sanction in detail.same_person
                )
            )
        )
    if detail.failed_notifications:
        lines.append(
            "⚠️ "
            + _(
                "{count} message(s) could not be delivered to the reporter "
                "(they may have blocked the bot)."
            ).format(count=detail.failed_notifications)
        )
    if detail.related.total:
        lines.append(related_line(detail.related))
    lines += [
        "",
        bold(_("Description of the incident")),
        quote(case.description),
        "",
        bold(_("History")),
    ]
    for event in detail.events:
        what = event_line(event.action, event.from_status, event.to_status)
        line = f"• {show_datetime(event.created_at, zone)} — {what}"
        if event.actor == "staff" and event.actor_id:
            line += f" ({staff_name(event.actor_id, names)})"
        line += _event_detail(event.action, event.detail, names)
        lines.append(line)
    return "\n".join(lines)


def transfer_line(detail: str) -> str:
    """A transfer as the history stores it ("62.10 -> 62: reason"), with office names."""
    offices_part, _colon, reason = detail.partition(": ")
    old, _arrow, new = offices_part.partition(" -> ")
    moved = f"{office_name(old)} → {office_name(new)}"
    return f"{moved}: {shorten(reason, 300)}" if reason else moved


def case_line(case: Case) -> str:
    return (
        f"{code(case.code)} · {status_label(case.status)} · {quote(shorten(case.asn_name, 40))}, "
        f"{quote(shorten(case.agency, 40))} · "
        f"{show_local_date(case.created_at, zone_of(case.region_code))}"
    )


def follow_up_lines(case: Case) -> list[str]:
    """Where the follow-up of a forwarded violation stands: the PPK, BKN's
    recommendation, the PPK's response or the date it is due."""
    if case.recommendation_sent_at is None:
        return []
    zone = zone_of(case.region_code)
    lines = [_("PPK: {ppk}").format(ppk=quote(case.ppk or "-"))]
    if case.bkn_sanction:
        lines.append(
            _("BKN recommends: {sanction}").format(sanction=sanction_label(case.bkn_sanction))
        )
    if case.ppk_response == "imposed":
        lines.append(
            _("PPK imposed {sanction} (decree {decree} of {date})").format(
                sanction=sanction_label(case.sanction or ""),
                decree=quote(case.ppk_decree or "-"),
                date=show_date(case.ppk_decree_date) if case.ppk_decree_date else "-",
            )
        )
    elif case.ppk_response == "declined":
        lines.append(
            _("PPK decided no sanction: {reason}").format(reason=quote(case.ppk_reason or "-"))
        )
    elif case.follow_up_due_at is not None:
        due = show_local_date(case.follow_up_due_at, zone)
        overdue = as_utc(case.follow_up_due_at) < utcnow()
        lines.append(
            ("🚩 " + _("No response from the PPK since {date}: flag for a records block")).format(
                date=due
            )
            if overdue
            else _("PPK's response due by {date}").format(date=due)
        )
    return lines


def _overdue_line(case: Case) -> str:
    zone = zone_of(case.region_code)
    late = f" · ⏱ {show_local_date(case.deadline_at, zone)}" if case.deadline_at else ""
    if case.deadline_at is None and case.follow_up_due_at is not None:
        late = f" · {quote(case.ppk or '-')} · ⏱ {show_local_date(case.follow_up_due_at, zone)}"
    return case_line(case) + late


def overdue_text(overdue: OverdueCases) -> str:
    if not overdue:
        return _("No overdue cases.")
    lines = [bold(_("Overdue cases"))]
    sections = (
        (_("Initial review not done in time"), overdue.review),
        (_("Completion period over (not registered at the next sweep)"), overdue.completion),
        (_("No decision in time"), overdue.decision),
        (_("No response from the PPK: flag for a records block"), overdue.follow_up),
        (_("PPK's response due within a week"), overdue.follow_up_soon),
    )
    for title, cases in sections:
        if cases:
            lines += ["", bold(f"{title} ({len(cases)})")]
            lines += [_overdue_line(case) for case in cases[:30]]
            if len(cases) > 30:
                lines.append(_("…and {count} more").format(count=len(cases) - 30))
    return "\n".join(lines)
