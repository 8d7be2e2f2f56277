"""Translated labels for stable keys, and dates as reporters read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date, format_datetime

from bot.services import regions
from bot.services.dates import WIB


def category_label(key: str) -> str:
    labels = {
        "social_media": _("Campaigning on social media (posting, sharing, commenting, liking)"),
        "photo_with_candidate": _("Photo with a candidate, campaign team or party symbol"),
        "attending_event": _("Attending a declaration, campaign or socialisation event"),
        "campaign_props": _("Putting up banners or campaign props"),
        "partisan_activity": _("Partisan meeting, appeal, or handing out goods to voters"),
        "party_membership": _("Party member or official, or on a winning team"),
        "office_resources": _("Using office facilities, budget, programmes or position"),
        "favouring_decision": _("Decision or action that favours or harms a candidate"),
        "candidacy": _("Seeking candidacy without resigning"),
        "other": _("Other"),
    }
    return labels.get(key, key)


def status_label(key: str) -> str:
    labels = {
        "received": _("Received"),
        "in_review": _("In review"),
        "needs_info": _("More information needed"),
        "forwarded": _("Forwarded for decision"),
        "proven": _("Violation proven"),
        "not_proven": _("Not proven"),
        "rejected": _("Rejected"),
        "closed": _("Closed"),
    }
    return labels.get(key, key)


def status_meaning(key: str) -> str:
    meanings = {
        "received": _("Your report has been received and is waiting for review by staff."),
        "in_review": _("Staff are examining your report and its evidence."),
        "needs_info": _("Staff need more information from you. Please answer their question."),
        "forwarded": _("The report has been examined and passed on for a decision."),
        "proven": _(
            "The violation was proven; a recommendation goes to the civil servant's "
            "staffing authority."
        ),
        "not_proven": _("After examination, the violation could not be proven."),
        "rejected": _(
            "The report could not be processed (for example: not a civil servant, "
            "out of scope, a duplicate, or without substance)."
        ),
        "closed": _("Handling of this report is complete."),
    }
    return meanings.get(key, "")


def identity_label(key: str) -> str:
    return _("Identified") if key == "identified" else _("Anonymous")


def _locale() -> str:
    return I18n.get_current().current_locale


def show_datetime(moment: datetime, zone: tzinfo = WIB) -> str:
    """A moment in the time of a place, with its zone: "3 Des 2026, 09:15 WITA"."""
    shown = format_datetime(moment, "d MMM y, HH:mm", tzinfo=zone, locale=_locale())
    return f"{shown} {zone.tzname(None)}"


def show_local_date(moment: datetime, zone: tzinfo = WIB) -> str:
    """The day a moment fell on in the time of a place. Stored moments are UTC; SQLite
    hands them back without their zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return show_date(aware.astimezone(zone).date())


def show_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale=_locale())


def regency_label(region_code: str) -> str:
    """The regency or city a case happened in; a case known only by its province is
    counted apart."""
    regency = regions.regency(region_code)
    if regency is not None:
        return regency.name
    province = regions.province(region_code)
    name = province.name if province else region_code
    return _("{province} (regency not given)").format(province=name)
