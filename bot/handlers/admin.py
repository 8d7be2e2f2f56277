"""Admin-only commands (/staff, /office, /export) and /stats for all staff, each over the
staff member's office and the offices below it."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, FSInputFile, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.dispatch.filters import StaffOnly
from bot.dispatch.routing import RouterTemplate
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.dates import today_in_indonesia
from bot.services.desk_reports import DeskReports
from bot.services.download_links import DownloadLinks
from bot.services.elections import ELECTIONS
from bot.services.export import EXPORT_COLUMNS, ExportFilters
from bot.services.export_request import ExportRequestRejected, parse_export_request
from bot.services.follow_up import NO_RESPONSE
from bot.services.lifecycle import (
    NOT_REGISTERED_REASONS,
    PARTY_KINDS,
    PPK_RESPONSES,
    SANCTIONS,
    STATUSES,
)
from bot.services.office_setup import import_offices
from bot.services.offices import OfficeDirectory, covers, find_office, office_name
from bot.services.staff import StaffDirectory, StaffError, StaffMember, parse_user_id
from bot.telegram.files import download_evidence
from bot.telegram.menus import show_staff_menu, withdraw_staff_menu
from bot.ui.labels import (
    category_label,
    election_label,
    kind_label,
    not_registered_reason_button,
    party_kind_label,
    ppk_response_label,
    regency_label,
    role_label,
    sanction_label,
    show_datetime,
    status_label,
)
from bot.ui.text import bold, code, quote
from storage.models import utcnow

log = logging.getLogger(__name__)

router = RouterTemplate(name="admin")
# Only these commands need a look-up of who is staff (see handlers/staff.py).
router.message.filter(Command("staff", "stats", "export"), StaffOnly())
admin_only = RouterTemplate(name="admin_only")
admin_only.message.filter(StaffOnly(admin=True))
router.include_router(admin_only)
# /office link is sent in a group not yet any office's: admins are admitted in any chat.
offices_router = RouterTemplate(name="offices")
offices_router.message.filter(Command("office"), StaffOnly(admin=True, any_chat=True))


@admin_only.message(Command("staff"))
async def staff_members(
    message: Message,
    command: CommandObject,
    bot: Bot,
    i18n: I18n,
    staff_directory: StaffDirectory,
    staff: StaffMember,
) -> None:
    """Staff of the admin's office and the offices below it. StaffError (a bad role, not
    staff, an office outside the admin's, an ADMIN_IDS admin) is answered in desk_errors."""
    parts = (command.args or "").split(maxsplit=3)
    usage = _(
        "Usage: /staff add USER_ID [officer|admin] [OFFICE], /staff remove USER_ID, "
        "/staff list. OFFICE is a region code or name (e.g. 62.10 or Gunung Mas); without "
        "it, your own office."
    )
    if not parts or parts[0] not in ("add", "remove", "list"):
        await message.answer(usage)
        return
    if parts[0] == "list":
        members = await staff_directory.members(within=staff.office)
        names = await staff_directory.names([member.user_id for member in members])
        lines = [bold(_("Staff"))] + [
            f"• {quote(names[member.user_id]) + ' · ' if member.user_id in names else ''}"
            f"{code(str(member.user_id))} — {role_label(member.role)}, "
            f"{quote(office_name(member.office))}"
            for member in members
        ]
        await message.answer("\n".join(lines))
        return
    user_id = parse_user_id(parts[1]) if len(parts) > 1 else None
    if user_id is None:
        await message.answer(usage)
        return
    if parts[0] == "remove":
        await staff_directory.remove(user_id, by=staff)
        await withdraw_staff_menu(bot, user_id)
        await message.answer(_("{user} is no longer staff.").format(user=code(str(user_id))))
        return
    role = parts[2].lower() if len(parts) > 2 else "officer"
    office = find_office(parts[3]) if len(parts) > 3 else staff.office
    if office is None:
        await message.answer(_("There is no office {office}.").format(office=quote(parts[3])))
        return
    await staff_directory.add(user_id, role, office, by=staff)
    await show_staff_menu(bot, i18n, i18n.default_locale, user_id, role)
    await message.answer(
        _("{user} is now {role} at {office}.").format(
            user=code(str(user_id)), role=role_label(role), office=quote(office_name(office))
        )
    )


