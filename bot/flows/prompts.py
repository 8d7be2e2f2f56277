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
from bot.services.dates import today_in
from bot.services.deadlines import reported_late
from bot.services.elections import KNOWN_ELECTIONS, Election
from bot.services.lifecycle import PARTY_KINDS
from bot.ui.labels import (
    category_label,
    election_label,
    identity_label,
    party_kind_label,
    show_date,
)
from bot.ui.text import bold, quote, shorten

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None
SUMMARY_DESCRIPTION_CHARS = 1200


def back_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Back"), callback_data=ReportAction(action="back").pack())


def skip_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("Skip ➡️"), callback_data=ReportAction(action="skip").pack())


def back_label() -> str:
    return _("⬅️ Back")


def skip_label() -> str:
    return _("Skip ➡️")


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
        "🪪 <b>Identified</b>: a formal report (laporan). The rules require the reporter's "
        "name and address; your phone number is optional. Only the office's admins can see "
        "them, never the staff group or the person you report.\n\n"
        "🕶 <b>Anonymous</b>: we keep nothing about you except this chat, so we can tell you "
        "how it goes. An anonymous report cannot be registered as a report: the office "
        "treats it as information, which it may take up as its own finding (temuan)."
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


def _reporter_address(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _(
        "What is your address? (street or village, and town; for example: Jl. Tjilik Riwut "
        "No. 5, Kuala Kurun). A formal report needs it."
    ), _keyboard([back_button()])


def _reporter_phone(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    text = _(
        "Your phone number, if you want the office to be able to call you: press "
        "<b>Share my number</b> below, type it (for example 0812 3456 7890), or skip."
    )
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
            [KeyboardButton(text=back_label()), KeyboardButton(text=skip_label())],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return text, keyboard


def _party_kind(data: Mapping[str, Any]) -> tuple[str, Markup]:
    rows = [
        [
            InlineKeyboardButton(
                text=party_kind_label(key),
                callback_data=ReportAction(action="party_kind", value=key).pack(),
            )
        ]
        for key in PARTY_KINDS
    ]
    back = [] if data.get("finding") else [back_button()]
    return _(
        "Who are you reporting? Civil servants, village heads and officials, and members of "
        "the TNI and Polri must all stay neutral in elections."
    ), _keyboard(*rows, back)


def _asn_name(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    return _("What is the name of the person you are reporting?"), _keyboard([back_button()])


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
        "Which agency, office or unit do they belong to? (for example: Dinas Pendidikan Kota "
        "Bandung, Desa Sukamaju, Kodim 0618)"
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
    # Examples from the province chosen: a regency and a city of its own.
    regencies = list(province.regencies) if province else []
    examples = [
        found.name
        for kind in ("kabupaten", "kota")
        if (found := next((r for r in regencies if r.kind == kind), None)) is not None
    ] or ["Kabupaten Gunung Mas", "Kota Palangka Raya"]
    text = _(
        "And which regency or city in {province}? Choose below or type its name (for "
        "example: {examples})."
    ).format(province=quote(name), examples=quote(", ".join(examples)))
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


def _election(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    rows = [
        [
            InlineKeyboardButton(
                text=election_label(key),
                callback_data=ReportAction(action="election", value=key).pack(),
            )
        ]
        for key in KNOWN_ELECTIONS
    ]
    unknown = InlineKeyboardButton(
        text=_("🤷 I am not sure"),
        callback_data=ReportAction(action="election", value=Election.UNKNOWN).pack(),
    )
    return _(
        "Which election is it about? It decides which office handles the report and how "
        "long each step may take."
    ), _keyboard(*rows, [unknown], [back_button()])


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


def _date_known(_data: Mapping[str, Any]) -> tuple[str, Markup]:
    text = _(
        "When did you find out about it? A report must be made within 7 days of that day. "
        "Choose below, or type the date as dd-mm-yyyy."
    )
    return text, _keyboard(
        [
            InlineKeyboardButton(
                text=_("The day it happened"),
                callback_data=ReportAction(action="known", value="same").pack(),
            )
        ],
        [
            InlineKeyboardButton(
                text=_("Today"), callback_data=ReportAction(action="known", value="today").pack()
            ),
            InlineKeyboardButton(
                text=_("Yesterday"),
                callback_data=ReportAction(action="known", value="yesterday").pack(),
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
        "Description of the incident: tell in your own words what the person did, for which "
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
        "before they are kept or shown to the office's staff."
    )
    if count:
        text += "\n" + _("Attached so far: {count}.").format(count=count)
    return text, evidence_done_keyboard()


def missing_requirements(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """What the draft lacks of the formal requirements (Perbawaslu 7/2022 Pasal 15(3)) and
    of the material ones (15(4)), as the reporter reads them."""
    formal = []
    if data.get("finding"):
        pass  # the office is the finder
    elif data.get("identity") != "identified":
        formal.append(_("the reporter's name and address (the report is anonymous)"))
    known = data.get("date_known")
    if known and reported_late(
        date.fromisoformat(known),
        today_in(regions.zone_of(data.get("province_code"))),
        data.get("election") or "unknown",
    ):
        formal.append(_("reporting within 7 days of finding out"))
    material = []
    if not data.get("evidence"):
        material.append(_("evidence (a photo, a screenshot, a document or a video)"))
    return formal, material


def summary_text(data: Mapping[str, Any]) -> str:
    """Everything the reporter entered, user text escaped, and what it lacks."""
    not_given = _("(not given)")

    def field(label: str, value: str | None) -> str:
        return shown(label, quote(value) if value else not_given)

    def shown(label: str, markup: str) -> str:
        """A line whose value is already markup (a label, a date)."""
        return f"{bold(label)}: {markup}"

    def day(key: str) -> str:
        value = data.get(key)
        return show_date(date.fromisoformat(value)) if value else not_given

    lines = [bold(_("Please check your report before sending it.")), ""]
    if data.get("finding"):
        identity = identity_label("finding")
    else:
        identity = identity_label(data.get("identity", "anonymous"))
    if data.get("identity") == "identified" and not data.get("finding"):
        details = [
            data.get("reporter_name"),
            data.get("reporter_address"),
            data.get("reporter_phone"),
        ]
        identity += f" ({', '.join(quote(part) for part in details if part)})"
    lines.append(shown(_("Reporting as"), identity))
    lines.append(shown(_("Who"), party_kind_label(data.get("party_kind", "asn"))))
    lines.append(field(_("Name"), data.get("asn_name")))
    lines.append(field(_("Position"), data.get("asn_position")))
    if data.get("party_kind", "asn") == "asn":
        lines.append(field(_("NIP"), data.get("asn_nip")))
    lines.append(field(_("Agency"), data.get("agency")))
    region = data.get("province")
    if data.get("regency"):
        region = f"{data['regency']}, {region}"
    lines.append(field(_("Region"), region))
    lines.append(shown(_("Election"), election_label(data.get("election") or "unknown")))
    lines.append(shown(_("Category"), category_label(data.get("category", ""))))
    lines.append(shown(_("Date of the incident"), day("incident_date")))
    lines.append(shown(_("Found out on"), day("date_known")))
    place = " ".join(part for part in (data.get("place"), data.get("place_url")) if part)
    lines.append(field(_("Place"), place))
    description = shorten(data.get("description", ""), SUMMARY_DESCRIPTION_CHARS)
    lines.append(field(_("Description of the incident"), description))
    lines.append(field(_("Witnesses"), data.get("witnesses")))
    evidence_count = _("{count} file(s)").format(count=len(data.get("evidence", [])))
    lines.append(shown(_("Evidence"), evidence_count))
    formal, material = missing_requirements(data)
    if formal or material:
        lines += ["", "⚠️ " + bold(_("Not yet met for registration:"))]
        lines += ["• " + _("formal requirement: {item}").format(item=item) for item in formal]
        lines += ["• " + _("material requirement: {item}").format(item=item) for item in material]
        lines.append(
            _(
                "You can still send it: the office decides, and may ask you to complete it "
                "or treat it as information."
            )
        )
    return "\n".join(lines)


def _summary(data: Mapping[str, Any]) -> tuple[str, Markup]:
    edit_labels = {
        "identity": _("Identity"),
        "party_kind": _("Who"),
        "asn_name": _("Name"),
        "asn_position": _("Position"),
        "asn_nip": _("NIP"),
        "agency": _("Agency"),
        "province": _("Region"),
        "election": _("Election"),
        "category": _("Category"),
        "incident_date": _("Date"),
        "date_known": _("Found out on"),
        "place": _("Place"),
        "description": _("Description"),
        "witnesses": _("Witnesses"),
        "evidence": _("Evidence"),
    }
    if data.get("finding"):
        del edit_labels["identity"]
    if data.get("party_kind", "asn") != "asn":
        del edit_labels["asn_nip"]
    edit_buttons = [
        InlineKeyboardButton(
            text=_("✏️ {field}").format(field=label),
            callback_data=ReportAction(action="edit", value=field_name).pack(),
        )
        for field_name, label in edit_labels.items()
    ]
    submit_text = _("📨 Record the finding") if data.get("finding") else _("📨 Submit report")
    submit = InlineKeyboardButton(
        text=submit_text, callback_data=ReportAction(action="submit").pack()
    )
    return summary_text(data), _keyboard(*_in_rows(edit_buttons, 3), [submit])


_BUILDERS = {
    ReportForm.identity.state: _identity,
    ReportForm.reporter_name.state: _reporter_name,
    ReportForm.reporter_address.state: _reporter_address,
    ReportForm.reporter_phone.state: _reporter_phone,
    ReportForm.party_kind.state: _party_kind,
    ReportForm.asn_name.state: _asn_name,
    ReportForm.asn_position.state: _asn_position,
    ReportForm.asn_nip.state: _asn_nip,
    ReportForm.agency.state: _agency,
    ReportForm.province.state: _province,
    ReportForm.regency.state: _regency,
    ReportForm.election.state: _election,
    ReportForm.category.state: _category,
    ReportForm.incident_date.state: _incident_date,
    ReportForm.date_known.state: _date_known,
    ReportForm.place.state: _place,
    ReportForm.description.state: _description,
    ReportForm.witnesses.state: _witnesses,
    ReportForm.evidence.state: _evidence,
    ReportForm.summary.state: _summary,
}
