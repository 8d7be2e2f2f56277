"""`/unduh/{name}`: an export the bot handed an admin as a signed link
(services/download_links.py). Served only for a link this deployment signed, before it
expires; never cached, never listed, and answered the same way whether the file never
existed, has expired or the signature is wrong, so a guess learns nothing."""

from __future__ import annotations

from aiohttp import web

from bot.services.download_links import DownloadLinks
from bot.web.i18n import _
from bot.web.layout import page
from storage.models import utcnow

DOWNLOADS = web.AppKey("download_links", DownloadLinks)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def download(request: web.Request) -> web.StreamResponse:
    links = request.app.get(DOWNLOADS)
    name = request.match_info["name"]
    path = (
        links.find(name, request.query.get("e", ""), request.query.get("s", ""), utcnow())
        if links is not None
        else None
    )
    if path is None:
        response = page(
            request,
            _("Link not valid"),
            "<p>"
            + _(
                "This download link has expired or is not valid. Ask the bot for the export "
                "again with /export."
            )
            + "</p>",
            status=404,
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    suffix = path.suffix.lstrip(".")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": MEDIA_TYPES[suffix],
            "Content-Disposition": f'attachment; filename="lapor-netral-export.{suffix}"',
            # An export is for the admin who asked: no proxy or browser cache keeps a copy.
            "Cache-Control": "private, no-store",
        },
    )
