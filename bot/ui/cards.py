"""How cases look to staff: the card in the staff chat, the full case, list lines.
Nothing here shows a reporter's chat id; identity only when the caller passes it."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.flows.desk import DeskAction
from bot.services import regions
from bot.services.case_queries import CaseDetail, OverdueCases
from bot.services.lifecycle import FINAL, REJECT_REASONS
from bot.services.offices import office_name
from bot.services.regions import zone_of
from bot.services.related import RelatedCases
from bot.ui.labels import (
    category_label,
    show_date,
    show_datetime,
    show_local_date,
    status_label,
)
from bot.ui.text import bold, code, quote, shorten
from storage.models import Case

EXCERPT_CHARS = 280


def related_label(reason: str) -> str:
    return _("same civil servant") if reason == "same_person" else _("same image")


def related_line(related: RelatedCases) -> str:
    cases = ", ".join(f"{code(other)} ({related_label(reason)})" for other, reason in related.shown)
    if related.not_shown:
        return "⚠️ " + _("Possibly related: {cases} and {count} more").format(
            cases=cases, count=related.not_shown
        )
    return "⚠️ " + _("Possibly related: {cases}").format(cases=cases)


def reject_reason_label(key: str) -> str:
    labels = {
        "not_asn": _("The person reported is not a civil servant (ASN)."),
        "out_of_scope": _("The matter is outside the scope of ASN neutrality supervision."),
        "duplicate": _("The same matter has already been reported."),
        "no_substance": _("The report does not contain enough substance to examine."),
    }
    return labels.get(key, key)


def reject_reason_button(key: str) -> str:
    labels = {
        "not_asn": _("Not an ASN"),
        "out_of_scope": _("Out of scope"),
        "duplicate": _("Duplicate"),
        "no_substance": _("No substance"),
    }
    return labels.get(key, key)


def region_line(case: Case) -> str:
    """Where it happened: "Kabupaten Gunung Mas, Kalimantan Tengah", or the province."""
    regency = regions.regency(case.region_code)
    return f"{regency.name}, {case.province}" if regency is not None else case.province


def case_card(case: Case, evidence_count: int, related: RelatedCases) -> str:
    lines = [
        f"{code(case.code)} · {bold(status_label(case.status))}",
        _("Category: {category}").format(category=category_label(case.category)),
        _("Civil servant: {name}").format(
            name=quote(case.asn_name)
            + (f" ({quote(case.asn_position)})" if case.asn_position else "")
        ),
        _("Agency: {agency}").format(agency=quote(case.agency)),
        _("Where: {region}").format(region=quote(region_line(case))),
        _("Office: {office}").format(office=quote(office_name(case.office_code))),
        _("Incident date: {date}").format(date=show_date(case.incident_date)),
        _("Evidence: {count} file(s)").format(count=evidence_count),
        _("Assigned to: {who}").format(
            who=code(str(case.assignee_id)) if case.assignee_id else _("nobody yet")
        ),
        "",
        quote(shorten(case.description, EXCERPT_CHARS)),
    ]
    if related.total:
        lines += ["", related_line(related)]
    return "\n".join(lines)


def card_keyboard(case: Case) -> InlineKeyboardMarkup | None:
    if case.status in FINAL:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("🙋 Take"),
                    callback_data=DeskAction(
                        action="take", code=case.code, seen=case.version
                    ).pack(),
                ),
                InlineKeyboardButton(
                    text=_("🔎 Review"),
                    callback_data=DeskAction(action="review", code=case.code).pack(),
                ),
            ],
            [
                InlineKeyboardButton(
                    text=_("❓ Ask"), callback_data=DeskAction(action="ask", code=case.code).pack()
                ),
                InlineKeyboardButton(
                    text=_("⛔ Reject"),
                    callback_data=DeskAction(
                        action="reject", code=case.code, seen=case.version
                    ).pack(),
                ),
            ],
        ]
    )


def reject_keyboard(case_code: str, seen_version: int) -> InlineKeyboardMarkup:
    """The reasons, each carrying the version of the card on which Reject was pressed."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=reject_reason_button(key),
                    callback_data=DeskAction(
                        action="reason", code=case_code, value=key, seen=seen_version
                    ).pack(),
                )
            ]
            for key in REJECT_REASONS
        ]
    )


def event_line(event_action: str, from_status: str | None, to_status: str | None) -> str:
    if event_action == "status" and to_status:
        return _("status {old} → {new}").format(
            old=status_label(from_status or "-"), new=status_label(to_status)
        )
    labels = {
        "submitted": _("report submitted"),
        "note": _("internal note"),
        "question": _("question to the reporter"),
        "answer": _("reporter's answer"),
        "assigned": _("assigned"),
        "recommendation": _("recommendation sent"),
        "follow_up": _("follow-up recorded"),
        "export": _("exported"),
        "transfer": _("transferred"),
    }
    return labels.get(event_action, event_action)


