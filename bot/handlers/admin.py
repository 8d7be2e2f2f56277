"""Admin-only commands (/staff, /export) and /stats for all staff."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.dispatch.filters import StaffOnly
from bot.dispatch.routing import RouterTemplate
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.dates import today_in_indonesia
from bot.services.desk_reports import DeskReports
from bot.services.export import EXPORT_COLUMNS
from bot.services.lifecycle import STATUSES
from bot.services.staff import StaffDirectory, parse_user_id
from bot.telegram.menus import show_staff_menu, withdraw_staff_menu
from bot.ui.labels import category_label, show_datetime, status_label
from bot.ui.text import bold, code, quote
from storage.models import utcnow

log = logging.getLogger(__name__)

router = RouterTemplate(name="admin")
# Only these commands need a look-up of who is staff (see handlers/staff.py).
router.message.filter(Command("staff", "stats", "export"), StaffOnly())
admin_only = RouterTemplate(name="admin_only")
admin_only.message.filter(StaffOnly(admin=True))
router.include_router(admin_only)


def _role_label(role: str) -> str:
    return _("admin") if role == "admin" else _("officer")


@admin_only.message(Command("staff"))
async def staff(
    message: Message,
    command: CommandObject,
    bot: Bot,
    i18n: I18n,
    staff_directory: StaffDirectory,
) -> None:
    """StaffError (a bad role, not staff, an ADMIN_IDS admin) is answered in desk_errors."""
    parts = (command.args or "").split()
    actor = message.from_user.id  # type: ignore[union-attr]
    usage = _("Usage: /staff add USER_ID [officer|admin], /staff remove USER_ID, /staff list")
    if not parts or parts[0] not in ("add", "remove", "list"):
        await message.answer(usage)
        return
    if parts[0] == "list":
        members = await staff_directory.members()
        lines = [bold(_("Staff"))] + [
            f"• {code(str(user_id))} — {_role_label(role)}" for user_id, role in members
        ]
        await message.answer("\n".join(lines))
        return
    user_id = parse_user_id(parts[1]) if len(parts) > 1 else None
    if user_id is None:
        await message.answer(usage)
        return
    if parts[0] == "add":
        role = parts[2].lower() if len(parts) > 2 else "officer"
        await staff_directory.add(user_id, role, by=actor)
        await show_staff_menu(bot, i18n, i18n.default_locale, user_id, role)
        await message.answer(
            _("{user} is now {role}.").format(user=code(str(user_id)), role=_role_label(role))
        )
    else:
        await staff_directory.remove(user_id, by=actor)
        await withdraw_staff_menu(bot, user_id)
        await message.answer(_("{user} is no longer staff.").format(user=code(str(user_id))))


@router.message(Command("stats"))
async def stats(message: Message, desk_reports: DeskReports) -> None:
    statistics = await desk_reports.statistics(today=today_in_indonesia())
    headline = statistics.headline
    rate = f"{headline.follow_up_rate:.0%}" if headline.follow_up_rate is not None else "–"
    lines = [
        bold(_("Statistics")),
        _("Reports received: {count}").format(count=headline.received),
        _("Proven: {count}").format(count=headline.proven),
        _("Recommendations followed up: {count} ({rate})").format(
            count=headline.followed_up, rate=rate
        ),
        _("Provinces with a proven case: {count} of {total} ({share:.0%})").format(
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
async def export(message: Message, command: CommandObject, desk_reports: DeskReports) -> None:
    fmt = (command.args or "xlsx").strip().lower()
    if fmt not in ("xlsx", "csv"):
        await message.answer(_("Usage: /export [xlsx|csv]"))
        return
    content = await desk_reports.export(
        fmt=fmt,  # type: ignore[arg-type]
        columns=_export_headers(),
        status_labels={key: status_label(key) for key in STATUSES},
        category_labels={key: category_label(key) for key in CATEGORY_KEYS},
        actor_id=message.from_user.id,  # type: ignore[union-attr]
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    await message.answer_document(
        BufferedInputFile(content, filename=f"lapor-netral-{stamp}.{fmt}"),
        caption=_("All cases, without reporter identity. Times are in WIB."),
    )


def _export_headers() -> dict[str, str]:
    headers = {
        "code": _("Code"),
        "status": _("Status"),
        "category": _("Category"),
        "asn_name": _("Civil servant"),
        "asn_position": _("Position"),
        "asn_nip": _("NIP"),
        "agency": _("Agency"),
        "province": _("Province"),
        "incident_date": _("Incident date"),
        "place": _("Place"),
        "place_url": _("Link"),
        "description": _("What happened"),
        "witnesses": _("Witnesses"),
        "evidence_count": _("Evidence files"),
        "created_at": _("Filed (WIB)"),
        "status_changed_at": _("Status since (WIB)"),
        "assignee_id": _("Assigned to"),
        "recommendation_to": _("Recommendation sent to"),
        "recommendation_sent_at": _("Recommendation sent (WIB)"),
        "sanction": _("Sanction"),
        "followed_up_at": _("Followed up (WIB)"),
    }
    return {key: headers[key] for key in EXPORT_COLUMNS}