@offices_router.message(Command("office"))
async def office(
    message: Message,
    command: CommandObject,
    bot: Bot,
    i18n: I18n,
    offices: OfficeDirectory,
    staff_directory: StaffDirectory,
    staff: StaffMember,
) -> None:
    """Offices' staff groups: linked from inside the group, listed, or set up from a CSV
    file (services/office_setup.py) sent with /office import as its caption."""
    parts = (command.args or "").split(maxsplit=1)
    action = parts[0].lower() if parts else ""
    in_group = message.chat.type != ChatType.PRIVATE
    if action == "link" and in_group and len(parts) == 2:
        target = find_office(parts[1])
        if target is None:
            await message.answer(_("There is no office {office}.").format(office=quote(parts[1])))
            return
        if not covers(staff.office, target):
            raise StaffError("outside_office")
        await offices.link(target, message.chat.id, by=staff.user_id)
        await show_staff_menu(bot, i18n, i18n.default_locale, message.chat.id, "officer")
        await message.answer(
            _(
                "This group is now the staff group of {office}: its new cases are carded here."
            ).format(office=bold(quote(office_name(target))))
        )
        return
    if action == "unlink" and in_group:
        current = await offices.office_of_chat(message.chat.id)
        if current is None or not covers(staff.office, current):
            await message.answer(_("This group is not the staff group of an office you manage."))
            return
        await offices.unlink(message.chat.id)
        await withdraw_staff_menu(bot, message.chat.id)
        await message.answer(
            _("This group no longer serves {office}; its cases go to the office above it.").format(
                office=bold(quote(office_name(current)))
            )
        )
        return
    if action == "list":
        groups = await offices.groups()
        members = await staff_directory.members(within=staff.office)
        codes = sorted(
            {code for code in groups if covers(staff.office, code)}
            | {member.office for member in members}
        )
        lines = [bold(_("Offices set up"))]
        for office_code in codes:
            count = sum(member.office == office_code for member in members)
            group = _("group linked") if office_code in groups else _("no group")
            lines.append(
                f"• {quote(office_name(office_code))} ({code(office_code)}): {group}, "
                + _("{count} staff").format(count=count)
            )
        await message.answer("\n".join(lines))
        return
    if action == "import" and message.document is not None:
        content = await download_evidence(bot, message.document.file_id, message.document.file_size)
        result = await import_offices(
            content.decode("utf-8-sig", errors="replace"),
            by=staff,
            offices=offices,
            staff=staff_directory,
        )
        lines = [
            _(
                "Imported: {offices} office(s), {groups} group(s) linked, {staff} staff added."
            ).format(offices=result.offices, groups=result.groups, staff=result.staff)
        ]
        for line, reason, text in result.problems[:20]:
            lines.append(
                _("Line {line} skipped ({reason}): {text}").format(
                    line=line, reason=_import_problem(reason), text=quote(text)
                )
            )
        await message.answer("\n".join(lines))
        return
    await message.answer(
        _(
            "Usage, in the office's staff group: /office link OFFICE (a region code or name, "
            "e.g. 62.10 or Gunung Mas), /office unlink. Anywhere: /office list; a CSV file "
            "with the caption /office import (columns office, staff_group, officers, admins)."
        )
    )


def _import_problem(reason: str) -> str:
    reasons = {
        "unknown_office": _("no such office"),
        "outside_office": _("outside your office"),
        "unreadable": _("not a user or group id"),
        "bootstrap_admin": _("an admin from ADMIN_IDS"),
        "bad_role": _("unknown role"),
        "too_many_lines": _("too many lines"),
    }
    return reasons.get(reason, reason)


async def _office_asked(message: Message, command: CommandObject, staff: StaffMember) -> str | None:
    """The office a /stats names (the staff member's own without one), or None when it is
    unknown or outside theirs (answered here)."""
    return await _office_named(message, (command.args or "").strip(), staff)


async def _office_named(message: Message, asked: str, staff: StaffMember) -> str | None:
    if not asked:
        return staff.office
    target = find_office(asked)
    if target is None:
        await message.answer(_("There is no office {office}.").format(office=quote(asked)))
        return None
    if not covers(staff.office, target):
        raise StaffError("outside_office")
    return target


