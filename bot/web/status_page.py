"""`/status`: the bot's `/status CODE` on the web, with the same look-up
(services/lookup.py), the same code reading (services/codes.py) and the same limit per
client (services/ratelimit.py, keyed by IP address). It answers where the case stands and
when, and nothing more: not the office's note (free text), not who reported or what."""

from __future__ import annotations

from html import escape

from aiohttp import web
from babel.dates import format_date

from bot.services.lookup import MalformedCode, StatusView, status_by_code
from bot.services.offices import office_name
from bot.services.regions import zone_of
from bot.web.i18n import _, current_locale
from bot.web.labels import status_label
from bot.web.layout import page
from bot.web.state import DEFAULT_LOCALE, SESSIONS, SETTINGS, STATUS_LIMITER
from storage.models import as_utc


def client_address(request: web.Request) -> str:
    """The client, or behind a trusted reverse proxy the address it appended last to
    X-Forwarded-For (the earlier ones are whatever the client claimed)."""
    if request.app[SETTINGS].web_trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.remote or "unknown"


async def status_page(request: web.Request) -> web.Response:
    prefix = request.app[SETTINGS].code_prefix
    typed = request.query.get("code", "").strip()
    title = _("Check a report's status")
    answer, status = "", 200
    if typed:
        if not await request.app[STATUS_LIMITER].allow(f"web-status:{client_address(request)}"):
            answer = _message(
                _("Too many status checks. Please wait a minute before checking again."),
                "refused",
            )
            status = 429
        else:
            answer, status = await _look_up(request, typed, prefix)
    return page(request, title, _form(request, typed, prefix) + answer, status=status)


async def _look_up(request: web.Request, typed: str, prefix: str) -> tuple[str, int]:
    try:
        async with request.app[SESSIONS]() as session:
            view = await status_by_code(session, typed, prefix)
    except MalformedCode:
        text = _("That is not a valid tracking code. A code looks like {example}.").format(
            example=f"{prefix}-7K2M-9QXD"
        )
        return _message(text, "invalid"), 400
    if view is None:
        return _message(
            _("No report has that code. Please check it and try again."), "unknown"
        ), 404
    return _answer(view), 200


def _message(text: str, kind: str) -> str:
    return f'<p class="answer {kind}" role="status">{escape(text)}</p>'


def _answer(view: StatusView) -> str:
    rows = [
        (_("Report"), view.code),
        (_("Status"), status_label(view.status)),
        (_("Office"), office_name(view.office_code)),
        (_("Last updated"), _day(view, view.changed_at)),
    ]
    if view.deadline_at is not None:
        rows.append((_("End of this stage"), _day(view, view.deadline_at)))
    carried_on = view.merged_into
    if carried_on is not None:  # the case that carries on: its progress, not its code
        rows += [
            (_("Handled together with another report, now"), status_label(carried_on.status)),
            (_("Last updated"), _day(carried_on, carried_on.changed_at)),
        ]
    cells = "".join(
        f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>" for label, value in rows
    )
    return f'<dl class="answer found" role="status">{cells}</dl>'


def _day(view: StatusView, moment: object) -> str:
    zone = zone_of(view.region_code)
    local = as_utc(moment).astimezone(zone)  # type: ignore[arg-type]
    return format_date(local.date(), format="long", locale=current_locale())


def _form(request: web.Request, typed: str, prefix: str) -> str:
    language = current_locale()
    hidden = (
        f'<input type="hidden" name="lang" value="{language}">'
        if language != request.app[DEFAULT_LOCALE]
        else ""
    )
    hint = _("The tracking code you were given when you reported, for example {example}.").format(
        example=f"{prefix}-7K2M-9QXD"
    )
    return f"""<form class="status-form" method="get" action="/status">
<label for="code">{escape(_("Tracking code"))}</label>
<input id="code" name="code" value="{escape(typed)}" maxlength="64" autocomplete="off" \
autocapitalize="characters" required>{hidden}
<p class="hint">{escape(hint)}</p>
<button type="submit">{escape(_("Check"))}</button>
</form>"""
