"""The site's aiohttp application: routes, the language of each request, and the security
headers every response carries. `open_site` builds it with its database and limiter;
tests call it too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.services.download_links import DOWNLOAD_PATH, download_links
from bot.services.ratelimit import STATUS_LOOKUPS_PER_MINUTE, MemoryRateLimiter, RateLimiter
from bot.web import dashboard, open311
from bot.web.cache import TtlCache
from bot.web.downloads import DOWNLOADS, download
from bot.web.i18n import choose_locale, use_locale
from bot.web.layout import POLICY_PATH
from bot.web.policy import policy_page
from bot.web.state import (
    DEFAULT_LOCALE,
    FIGURES,
    PAGES,
    REDIS,
    REGIONS,
    SESSIONS,
    SETTINGS,
    STATUS_LIMITER,
)
from bot.web.status_page import status_page
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.health import health_report

STATIC_DIR = Path(__file__).resolve().parent / "static"

# No script may run, nothing may be framed, forms post only here, styles only from our
# stylesheet; charts are inline SVG, so images need nothing but data: at most.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def language(request: web.Request, handler: Handler) -> web.StreamResponse:
    use_locale(choose_locale(request.query.get("lang"), request.app[DEFAULT_LOCALE]))
    return await handler(request)


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, errors and static files included."""
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith(("/status", DOWNLOAD_PATH, "/healthz")):
        response.headers["Cache-Control"] = "no-store"  # one person's look-up, or now's state
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "public, max-age=60"
    # The public pages set no cookies, whatever a future handler or library might add.
    response.cookies.clear()
    response.headers.popall("Set-Cookie", None)


def create_app(
    settings: Settings, sessions: SessionFactory, status_limiter: RateLimiter
) -> web.Application:
    app = web.Application(middlewares=[language])
    app[SETTINGS] = settings
    app[SESSIONS] = sessions
    app[STATUS_LIMITER] = status_limiter
    app[FIGURES] = TtlCache(settings.web_cache_seconds)
    app[REGIONS] = TtlCache(settings.web_cache_seconds)
    app[PAGES] = TtlCache(settings.web_cache_seconds)
    app[DEFAULT_LOCALE] = settings.default_locale
    if links := download_links(
        settings.public_url, settings.download_link_secret, settings.export_dir
    ):
        app[DOWNLOADS] = links
    app.on_response_prepare.append(_secure)
    app.on_cleanup.append(_close_caches)
    app.router.add_get("/", dashboard.dashboard)
    app.router.add_get("/office/{office}", _office_redirect)
    app.router.add_get("/data/{name}.csv", dashboard.dataset_csv)
    app.router.add_get("/status", status_page)
    app.router.add_get(POLICY_PATH, policy_page)
    app.router.add_get("/privacy", _policy_redirect)
    app.router.add_get("/open311/v2/services.json", open311.services)
    app.router.add_get("/open311/v2/requests.json", open311.requests)
    app.router.add_get("/open311/v2/requests/{code}.json", open311.single_request)
    app.router.add_get(DOWNLOAD_PATH + "/{name}", download)
    app.router.add_static("/static", STATIC_DIR)
    app.router.add_get("/healthz", _health)
    return app


async def _health(request: web.Request) -> web.Response:
    """For a load balancer in front of several sites: 200 while the database (and Redis,
    where the status look-ups are counted) answer, 503 otherwise."""
    report, healthy = await health_report(request.app[SESSIONS], request.app.get(REDIS))
    # A public address: which part failed, not how (the webhook's own /healthz, reached by
    # the load balancer only, says the error's type).
    shown = {part: state.partition(":")[0] for part, state in report.items()}
    return web.json_response(shown, status=200 if healthy else 503)


async def _close_caches(app: web.Application) -> None:
    for cache in (app[FIGURES], app[REGIONS], app[PAGES]):
        await cache.close()


async def _office_redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"/?office={request.match_info['office']}")


async def _policy_redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(POLICY_PATH)


@asynccontextmanager
async def open_site(settings: Settings) -> AsyncIterator[web.Application]:
    """The application with its engine and status limiter (in Redis when REDIS_URL is set,
    so every instance counts the same look-ups), closed on the way out."""
    engine = create_engine(settings.database_url)
    redis = None
    limiter: RateLimiter
    if settings.redis_url:
        from redis.asyncio import Redis

        from storage.redis_state import RedisRateLimiter

        redis = Redis.from_url(settings.redis_url)
        limiter = RedisRateLimiter(redis, STATUS_LOOKUPS_PER_MINUTE, 60)
    else:
        limiter = MemoryRateLimiter(STATUS_LOOKUPS_PER_MINUTE, 60)
    try:
        app = create_app(settings, create_session_factory(engine), limiter)
        if redis is not None:
            app[REDIS] = redis
        yield app
    finally:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
