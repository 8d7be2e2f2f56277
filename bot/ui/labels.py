"""Translated labels for stable keys, and dates as reporters read them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date, format_datetime, format_timedelta

from bot.services import regions
from bot.services.dates import WIB
from bot.ui.key_labels import category_labels, status_labels
from storage.models import as_utc


def category_label(key: str) -> str:
    return category_labels(_).get(key, key)


def status_label(key: str) -> str:
    return status_labels(_).get(key, key)


def status_meaning(key: str, office: str) -> str:
    """What a status means for the reporter, naming the office handling the case."""
    meanings = {
        "received": _(
            "{office} has received your report. It first checks whether the report meets "
            "the formal and material requirements (the initial review)."
        ),
        "initial_review": _(
            "{office} is carrying out the initial review of your report: whether it meets "
            "the formal and material requirements and is a matter for the election "
            "supervisors."
        ),
        "completion": _(
            "Your report lacks something it needs to be registered (see below). Please "
            "complete it with the Add information button before the deadline; a report not "
            "completed in time cannot be registered."
        ),
        "registered": _(
            "{office} has registered your report and will examine it: a decision follows "
            "within the period the law sets."
        ),
        "examination": _(
            "{office} is clarifying the report: hearing the reporter, the reported person "
            "and witnesses, and examining the evidence."
        ),
        "established": _(
            "{office} has found that the violation is established. The result will be sent, "
            "with a recommendation, to the authority that decides the sanction."
        ),
        "not_established": _(
            "After examining it, {office} found that the violation is not established."
        ),
        "stopped": _("{office} has stopped handling this report, for the reason below."),
        "not_registered": _("{office} could not register this report, for the reason below."),
        "forwarded": _(
            "{office} has forwarded the result and its recommendation to the authority that "
            "decides the sanction."
        ),
        "closed": _("{office} has completed the handling of this report."),
        "merged": _(
            "Your report is about the same person and the same event as another report: "
            "{office} handles them together, and you will hear how that one goes."
        ),
    }
    return meanings.get(key, "").format(office=office)


def deadline_line(status: str, deadline: datetime, zone: tzinfo, *, extended: bool) -> str:
    """The end of the current stage, told to reporters and staff."""
    day = show_local_date(deadline, zone)
    if status in ("received", "initial_review"):
        return _("Initial review due by: {date}").format(date=day)
    if status == "completion":
        return _("Complete it by: {date}").format(date=day)
    if extended:
        return _("Decision due by: {date} (extended)").format(date=day)
    return _("Decision due by: {date}").format(date=day)


def not_registered_reason_label(key: str) -> str:
    """Why a report was not registered, as its reporter reads it."""
    labels = {
        "formal": _(
            "A formal requirement is not met: the reporter's name and address, who is "
            "reported, or the time limit for reporting."
        ),
        "material": _(
            "A material requirement is not met: the time and place, the description of "
            "what happened, or evidence."
        ),
        "late": _("The report was made more than 7 days after the violation became known."),
        "not_competent": _(
            "The matter is not for the election supervisors; it goes to the authority "
            "responsible for it."
        ),
        "not_completed": _("The report was not completed within the time given."),
    }
    return labels.get(key, key)


def not_registered_reason_button(key: str) -> str:
    labels = {
        "formal": _("Formal requirement"),
        "material": _("Material requirement"),
        "late": _("Out of time"),
        "not_competent": _("Not for Bawaslu"),
        "not_completed": _("Not completed"),
    }
    return labels.get(key, key)


def election_label(key: str) -> str:
    labels = {
        "presidential": _("Presidential election"),
        "legislative": _("Legislative election (DPR, DPD, DPRD)"),
        "governor": _("Governor election"),
        "regent": _("Regent or mayor election"),
        "unknown": _("Not known yet"),
    }
    return labels.get(key, key)


def party_kind_label(key: str) -> str:
    labels = {
        "asn": _("Civil servant (ASN: PNS or PPPK)"),
        "village_head": _("Village head or village official"),
        "tni": _("Member of the TNI"),
        "polri": _("Member of Polri"),
        "other": _("Other official"),
    }
    return labels.get(key, key)


def forwarding_authority(party_kind: str) -> str:
    """Where an established violation goes, by who committed it (docs/domain.md)."""
    labels = {
        "asn": _("BKN, then the civil servant's Pejabat Pembina Kepegawaian (PPK)"),
        "village_head": _("the regent or mayor (UU 6/2014 Pasal 29-30)"),
        "tni": _("the soldier's commanding officer and the Military Police (Puspom TNI)"),
        "polri": _("the Police's Profession and Security Division (Propam Polri)"),
        "other": _("the authority that supervises them"),
    }
    return labels.get(party_kind, party_kind)


def kind_label(key: str) -> str:
    return _("Finding") if key == "finding" else _("Report")


def evidence_source_label(key: str) -> str:
    """Who brought a piece of evidence in, as /case captions it."""
    labels = {
        "report": _("with the report"),
        "answer": _("from the reporter later"),
        "staff": _("recorded by staff"),
    }
    return labels.get(key, key)


def sanction_label(key: str) -> str:
    labels = {
        "moral": _("moral sanction"),
        "light": _("light discipline"),
        "moderate": _("moderate discipline"),
        "severe": _("severe discipline"),
    }
    return labels.get(key, key)


def ppk_response_label(key: str) -> str:
    labels = {
        "imposed": _("sanction imposed"),
        "declined": _("decided no sanction"),
        "no_response": _("no response by the due date"),
    }
    return labels.get(key, key)


def role_label(key: str) -> str:
    return _("admin") if key == "admin" else _("officer")


def identity_label(key: str) -> str:
    labels = {
        "identified": _("Identified"),
        "anonymous": _("Anonymous"),
        "finding": _("Finding by staff"),
    }
    return labels.get(key, key)


def _locale() -> str:
    return I18n.get_current().current_locale


def show_datetime(moment: datetime, zone: tzinfo = WIB) -> str:
    """A moment in the time of a place, with its zone: "3 Des 2026, 09:15 WITA"."""
    shown = format_datetime(moment, "d MMM y, HH:mm", tzinfo=zone, locale=_locale())
    return f"{shown} {zone.tzname(None)}"


def show_local_date(moment: datetime, zone: tzinfo = WIB) -> str:
    """The day a moment fell on in the time of a place. Stored moments are UTC; SQLite
    hands them back without their zone."""
    return show_date(as_utc(moment).astimezone(zone).date())


def show_duration(seconds: float) -> str:
    """ "24 jam", "30 menit": how long, in the reader's language."""
    return format_timedelta(
        timedelta(seconds=seconds), threshold=2, granularity="minute", locale=_locale()
    )


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


def note_line(status: str, office: str, note: str) -> str:
    """The office's note on a change of status, worded for what it is at that status: what
    the reporter must add, or where the result was sent, rather than "a note"."""
    if status == "completion":
        return _("What is missing: {note}").format(note=note)
    if status == "forwarded":
        return _("Sent to: {note}").format(note=note)
    return _("Note from {office}: {note}").format(office=office, note=note)
