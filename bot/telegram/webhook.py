"""Webhook mode: Telegram (or a load balancer in front of several instances) posts updates
here. An update is answered only after it has been processed, so a crash makes Telegram
deliver it again; the update_id record makes that redelivery harmless."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

from bot.app import Application
from bot.listening import CannotListen
from bot.logs import current_update
from bot.services import coordination
from bot.telegram.polling import parse_update
from storage.health import health_report

log = logging.getLogger(__name__)

# Update ids are kept in a BIGINT column; anything beyond it is not Telegram's.
MAX_UPDATE_ID = 2**63


class WebhookServer:
    def __init__(self, application: Application, redis: Any | None = None) -> None:
        self._application = application
        self._redis = redis
        self._secret = application.settings.webhook_secret
        self._finished = coordination.FinishedUpdates(application.sessions)

    def routes(self) -> web.Application:
        app = web.Application()
        # Telegram posts to WEBHOOK_URL; behind a proxy the path is the same.
        path = urlparse(self._application.settings.webhook_url or "").path or "/"
        app.router.add_post(path, self.handle_update)
        app.router.add_get("/healthz", self.health)
        return app

    async def handle_update(self, request: web.Request) -> web.Response:
        offered = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self._secret or not secrets.compare_digest(offered, self._secret):
            return web.Response(status=401, text="Unauthorized")
        try:
            raw = await request.json()
        except (ValueError, RecursionError) as error:
            # RecursionError: JSON nested deeper than the parser goes (a forged body).
            log.warning("webhook body refused", extra={"reason": type(error).__name__})
            return web.Response(status=400, text="Bad update")
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int) or not 0 <= update_id < MAX_UPDATE_ID:
            log.warning("webhook body refused", extra={"reason": "no valid update_id"})
            return web.Response(status=400, text="Bad update")
        with current_update.handling(raw):  # its sender's strings stay out of the log
            return await self._handle(raw)

    async def _handle(self, raw: dict[str, Any]) -> web.Response:
        application = self._application
        update = parse_update(raw, application.bot)
        if update is None:
            # Acknowledged and skipped: refused, Telegram would hold back every later update
            # while it retries this one.
            return web.json_response({})
        sessions = application.sessions
        if not await coordination.claim_update(sessions, update.update_id):
            return web.json_response({})  # already handled (or being handled) elsewhere
        try:
            await application.dispatcher.feed_update(application.bot, update)
        except Exception:
            log.exception("update not processed", extra={"update_id": update.update_id})
            await coordination.release_update(sessions, update.update_id)
            return web.Response(status=500, text="Not processed")
        await self._finished.mark(update.update_id)
        return web.json_response({})

    async def health(self, request: web.Request) -> web.Response:
        report, healthy = await health_report(self._application.sessions, self._redis)
        return web.json_response(report, status=200 if healthy else 503)


async def serve_webhook(application: Application, redis: Any | None) -> None:
    settings = application.settings
    # `run` refuses to start without either (bot/cli/startup.py): Telegram would post
    # updates that anyone could forge.
    if not (settings.webhook_url and settings.webhook_secret):
        raise ValueError("serve_webhook needs WEBHOOK_URL and WEBHOOK_SECRET")
    runner = web.AppRunner(WebhookServer(application, redis).routes(), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "0.0.0.0", settings.port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise CannotListen(settings.port, error) from None
    await application.bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=application.dispatcher.resolve_used_update_types(),
    )
    log.info("webhook serving", extra={"port": settings.port})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
