"""The labels of the category and status keys, for the bot (bot/ui/labels.py, aiogram's
translations) and the public site (bot/web/labels.py, its own): one table, translated by
whichever gettext the caller passes, so neither side needs the other's framework."""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def category_labels(_: Gettext) -> dict[str, str]:
    return {
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


def status_labels(_: Gettext) -> dict[str, str]:
    return {
        "received": _("Received"),
        "initial_review": _("Initial review"),
        "completion": _("Awaiting completion by the reporter"),
        "registered": _("Registered"),
        "examination": _("Clarification and examination"),
        "established": _("Violation established"),
        "not_established": _("Violation not established"),
        "stopped": _("Handling stopped"),
        "not_registered": _("Not registered"),
        "forwarded": _("Forwarded with a recommendation"),
        "closed": _("Closed"),
        "merged": _("Merged with another report"),
    }
