"""The open data API in the shape of Open311 GeoReport v2, read-only and JSON only:

    GET /open311/v2/services.json          the violation categories
    GET /open311/v2/requests.json          registered cases, newest first, paged
    GET /open311/v2/requests/{code}.json   one of them

Each case carries only what services/open_data.py reads: its code, open or closed, its
category, the office responsible, the region's name (no coordinates) and two dates rounded
to the day. Cases of small regions are withheld and counted in `X-Withheld-Count`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from aiohttp import web

from bot.services.catalogue import CATEGORY_KEYS
from bot.services.codes import normalize_code
from bot.services.dates import WIB
from bot.services.offices import is_office, office_name
from bot.services.open_data import (
    MAX_PAGE_SIZE,
    PublicCase,
    Query,
    Regions,
    public_case,
    public_cases,
    published_regions,
)
from bot.services.regions import region_name
from bot.web.i18n import _
from bot.web.labels import category_label
from bot.web.state import REGIONS, SESSIONS, SETTINGS

KEYWORDS = {
    "social_media": "media sosial, social media, instagram, facebook, tiktok, whatsapp",
    "photo_with_candidate": "foto, photo, calon, candidate, simbol partai, party symbol",
    "attending_event": "deklarasi, kampanye, sosialisasi, declaration, campaign, event",
    "campaign_props": "baliho, spanduk, alat peraga kampanye, banner, campaign props",
    "partisan_activity": "pertemuan, ajakan, bagi-bagi barang, meeting, appeal, goods",
    "party_membership": "anggota partai, tim pemenangan, party member, winning team",
    "office_resources": "fasilitas kantor, anggaran, jabatan, office facilities, budget",
    "favouring_decision": "keputusan, tindakan, decision, action, favouring",
    "candidacy": "pencalonan, mundur, candidacy, resign",
    "other": "lainnya, other",
}


def _error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


async def services(request: web.Request) -> web.Response:
    group = _("Civil-servant neutrality")
    return web.json_response(
        [
            {
                "service_code": key,
                "service_name": category_label(key),
                "description": _("A breach of civil-servant neutrality: {category}").format(
                    category=category_label(key)
                ),
                "metadata": False,
                "type": "realtime",
                "keywords": KEYWORDS[key],
                "group": group,
            }
            for key in CATEGORY_KEYS
        ]
    )


def _date(text: str | None, name: str) -> date | None:
    """A W3C date or date-time (Open311's format); only its day counts, as published."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise web.HTTPBadRequest(
            text=f"{name} must be a date such as 2024-03-01", content_type="text/plain"
        ) from None


def _number(text: str | None, name: str, default: int, most: int) -> int:
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise web.HTTPBadRequest(
            text=f"{name} must be a number from 1 to {most}", content_type="text/plain"
        )
    return int(text)


def _query(request: web.Request) -> Query:
    params = request.query
    office = params.get("office") or None
    if office is not None and not is_office(office):
        raise web.HTTPBadRequest(text="unknown office", content_type="text/plain")
    category = params.get("service_code") or params.get("category") or None
    if category is not None and category not in CATEGORY_KEYS:
        raise web.HTTPBadRequest(text="unknown service_code", content_type="text/plain")
    state = params.get("status") or None
    if state not in (None, "open", "closed"):
        raise web.HTTPBadRequest(text="status must be open or closed", content_type="text/plain")
    return Query(
        office=office,
        region=params.get("region") or None,
        category=category,
        state=state,
        start=_date(params.get("start_date"), "start_date"),
        end=_date(params.get("end_date"), "end_date"),
        page=_number(params.get("page"), "page", 1, 1_000_000),
        page_size=_number(params.get("page_size"), "page_size", 50, MAX_PAGE_SIZE),
    )


async def requests(request: web.Request) -> web.Response:
    try:
        query = _query(request)
    except web.HTTPBadRequest as error:
        return _error(400, error.text or "bad request")
    published = await _published(request, query.start, query.end)
    async with request.app[SESSIONS]() as session:
        found = await public_cases(session, query, published)
    return web.json_response(
        [_record(case) for case in found.cases],
        headers={
            "X-Withheld-Count": str(found.withheld),
            "X-Page": str(query.page),
            "X-Page-Size": str(query.page_size),
        },
    )


async def single_request(request: web.Request) -> web.Response:
    code = normalize_code(request.match_info["code"], request.app[SETTINGS].code_prefix)
    if code is None:
        return _error(404, "no such service request")
    published = await _published(request, None, None)
    async with request.app[SESSIONS]() as session:
        case = await public_case(session, code, published)
    if case is None:
        return _error(404, "no such service request")
    return web.json_response([_record(case)])


async def _published(request: web.Request, start: date | None, end: date | None) -> Regions:
    """Counting every region's cases is the slow part at a million: kept for a while, like
    the figures (a stale copy only withholds more, services/open_data.py)."""

    async def compute() -> Regions:
        async with request.app[SESSIONS]() as session:
            return await published_regions(session, start, end)

    return await request.app[REGIONS].get((start, end), compute)


def _moment(day: date) -> str:
    return datetime.combine(day, time.min, tzinfo=WIB).isoformat()


def _record(case: PublicCase) -> dict[str, Any]:
    return {
        "service_request_id": case.code,
        "status": "open" if case.is_open else "closed",
        "status_notes": None,
        "service_name": category_label(case.category),
        "service_code": case.category,
        "requested_datetime": _moment(case.requested),
        "updated_datetime": _moment(case.updated),
        "agency_responsible": office_name(case.office_code),
        "address": region_name(case.region_code) if case.region_code else None,
    }
