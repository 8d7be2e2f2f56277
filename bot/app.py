"""Wiring: the one place that builds the dispatcher, its routers, middlewares and services.
`python -m bot` and the tests both go through here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import background
from bot.api_retry import TransientErrorRetry, without_retries
from bot.api_types import hold_response_types
from bot.board import StaffBoard
from bot.config import SUPPORTED_LOCALES, Settings
from bot.delivery import OutboxSender, Rendered, SharedSlots
from bot.handlers import (
    admin,
    answer,
    cancel,
    desk_buttons,
    desk_errors,
    errors,
    evidence,
    fallback,
    report,
    staff,
    start,
    status,
)
from bot.i18n import ChatLocaleMiddleware, create_i18n
from bot.middlewares import DbSessionMiddleware, FloodGuard
from bot.polling import Poller
from bot.services import coordination, staff_feed
from bot.services.agencies import AgencyDirectory
from bot.services.desk import Deadlines, Desk
from bot.services.evidence_intake import EvidenceIntake
from bot.services.intake import IntakeService
from bot.services.languages import LanguageChoices
from bot.services.ratelimit import MemoryRateLimiter, RateLimiter
from bot.services.staff import StaffDirectory
from bot.services.staff_feed import StaffFeed
from bot.ui.notifications import NotificationRenderer
from storage.db import SessionFactory, create_engine, create_session_factory, is_sqlite
from storage.evidence_store import EvidenceStore, LocalEvidenceStore, S3EvidenceStore
from storage.fsm import PerUserLocks, SqlStorage
from storage.models import Outbox

if TYPE_CHECKING:
    # redis-py is imported only when REDIS_URL is set (see _redis_backends).
    from redis.asyncio import Redis

    from storage.redis_state import TrackedRedisStorage

log = logging.getLogger(__name__)

STATUS_LOOKUPS_PER_MINUTE = 10
REPORTS_STARTED_PER_HOUR = 6
REDIS_CONNECTIONS = 100
# A flooding account is told why the bot went quiet at most this often.
FLOOD_NOTICE_SECONDS = 60
# A per-user lock held by an instance that died is freed after this long; it must outlast
# the slowest update (a 20 MB evidence download and its processing).
USER_LOCK_LEASE_SECONDS = 30


@dataclass
class Services:
    """Long-lived objects handed to handlers by name (aiogram dependency injection)."""

    settings: Settings
    intake: IntakeService
    evidence_intake: EvidenceIntake
    evidence_store: EvidenceStore
    desk: Desk
    staff_directory: StaffDirectory
    status_limiter: RateLimiter
    report_limiter: RateLimiter
    update_limiter: RateLimiter
    language_choices: LanguageChoices
    agencies: AgencyDirectory


def build_dispatcher(
    services: Services,
    session_factory: SessionFactory,
    i18n: I18n,
    fsm_storage: BaseStorage,
    events_isolation: BaseEventIsolation | None = None,
) -> Dispatcher:
    dispatcher = Dispatcher(
        storage=fsm_storage,
        events_isolation=events_isolation or PerUserLocks(),
        disable_fsm=True,  # registered below, behind the flood guard
        **vars(services),
    )
    # A flooding account is turned away before its updates read conversation state or wait
    # on its lock (both done by the FSM middleware), so the flood costs others nothing.
    dispatcher.update.outer_middleware(
        FloodGuard(services.update_limiter, MemoryRateLimiter(1, FLOOD_NOTICE_SECONDS), i18n)
    )
    dispatcher.update.outer_middleware(dispatcher.fsm)
    ChatLocaleMiddleware(i18n, services.language_choices).setup(dispatcher)
    sessions = DbSessionMiddleware(session_factory)
    dispatcher.message.middleware(sessions)
    dispatcher.callback_query.middleware(sessions)

    # The citizen conversation happens only in private chats. Within it, specific commands
    # come before the report flow so /batal, /help and /bahasa work at any step, and the
    # flow's catch-alls come last.
    citizen = Router(name="citizen")
    citizen.message.filter(F.chat.type == ChatType.PRIVATE)
    citizen.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    citizen.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    citizen.include_routers(
        *(module.router.build() for module in (start, cancel, answer, evidence, report))
    )
    # Staff routers admit staff only; everyone else falls through to the citizen routers and
    # the fallback, and so gets the answer any unknown command gets.
    dispatcher.include_routers(
        status.router.build(),
        staff.router.build(),
        admin.router.build(),
        desk_buttons.router.build(),
        citizen,
        fallback.router.build(),
        desk_errors.router.build(),
        errors.router.build(),
    )
    return dispatcher


def create_bot(settings: Settings) -> Bot:
    hold_response_types()
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(TransientErrorRetry())
    return Bot(
        token=settings.bot_token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def outbox_renderer(
    notifications: NotificationRenderer, board: StaffBoard
) -> Callable[[Outbox], Rendered | Awaitable[Rendered]]:
    """Rows for the staff chat render from the database; reporters' from their params."""

    def render(row: Outbox) -> Rendered | Awaitable[Rendered]:
        return board.render(row) if row.kind in staff_feed.KINDS else notifications(row)

    return render


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    bot: Bot
    dispatcher: Dispatcher
    i18n: I18n
    fsm_storage: SqlStorage | TrackedRedisStorage
    services: Services
    sender: OutboxSender
    redis: Redis | None = None
    background: list[asyncio.Task[None]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def open_application(settings: Settings) -> AsyncIterator[Application]:
    """Everything long-lived, built once and closed on the way out. The schema must already
    be migrated (`python -m bot` does that first)."""
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    i18n = create_i18n(settings.default_locale)
    bot = create_bot(settings)
    evidence_store: EvidenceStore
    if settings.evidence_url:
        evidence_store = S3EvidenceStore(settings.evidence_url, settings.s3_endpoint_url)
        await evidence_store.open()
    else:
        evidence_store = LocalEvidenceStore(settings.evidence_dir)
    redis: Redis | None = None
    if settings.redis_url:
        redis, state = _redis_backends(settings, settings.redis_url)
    else:
        state = _local_backends(settings, engine)
    fsm_storage, isolation = state.fsm_storage, state.isolation
    board = StaffBoard(sessions, evidence_store, i18n, settings.default_locale)
    sender = OutboxSender(
        bot,
        sessions,
        outbox_renderer(NotificationRenderer(i18n), board),
        shared_slots=state.shared_slots,
    )
    feed = StaffFeed(settings.staff_chat_id, settings.default_locale)
    desk = Desk(
        sessions,
        settings.code_prefix,
        Deadlines(
            review_days=settings.review_deadline_days,
            decision_days=settings.decision_deadline_days,
            decision_days_needs_info=settings.decision_deadline_needs_info_days,
            follow_up_days=settings.follow_up_deadline_days,
        ),
        staff_feed=feed,
        on_enqueued=sender.wake,
    )
    services = Services(
        settings=settings,
        intake=IntakeService(
            sessions, settings.code_prefix, staff_feed=feed, on_enqueued=sender.wake
        ),
        evidence_intake=EvidenceIntake(evidence_store),
        evidence_store=evidence_store,
        desk=desk,
        staff_directory=StaffDirectory(sessions, settings.admin_ids),
        status_limiter=state.status_limiter,
        report_limiter=state.report_limiter,
        update_limiter=state.update_limiter,
        language_choices=LanguageChoices(sessions),
        agencies=AgencyDirectory(),
    )
    dispatcher = build_dispatcher(services, sessions, i18n, fsm_storage, isolation)
    application = Application(
        settings, engine, sessions, bot, dispatcher, i18n, fsm_storage, services, sender, redis
    )
    try:
        yield application
    finally:
        for task in application.background:
            task.cancel()
        await asyncio.gather(*application.background, return_exceptions=True)
        await dispatcher.storage.close()
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        if isinstance(evidence_store, S3EvidenceStore):
            await evidence_store.close()
        await engine.dispose()


@dataclass
class _StateBackends:
    """Where conversations, per-user locks, rate limits and send slots are kept."""

    fsm_storage: SqlStorage | TrackedRedisStorage
    isolation: BaseEventIsolation
    status_limiter: RateLimiter
    report_limiter: RateLimiter
    update_limiter: RateLimiter
    shared_slots: SharedSlots | None


def _local_backends(settings: Settings, engine: AsyncEngine) -> _StateBackends:
    return _StateBackends(
        # One process owns SQLite conversations, so it may keep them in memory as well.
        fsm_storage=SqlStorage(engine, cache=is_sqlite(settings.database_url)),
        isolation=PerUserLocks(),
        status_limiter=MemoryRateLimiter(STATUS_LOOKUPS_PER_MINUTE, 60),
        report_limiter=MemoryRateLimiter(REPORTS_STARTED_PER_HOUR, 3600),
        update_limiter=MemoryRateLimiter(settings.flood_updates, settings.flood_window_seconds),
        shared_slots=None,
    )


def _redis_backends(settings: Settings, redis_url: str) -> tuple[Redis, _StateBackends]:
    """Several instances: one user's updates are serialised across all of them, and the
    limits are kept together. redis-py is imported here, not at the top: it adds about 6 MB
    to every process, and the single-process default never uses it (bench/RESULTS.md)."""
    from aiogram.fsm.storage.redis import RedisEventIsolation
    from redis.asyncio import BlockingConnectionPool, Redis

    from storage.redis_state import RedisRateLimiter, RedisSendSlots, TrackedRedisStorage

    # A burst waits for a free connection instead of failing with "Too many connections".
    redis = Redis(
        connection_pool=BlockingConnectionPool.from_url(
            redis_url, max_connections=REDIS_CONNECTIONS, timeout=10
        )
    )
    return redis, _StateBackends(
        fsm_storage=TrackedRedisStorage(redis),
        isolation=RedisEventIsolation(redis, lock_kwargs={"timeout": USER_LOCK_LEASE_SECONDS}),
        status_limiter=RedisRateLimiter(redis, STATUS_LOOKUPS_PER_MINUTE, 60),
        report_limiter=RedisRateLimiter(redis, REPORTS_STARTED_PER_HOUR, 3600),
        update_limiter=RedisRateLimiter(
            redis, settings.flood_updates, settings.flood_window_seconds
        ),
        shared_slots=RedisSendSlots(redis, rate=30, per_chat_seconds=1),
    )


def start_background(application: Application) -> None:
    settings, services = application.settings, application.services
    with without_retries():
        # The sender paces itself and must see each 429; the context is copied into its task.
        sender = asyncio.create_task(application.sender.run())
    application.background.append(sender)
    jobs = [
        background.every(
            settings.conversation_sweep_seconds,
            functools.partial(
                background.expire_idle_conversations,
                application.bot,
                application.fsm_storage,
                application.sessions,
                services.intake,
                application.i18n,
                settings,
            ),
            "expire conversations",
        ),
        background.every(
            settings.card_sync_seconds,
            services.desk.stage_missing_cards,
            "stage missing cards",
        ),
        background.every(
            3600,
            functools.partial(
                coordination.forget_old_updates, application.sessions, timedelta(days=2)
            ),
            "forget old webhook updates",
        ),
        background.daily_overdue_reminder(
            services.desk, application.sessions, application.i18n, settings
        ),
    ]
    application.background.extend(asyncio.create_task(job) for job in jobs)


async def publish_commands(application: Application) -> None:
    """The command menu Telegram shows citizens, in each language."""
    i18n = application.i18n
    for locale in SUPPORTED_LOCALES:
        with i18n.context(), i18n.use_locale(locale):
            commands = [
                BotCommand(command="lapor", description=_("File a report")),
                BotCommand(command="status", description=_("Check a report by its code")),
                BotCommand(command="laporan", description=_("My reports")),
                BotCommand(command="batal", description=_("Cancel the report being written")),
                BotCommand(command="bahasa", description=_("Change language")),
                BotCommand(command="help", description=_("Help")),
            ]
        language = None if locale == application.settings.default_locale else locale
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
        )


