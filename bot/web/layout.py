"""The page around every page: head, navigation, the language switch and the link to the
data policy. Plain strings: a template engine would be one more dependency for four pages."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from aiohttp import web

from bot.config import SUPPORTED_LOCALES
from bot.web.i18n import _, current_locale
from bot.web.state import DEFAULT_LOCALE

POLICY_PATH = "/kebijakan-data"


def url(request: web.Request, path: str | None = None, **changes: str | None) -> str:
    """`path` with only `changes`, or this page with its query changed by `changes`
    (None removes a parameter), the language kept."""
    query = dict(request.query) if path is None else {}
    language = changes.pop("lang", None) or query.pop("lang", None) or current_locale()
    query.pop("lang", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    if language != request.app[DEFAULT_LOCALE]:
        query["lang"] = language  # last: the address reads as what it shows, then how
    target = path or request.path
    return f"{target}?{urlencode(query)}" if query else target


def page(request: web.Request, title: str, body: str, *, status: int = 200) -> web.Response:
    locale = current_locale()
    other = next(code for code in SUPPORTED_LOCALES if code != locale)
    switch_label = {"en": "English", "id": "Bahasa Indonesia"}[other]
    nav = "".join(
        f'<a href="{escape(url(request, path))}">{escape(label)}</a>'
        for path, label in (
            ("/", _("Figures")),
            ("/status", _("Check a status")),
            (POLICY_PATH, _("Data policy and open data")),
        )
    )
    footer = _(
        "No one's personal data is published here: not the reporter's, not the reported person's."
    )
    html = f"""<!doctype html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Lapor Netral</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="data:,">
</head>
<body>
<header>
<p class="brand"><a href="{escape(url(request, "/"))}">Lapor Netral</a></p>
<nav>{nav}</nav>
<p class="language"><a href="{escape(url(request, lang=other))}" hreflang="{other}" \
lang="{other}">{switch_label}</a></p>
</header>
<main>
<h1>{escape(title)}</h1>
{body}
</main>
<footer>
<p>{escape(footer)}
<a href="{escape(url(request, POLICY_PATH))}">{escape(_("Data policy"))}</a></p>
</footer>
</body>
</html>
"""
    return web.Response(text=html, content_type="text/html", status=status)
