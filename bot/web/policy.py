"""`/kebijakan-data`: what the site publishes and what it never does, and the open data
API's addresses. Linked from every page's footer (bot/web/layout.py)."""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.services.public_figures import SMALL_AREA
from bot.web.i18n import _
from bot.web.layout import page


async def policy_page(request: web.Request) -> web.Response:
    published = [
        _(
            "Counts of reports: received, registered, established, forwarded for a sanction "
            "and followed up, by week, by kind of violation and by province."
        ),
        _(
            "In the open data, each registered case: its tracking code, whether it is open or "
            "closed, its kind of violation, the office handling it, the region where it "
            "happened, and the day it was reported and last changed."
        ),
    ]
    never = [
        _("Anything about the reporter: name, address, telephone number or Telegram account."),
        _(
            "Anything that identifies the reported person: name, civil-servant number (NIP), "
            "position or agency. Until a case is decided they are presumed innocent."
        ),
        _("The words of a report, its evidence, the exact place, or notes written by staff."),
        _("Times more precise than the day."),
    ]
    rules = [
        _("A case appears in the open data only once it has been registered."),
        _(
            "A case from a region (a regency or city) with fewer than {count} registered "
            "cases in the period asked for is left out of the list and only counted, in the "
            "X-Withheld-Count header: in a small district a date and a kind of violation "
            "could point to a person."
        ).format(count=SMALL_AREA),
        _(
            "An office with fewer than {count} reports has no figures of its own: they are "
            "counted in the figures of the offices above it."
        ).format(count=SMALL_AREA),
        _(
            "The status look-up answers only someone who holds a tracking code, with the "
            "status and its dates."
        ),
        _("This site sets no cookies and runs no scripts or trackers."),
    ]
    endpoints = [
        ("/open311/v2/services.json", _("the kinds of violation")),
        (
            "/open311/v2/requests.json?status=open&start_date=2024-03-01&page=1&page_size=50",
            _(
                "registered cases, newest first; filters: office, region, service_code, status, "
                "start_date, end_date"
            ),
        ),
        ("/open311/v2/requests/ASN-7K2M-9QXD.json", _("one case by its tracking code")),
    ]
    body = f"""<section>
<h2>{escape(_("What is published"))}</h2>
{_items(published)}
<h2>{escape(_("What is never published"))}</h2>
{_items(never)}
<h2>{escape(_("Rules"))}</h2>
{_items(rules)}
<h2>{escape(_("Open data (Open311 GeoReport v2)"))}</h2>
<ul>{
        "".join(
            f'<li><a href="{escape(path)}"><code>{escape(path)}</code></a>: {escape(text)}</li>'
            for path, text in endpoints
        )
    }</ul>
</section>"""
    return page(request, _("Data policy"), body)


def _items(texts: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(text)}</li>" for text in texts) + "</ul>"