@router.message(Command("stats"))
async def stats(
    message: Message, command: CommandObject, desk_reports: DeskReports, staff: StaffMember
) -> None:
    scope = await _office_asked(message, command, staff)
    if scope is None:
        return
    statistics = await desk_reports.statistics(today=today_in_indonesia(), scope=scope)
    headline = statistics.headline
    rate = f"{headline.follow_up_rate:.0%}" if headline.follow_up_rate is not None else "–"
    lines = [
        bold(_("Statistics: {office}").format(office=quote(office_name(scope)))),
        _("Reports and findings received: {count} (findings: {findings})").format(
            count=headline.received, findings=headline.findings
        ),
        _("Violations established: {count}").format(count=headline.proven),
        _("Forwarded with a recommendation: {count}").format(count=headline.forwarded),
        _(
            "Follow-up rate: {rate} (sanctions imposed {imposed} of {due} recommendations due; "
            "declined {declined}, no response {silent})"
        ).format(
            rate=rate,
            imposed=headline.followed_up,
            due=headline.due,
            declined=headline.declined,
            silent=headline.no_response,
        ),
        _("From report to sanction: {days} days (median)").format(
            days=f"{headline.days_to_sanction:g}" if headline.days_to_sanction is not None else "–"
        ),
        _("Civil servants with more than one established violation: {count}").format(
            count=headline.repeat_offenders
        ),
        _("Provinces with an established violation: {count} of {total} ({share:.0%})").format(
            count=headline.provinces_with_proven,
            total=headline.provinces_total,
            share=headline.province_share,
        ),
        "",
        bold(_("By status")),
        *(f"• {status_label(key)}: {count}" for key, count in statistics.by_status.items()),
        "",
        bold(_("By category")),
        *(
            f"• {category_label(key)}: {count}"
            for key, count in statistics.by_category.items()
            if count
        ),
        "",
        bold(_("By province")),
        *(f"• {quote(name)}: {count}" for name, count in list(statistics.by_province.items())[:15]),
        "",
        bold(_("By regency or city")),
        *(
            f"• {quote(regency_label(region))}: {count}"
            for region, count in list(statistics.by_region.items())[:15]
        ),
    ]
    await message.answer("\n".join(lines))
    # Imported here: the chart's Pillow drawing modules cost every bot process 1.5 MB, and
    # only admins ask for /stats.
    from bot.services.charts import ChartText, render_statistics_chart

    text = ChartText(
        title=_("Lapor Netral — cases"),
        by_status=_("By status"),
        by_category=_("By category"),
        by_week=_("New cases per week"),
        status_labels={key: status_label(key) for key in STATUSES},
        category_labels={key: category_label(key) for key in CATEGORY_KEYS},
        generated=_("Generated {when}").format(when=show_datetime(utcnow())),
    )
    png = await asyncio.to_thread(render_statistics_chart, statistics, text)
    await message.answer_photo(BufferedInputFile(png, filename="statistics.png"))


