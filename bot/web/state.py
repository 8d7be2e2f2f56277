"""What the site's handlers share, as typed application keys (aiohttp's AppKey)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.services.open_data import Regions
from bot.services.public_figures import PublicFigures
from bot.services.ratelimit import RateLimiter
from bot.web.cache import TtlCache
from storage.db import SessionFactory

SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", SessionFactory)
FIGURES = web.AppKey("figures", TtlCache[PublicFigures])
# The dashboard's drawn page, per office, language and day.
PAGES = web.AppKey("pages", TtlCache[str])
# The regions whose cases the open data lists, per period (services/open_data.py).
REGIONS = web.AppKey("published_regions", TtlCache[Regions])
STATUS_LIMITER = web.AppKey("status_limiter", RateLimiter)
DEFAULT_LOCALE = web.AppKey("default_locale", str)
# The Redis client the status limiter shares, asked after by /healthz; absent without Redis.
REDIS = web.AppKey("redis", object)