async def run(settings: Settings) -> None:
    """Polling by default; a webhook server when WEBHOOK_URL is set."""
    async with open_application(settings) as application:
        await publish_commands(application)
        start_background(application)
        freeze_startup_objects()
        if settings.webhook_url:
            from bot.webhook import serve_webhook

            await serve_webhook(application, application.redis)
            return
        log.info("bot polling", extra={"api": settings.telegram_api_url})
        await application.bot.delete_webhook()
        await poller(application).run()


def freeze_startup_objects() -> None:
    """Exempt everything built so far (modules, aiogram's and pydantic's types, the
    dispatcher, the ORM's mappers: hundreds of thousands of objects that live as long as
    the process) from the garbage collector's full collections.

    Each full collection walks every tracked object, and the event loop stops while it
    does: with the start-up objects included that was 160-220 ms every 20 s at 64 updates
    a second, a stall that every update under way waited out (the intake benchmark's p99
    at half rate). Frozen objects are still freed by reference counting; only cycles among
    them would stay, and start-up objects are kept anyway."""
    gc.collect()  # what start-up left as garbage goes now rather than being kept forever
    gc.freeze()


def poller(application: Application, polling_timeout: int = 30) -> Poller:
    return Poller(
        application.bot,
        application.dispatcher,
        application.sessions,
        polling_timeout=polling_timeout,
    )