@admin_only.message(Command("export"))
async def export(
    message: Message,
    command: CommandObject,
    desk_reports: DeskReports,
    staff: StaffMember,
    download_links: DownloadLinks | None,
) -> None:
    """/export [bkn] [xlsx|csv] [status=KEY,…] [from=DATE] [to=DATE] [OFFICE]: the office's
    cases (services/export_request.py reads the words); with "bkn", only those forwarded,
    by PPK, with where each follow-up stands (the list BKN asks for). A file larger than a
    Telegram document may be arrives as a signed link that expires when the deployment has
    a public site (services/download_links.py), otherwise as numbered parts."""
    if message.chat.type != ChatType.PRIVATE:
        # The file, or a link meant for one person, would reach everyone in the group.
        await message.answer(_("Exports are sent in a private chat with me: send /export there."))
        return
    try:
        request = parse_export_request(command.args or "")
    except ExportRequestRejected as rejected:
        await message.answer(_export_refusal(rejected))
        return
    scope = await _office_named(message, request.office, staff)
    if scope is None:
        return
    filters = ExportFilters(
        scope=scope,
        statuses=request.statuses,
        filed_from=request.filed_from,
        filed_to=request.filed_to,
        recommendations=request.recommendations,
    )
    files = await desk_reports.export(
        whole=download_links is not None,
        fmt=request.fmt,  # type: ignore[arg-type]
        columns=_export_headers(),
        labels=_export_labels(),
        actor_id=staff.user_id,
        filters=filters,
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    name = "rekomendasi-bkn" if request.recommendations else "lapor-netral"
    caption = (
        _(
            "The recommendations of {office}, by PPK, with each follow-up's state; without "
            "reporter identity. Times are in WIB."
        )
        if request.recommendations
        else _("The cases of {office}, without reporter identity. Times are in WIB.")
    ).format(office=office_name(scope))
    if chosen := _filters_shown(filters):
        caption += "\n" + chosen
    with files as paths:
        if download_links is not None and paths[0].stat().st_size > desk_reports.part_limit:
            size_mb = f"{paths[0].stat().st_size / 1_000_000:.0f}"
            link = download_links.keep(paths[0], now=utcnow())
            await message.answer(
                caption
                + "\n\n"
                + _(
                    "The file is {size} MB, more than Telegram carries. Download it until "
                    "{expires} from this link, meant for you alone (do not forward it):"
                ).format(size=size_mb, expires=show_datetime(link.expires_at))
                + "\n"
                + quote(link.url)
            )
            return
        for number, path in enumerate(paths, start=1):
            shown = caption
            filename = f"{name}-{scope}-{stamp}.{request.fmt}"
            if len(paths) > 1:
                shown += "\n" + _("Part {number} of {total}.").format(
                    number=number, total=len(paths)
                )
                filename = f"{name}-{scope}-{stamp}-{number}-of-{len(paths)}.{request.fmt}"
            await message.answer_document(FSInputFile(path, filename=filename), caption=shown)


def _filters_shown(filters: ExportFilters) -> str:
    """The filters an export was made with, in its caption."""
    lines = []
    if filters.statuses:
        lines.append(
            _("Status: {statuses}").format(
                statuses=", ".join(status_label(key) for key in filters.statuses)
            )
        )
    if filters.filed_from or filters.filed_to:
        lines.append(
            _("Filed from {start} to {end} (WIB)").format(
                start=filters.filed_from.strftime("%d/%m/%Y") if filters.filed_from else "…",
                end=filters.filed_to.strftime("%d/%m/%Y") if filters.filed_to else "…",
            )
        )
    return "\n".join(lines)


def _export_refusal(rejected: ExportRequestRejected) -> str:
    if rejected.reason == "unknown_status":
        return _("There is no status {status}; the statuses are: {statuses}.").format(
            status=quote(rejected.value), statuses=", ".join(code(key) for key in STATUSES)
        )
    if rejected.reason == "reversed_period":
        return _("The period ends before it starts: from= must come before to=.")
    return _("{date} is not a date: write it as DD/MM/YYYY, e.g. from=01/03/2024.").format(
        date=quote(rejected.value)
    )


def _export_labels() -> dict[str, dict[str, str]]:
    """Every stable key the export writes, as its reader's label."""
    return {
        "kind": {key: kind_label(key) for key in ("report", "finding")},
        "status": {key: status_label(key) for key in STATUSES},
        "outcome_reason": {
            key: not_registered_reason_button(key) for key in NOT_REGISTERED_REASONS
        },
        "election": {key: election_label(key) for key in ELECTIONS},
        "category": {key: category_label(key) for key in CATEGORY_KEYS},
        "party_kind": {key: party_kind_label(key) for key in PARTY_KINDS},
        "bkn_sanction": {key: sanction_label(key) for key in SANCTIONS},
        "ppk_response": {key: ppk_response_label(key) for key in (*PPK_RESPONSES, NO_RESPONSE)},
        "sanction": {key: sanction_label(key) for key in SANCTIONS},
    }


def _export_headers() -> dict[str, str]:
    headers = {
        "code": _("Code"),
        "kind": _("Report or finding"),
        "register_number": _("Register number"),
        "status": _("Status"),
        "outcome_reason": _("Reason not registered"),
        "merged_into": _("Merged into"),
        "election": _("Election"),
        "category": _("Category"),
        "party_kind": _("Reported person is"),
        "asn_name": _("Reported person"),
        "asn_position": _("Position"),
        "asn_nip": _("NIP"),
        "agency": _("Agency"),
        "province": _("Province"),
        "regency": _("Regency or city"),
        "office": _("Office"),
        "incident_date": _("Incident date"),
        "date_known": _("Known to the reporter since"),
        "place": _("Place"),
        "place_url": _("Link"),
        "description": _("Description of the incident"),
        "witnesses": _("Witnesses"),
        "evidence_count": _("Evidence files"),
        "created_at": _("Filed (WIB)"),
        "registered_at": _("Registered (WIB)"),
        "deadline_at": _("Current stage due (WIB)"),
        "status_changed_at": _("Status since (WIB)"),
        "assignee": _("Assigned to"),
        "recommendation_to": _("Recommendation sent to"),
        "recommendation_sent_at": _("Forwarded (WIB)"),
        "follow_up_due_at": _("Follow-up due (WIB)"),
        "ppk": _("Staffing authority (PPK)"),
        "bkn_recommended_at": _("BKN recommendation date"),
        "bkn_sanction": _("Sanction recommended by BKN"),
        "ppk_response": _("PPK response"),
        "sanction": _("Sanction imposed"),
        "ppk_decree": _("Decree number"),
        "ppk_decree_date": _("Decree date"),
        "ppk_reason": _("Reason for no sanction"),
        "followed_up_at": _("Response recorded (WIB)"),
    }
    return {key: headers[key] for key in EXPORT_COLUMNS}