def case_detail(detail: CaseDetail) -> str:
    case = detail.case
    zone = zone_of(case.region_code)
    not_given = _("(not given)")
    lines = [
        bold(_("Case {code}").format(code=code(case.code))),
        _("Status: {status} (since {when})").format(
            status=bold(status_label(case.status)),
            when=show_datetime(case.status_changed_at, zone),
        ),
        _("Filed: {when}").format(when=show_datetime(case.created_at, zone)),
        _("Category: {category}").format(category=category_label(case.category)),
        _("Civil servant: {name}").format(name=quote(case.asn_name)),
        _("Position: {position}").format(position=quote(case.asn_position) or not_given),
        _("NIP: {nip}").format(nip=quote(case.asn_nip) or not_given),
        _("Agency: {agency}").format(agency=quote(case.agency)),
        _("Where: {region}").format(region=quote(region_line(case))),
        _("Office: {office}").format(office=quote(office_name(case.office_code))),
        _("Incident date: {date}").format(date=show_date(case.incident_date)),
        _("Place: {place}").format(
            place=" ".join(quote(p) for p in (case.place, case.place_url) if p) or not_given
        ),
        _("Witnesses: {witnesses}").format(witnesses=quote(case.witnesses) or not_given),
        _("Assigned to: {who}").format(
            who=code(str(case.assignee_id)) if case.assignee_id else _("nobody yet")
        ),
    ]
    if detail.reporter_name or detail.reporter_phone:
        lines.append(
            _("Reporter (visible to admins only): {name}, {phone}").format(
                name=quote(detail.reporter_name), phone=quote(detail.reporter_phone)
            )
        )
    if case.recommendation_to:
        lines.append(
            _("Recommendation sent to {recipient} on {when}").format(
                recipient=quote(case.recommendation_to),
                when=show_datetime(case.recommendation_sent_at, zone),  # type: ignore[arg-type]
            )
        )
    if case.followed_up_at:
        lines.append(
            _("Follow-up: {sanction}").format(sanction=sanction_label(case.sanction or ""))
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
    lines += ["", bold(_("What happened")), quote(case.description), "", bold(_("History"))]
    for event in detail.events:
        what = event_line(event.action, event.from_status, event.to_status)
        line = f"• {show_datetime(event.created_at, zone)} — {what}"
        if event.actor == "staff" and event.actor_id:
            line += f" ({code(str(event.actor_id))})"
        if event.action == "transfer" and event.detail:
            line += f": {quote(transfer_line(event.detail))}"
        elif event.detail and event.action in (
            "note",
            "question",
            "answer",
            "status",
            "follow_up",
            "recommendation",
        ):
            line += f": {quote(shorten(event.detail, 300))}"
        lines.append(line)
    return "\n".join(lines)


def transfer_line(detail: str) -> str:
    """A transfer as the history stores it ("62.10 -> 62: reason"), with office names."""
    offices_part, _colon, reason = detail.partition(": ")
    old, _arrow, new = offices_part.partition(" -> ")
    return f"{office_name(old)} → {office_name(new)}: {shorten(reason, 300)}"


def sanction_label(key: str) -> str:
    labels = {
        "none": _("no sanction"),
        "moral": _("moral sanction"),
        "moderate": _("moderate discipline"),
        "severe": _("severe discipline"),
    }
    return labels.get(key, key)


def case_line(case: Case) -> str:
    return (
        f"{code(case.code)} · {status_label(case.status)} · {quote(shorten(case.asn_name, 40))}, "
        f"{quote(shorten(case.agency, 40))} · "
        f"{show_local_date(case.created_at, zone_of(case.region_code))}"
    )


def overdue_text(overdue: OverdueCases) -> str:
    if not overdue:
        return _("No overdue cases.")
    lines = [bold(_("Overdue cases"))]
    sections = (
        (_("Not reviewed in time"), overdue.review),
        (_("No decision in time"), overdue.decision),
        (_("Follow-up of the recommendation overdue"), overdue.follow_up),
    )
    for title, cases in sections:
        if cases:
            lines += ["", bold(f"{title} ({len(cases)})")]
            lines += [case_line(case) for case in cases[:30]]
            if len(cases) > 30:
                lines.append(_("…and {count} more").format(count=len(cases) - 30))
    return "\n".join(lines)
