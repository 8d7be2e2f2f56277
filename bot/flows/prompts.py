"""The question asked at each step of the report, with its buttons, built per request so
they are in the reporter's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _

from bot.flows.report import STEP_NUMBER, TOTAL_STEPS, ReportAction, ReportForm
from bot.services import regions, report_fields
from bot.services.catalogue import CATEGORY_KEYS
from bot.ui.labels import category_label, identity_label, show_date
from bot.ui.text import bold, quote, shorten

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None
SUMMARY_DESCRIPTION_CHARS = 1200


def back_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Back"), callback_data=ReportAction(action="back").pack())


def skip_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("Skip ➡️"), callback_data=ReportAction(action="skip").pack())


def back_label() -> str:
    return _("⬅️ Back")


def step_header(state: State) -> str:
    number = STEP_NUMBER.get(state.state or "")
    if number is None:
        return bold(_("Summary"))
    return bold(_("Step {number}/{total}").format(number=number, total=TOTAL_STEPS))


def _keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def prompt(state: State, data: Mapping[str, Any]) -> tuple[str, Markup]:
    """Question text (HTML) and keyboard for `state`."""
    builder = _BUILDERS[state.state or ""]
    body, markup = builder(data)
    return f"{step_header(state)}\n{body}", markup


def _identity(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    text = _(
        "How do you want to report?\n\n"
        "🕶 <b>Anonymous</b>: we keep nothing about you except this chat, so we can tell you "
        "how your report progresses. Staff may act on it as information.\n\n"
        "🪪 <b>Identified</b>: you give your name and phone number, which only the admins "
        "can see. A formal report under the rules needs this."
    )
    return text, _keyboard(
        [
            InlineKeyboardButton(
                text=_("🕶 Anonymous"),
                callback_data=ReportAction(action="identity", value="anonymous").pack(),
            ),
            InlineKeyboardButton(
                text=_("🪪 Identified"),
                callback_data=ReportAction(action="identity", value="identified").pack(),
            ),
        ]
    )


def _reporter_name(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _("What is your full name?"), _keyboard([back_button()])


def _reporter_phone(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    text = _(
        "Your phone number: press <b>Share my number</b> below, or type it "
        "(for example 0812 3456 7890)."
    )
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
            [KeyboardButton(text=back_label())],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return text, keyboard


def _asn_name(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _("What is the name of the civil servant (ASN) you are reporting?"), _keyboard(
        [back_button()]
    )


def _asn_position(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _("Their position or job title, if you know it (for example: school teacher)."), (
        _keyboard([back_button(), skip_button()])
    )


def _asn_nip(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _("Their NIP (the 18-digit civil servant number), if you know it."), _keyboard(
        [back_button(), skip_button()]
    )


def _agency(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _(
        "Which agency or office do they work for? (for example: Dinas Pendidikan Kota Bandung)"
    ), _keyboard([back_button()])


def _in_rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    # Rows made by hand: aiogram's keyboard builder deep-copies every button when it builds
    # the markup, which for 38 provinces was a tenth of the bot's CPU per update (bench/).
    return [buttons[start : start + width] for start in range(0, len(buttons), width)]


def _province(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    buttons = [
        InlineKeyboardButton(
            text=province.name,
            callback_data=ReportAction(action="province", value=province.code).pack(),
        )
        for province in regions.provinces()
    ]
    return _(
        "In which province did it happen? This decides which Bawaslu office handles your report."
    ), _keyboard(*_in_rows(buttons, 2), [back_button()])


REGENCIES_PER_PAGE = 10


def _regency(data: Mapping[str, Any]) -> tuple[str, Markup]:
    province = regions.province(data.get("province_code"))
    name = province.name if province else ""
    text = _(
        "And which regency or city in {province}? Choose below or type its name (for "
        "example: Kabupaten Gunung Mas, or Kota Palangka Raya)."
    ).format(province=quote(name))
    return text, regency_keyboard(data.get("province_code", ""), page=0)


def regency_keyboard(
    province_code: str, *, page: int, only: list[regions.Regency] | None = None
) -> InlineKeyboardMarkup:
    """The regencies/cities of a province, a page at a time (or just `only`, the names a
    typed answer may mean), with "I don't know" and Back."""
    province = regions.province(province_code)
    listed = only if only is not None else list(province.regencies if province else ())
    shown = (
        listed
        if only is not None
        else listed[page * REGENCIES_PER_PAGE : (page + 1) * REGENCIES_PER_PAGE]
    )
    buttons = [
        InlineKeyboardButton(
            text=regency.name,
            callback_data=ReportAction(action="regency", value=regency.code).pack(),
        )
        for regency in shown
    ]
    pages = []
    if only is None and page > 0:
        pages.append(
            InlineKeyboardButton(
                text=_("◀️ Previous"),
                callback_data=ReportAction(action="regency_page", value=str(page - 1)).pack(),
            )
        )
    if only is None and (page + 1) * REGENCIES_PER_PAGE < len(listed):
        pages.append(
            InlineKeyboardButton(
                text=_("Next ▶️"),
                callback_data=ReportAction(action="regency_page", value=str(page + 1)).pack(),
            )
        )
    unknown = InlineKeyboardButton(
        text=_("🤷 I don't know"), callback_data=ReportAction(action="regency", value="-").pack()
    )
    return _keyboard(*_in_rows(buttons, 2), pages, [unknown], [back_button()])


def _category(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{number}. {category_label(key)}",
                callback_data=ReportAction(action="category", value=key).pack(),
            )
        ]
        for number, key in enumerate(CATEGORY_KEYS, start=1)
    ]
    return _("What kind of violation was it?"), _keyboard(*rows, [back_button()])


def _incident_date(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    text = _(
        "When did it happen? Choose below, or type the date as dd-mm-yyyy (for example 17-11-2026)."
    )
    return text, _keyboard(
        [
            InlineKeyboardButton(
                text=_("Today"), callback_data=ReportAction(action="date", value="today").pack()
            ),
            InlineKeyboardButton(
                text=_("Yesterday"),
                callback_data=ReportAction(action="date", value="yesterday").pack(),
            ),
        ],
        [back_button()],
    )


def _place(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _(
        "Where did it happen? Type the place (for example: Balai Desa Sukamaju, Garut), "
        "or paste the link to the social-media post."
    ), _keyboard([back_button()])


def _description(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _(
        "What happened? Describe it in your own words: what the civil servant did, for which "
        "candidate or party, and how you know. ({minimum} to {maximum} characters)"
    ).format(
        minimum=report_fields.DESCRIPTION_MIN, maximum=report_fields.DESCRIPTION_MAX
    ), _keyboard([back_button()])


def _witnesses(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _("Were there witnesses? Write their names or how to reach them, or skip."), _keyboard(
        [back_button(), skip_button()]
    )


def evidence_done_keyboard() -> InlineKeyboardMarkup:
    return _keyboard(
        [
            back_button(),
            InlineKeyboardButton(
                text=_("✅ Done"), callback_data=ReportAction(action="evidence_done").pack()
            ),
        ]
    )


def _evidence(data: Mapping[str, Any]) -> tuple[str, Markup]:
    count = len(data.get("evidence", []))
    text = _(
        "Send your evidence: photos, screenshots, PDF or video files (up to 10, each at most "
        "20 MB). You can send several at once. Press <b>Done</b> when finished."
    )
    text += "\n" + _(
        "🔒 Location and device data, and the author of a PDF, are removed from your files "
        "before they are kept or shown to the review team."
    )
    if count:
        text += "\n" + _("Attached so far: {count}.").format(count=count)
    return text, evidence_done_keyboard()


def summary_text(data: Mapping[str, Any]) -> str:
    """Everything the reporter entered, user text escaped."""
    not_given = _("(not given)")

    def field(label: str, value: str | None) -> str:
        return f"{bold(label)}: {quote(value) if value else not_given}"

    lines = [bold(_("Please check your report before sending it.")), ""]
    identity = identity_label(data.get("identity", "anonymous"))
    if data.get("identity") == "identified":
        identity += (
            f" ({quote(data.get('reporter_name', ''))}, {quote(data.get('reporter_phone', ''))})"
        )
    lines.append(f"{bold(_('Reporting as'))}: {identity}")
    lines.append(field(_("Civil servant"), data.get("asn_name")))
    lines.append(field(_("Position"), data.get("asn_position")))
    lines.append(field(_("NIP"), data.get("asn_nip")))
    lines.append(field(_("Agency"), data.get("agency")))
    region = data.get("province")
    if data.get("regency"):
        region = f"{data['regency']}, {region}"
    lines.append(field(_("Region"), region))
    lines.append(f"{bold(_('Category'))}: {category_label(data.get('category', ''))}")
    incident = data.get("incident_date")
    lines.append(
        f"{bold(_('Date'))}: {show_date(date.fromisoformat(incident)) if incident else not_given}"
    )
    place = " ".join(part for part in (data.get("place"), data.get("place_url")) if part)
    lines.append(field(_("Place"), place))
    description = shorten(data.get("description", ""), SUMMARY_DESCRIPTION_CHARS)
    lines.append(field(_("What happened"), description))
    lines.append(field(_("Witnesses"), data.get("witnesses")))
    lines.append(
        f"{bold(_('Evidence'))}: "
        + _("{count} file(s)").format(count=len(data.get("evidence", [])))
    )
    return "\n".join(lines)


def _summary(data: Mapping[str, Any]) -> tuple[str, Markup]:
    edit_labels = {
        "identity": _("Identity"),
        "asn_name": _("Name"),
        "asn_position": _("Position"),
        "asn_nip": _("NIP"),
        "agency": _("Agency"),
        "province": _("Region"),
        "category": _("Category"),
        "incident_date": _("Date"),
        "place": _("Place"),
        "description": _("What happened"),
        "witnesses": _("Witnesses"),
        "evidence": _("Evidence"),
    }
    edit_buttons = [
        InlineKeyboardButton(
            text=_("✏️ {field}").format(field=label),
            callback_data=ReportAction(action="edit", value=field_name).pack(),
        )
        for field_name, label in edit_labels.items()
    ]
    submit = InlineKeyboardButton(
        text=_("📨 Submit report"), callback_data=ReportAction(action="submit").pack()
    )
    return summary_text(data), _keyboard(*_in_rows(edit_buttons, 3), [submit])


_BUILDERS = {
    ReportForm.identity.state: _identity,
    ReportForm.reporter_name.state: _reporter_name,
    ReportForm.reporter_phone.state: _reporter_phone,
    ReportForm.asn_name.state: _asn_name,
    ReportForm.asn_position.state: _asn_position,
    ReportForm.asn_nip.state: _asn_nip,
    ReportForm.agency.state: _agency,
    ReportForm.province.state: _province,
    ReportForm.regency.state: _regency,
    ReportForm.category.state: _category,
    ReportForm.incident_date.state: _incident_date,
    ReportForm.place.state: _place,
    ReportForm.description.state: _description,
    ReportForm.witnesses.state: _witnesses,
    ReportForm.evidence.state: _evidence,
    ReportForm.summary.state: _summary,
}
