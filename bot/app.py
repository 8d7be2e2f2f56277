"""Wiring: the one place that builds the long-lived services and the dispatcher. The CLI
(bot/cli) and the tests both open the application here; what runs it (polling, webhook,
background jobs) lives with them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.dispatch.flood_guard import FloodGuard
from bot.dispatch.i18n import ChatLocaleMiddleware, create_i18n
from bot.dispatch.locks import PerUserLocks
from bot.dispatch.services import ServicesForHandler
from bot.dispatch.state import local_backends, redis_backends
from bot.handlers import build_routers
from bot.outbound.messages import Rendered
from bot.outbound.reporter_messages import NotificationRenderer
from bot.outbound.sender import OutboxSender
from bot.outbound.staff_chat import StaffBoard
from bot.services import staff_feed
from bot.services.agencies import AgencyDirectory
from bot.services.case_queries import CaseQueries
from bot.services.desk import Desk
from bot.services.desk_reports import DeskReports
from bot.services.download_links import DownloadLinks, download_links
from bot.services.evidence_intake import EvidenceIntake
from bot.services.intake import IntakeService
from bot.services.languages import LanguageChoices
from bot.services.lookup import StatusLookup
from bot.services.offices import OfficeDirectory
from bot.services.ratelimit import MemoryRateLimiter, RateLimiter
from bot.services.staff import StaffDirectory
from bot.services.staff_feed import StaffFeed
from bot.telegram.client import create_bot
from storage.conversations import SqlStorage
from storage.db import (
    SessionFactory,
    create_engine,
    create_session_factory,
    create_sqlite_writer,
)
from storage.evidence_store import EvidenceStore, LocalEvidenceStore, S3EvidenceStore
from storage.models import Outbox
from storage.sqlite_writer import SqliteWriter

if TYPE_CHECKING:
    # redis-py is imported only when REDIS_URL is set (bot/dispatch/state.py).
    from redis.asyncio import Redis

    from storage.redis_state import TrackedRedisStorage

# A flooding account is told why the bot went quiet at most this often.
FLOOD_NOTICE_SECONDS = 60


@dataclass
class Services:
    """Long-lived objects handed to handlers by name (aiogram dependency injection, through
    bot/dispatch/services.py)."""

    settings: Settings
    intake: IntakeService
    evidence_intake: EvidenceIntake
    evidence_store: EvidenceStore
    offices: OfficeDirectory
    desk: Desk
    cases: CaseQueries
    desk_reports: DeskReports
    lookup: StatusLookup
    staff_directory: StaffDirectory
    status_limiter: RateLimiter
    report_limiter: RateLimiter
    update_limiter: RateLimiter
    language_choices: LanguageChoices
    agencies: AgencyDirectory
    # None unless PUBLIC_URL and DOWNLOAD_LINK_SECRET are set: large exports then go as parts.
    download_links: DownloadLinks | None


def build_dispatcher(
    services: Services,
    i18n: I18n,
    fsm_storage: BaseStorage,
    events_isolation: BaseEventIsolation | None = None,
) -> Dispatcher:
    dispatcher = Dispatcher(
        storage=fsm_storage,
        events_isolation=events_isolation or PerUserLocks(),
        disable_fsm=True,  # registered below, behind the flood guard
        # What filters read (StaffOnly); handlers get every service from ServicesForHandler.
        staff_directory=services.staff_directory,
        offices=services.offices,
    )
    ServicesForHandler(vars(services)).setup(dispatcher)
    # A flooding account is turned away before its updates read conversation state or wait
    # on its lock (both done by the FSM middleware), so the flood costs others nothing.
    dispatcher.update.outer_middleware(
        FloodGuard(services.update_limiter, MemoryRateLimiter(1, FLOOD_NOTICE_SECONDS), i18n)
    )
    dispatcher.update.outer_middleware(dispatcher.fsm)
    ChatLocaleMiddleware(i18n, services.language_choices).setup(dispatcher)
    dispatcher.include_routers(*build_routers())
    return dispatcher


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
    # SQLite: the writer that commits update claims and conversation steps together.
    writer: SqliteWriter | None = None
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
    writer: SqliteWriter | None = None
    if settings.redis_url:
        redis, state = redis_backends(settings, settings.redis_url)
    else:
        writer = create_sqlite_writer(engine, settings.database_url)
        state = local_backends(settings, engine, writer)
    offices = OfficeDirectory(sessions, settings.staff_chat_id)
    board = StaffBoard(
        sessions, evidence_store, i18n, settings.default_locale, offices, writer=writer
    )
    sender = OutboxSender(
        bot,
        sessions,
        outbox_renderer(NotificationRenderer(i18n), board),
        shared_slots=state.shared_slots,
        writer=writer,
        # SQLite without Redis is one process (its conversations are kept in memory too).
        sole_sender=writer is not None,
    )
    feed = StaffFeed(offices, settings.default_locale)
    services = Services(
        settings=settings,
        intake=IntakeService(
            sessions,
            settings.code_prefix,
            staff_feed=feed,
            on_enqueued=sender.wake,
            writer=writer,
        ),
        offices=offices,
        evidence_intake=EvidenceIntake(evidence_store),
        evidence_store=evidence_store,
        desk=Desk(
            sessions,
            settings.code_prefix,
            staff_feed=feed,
            register_format=settings.register_number_format,
            follow_up_days=settings.follow_up_deadline_days,
            on_enqueued=sender.wake,
        ),
        cases=CaseQueries(sessions, settings.code_prefix),
        desk_reports=DeskReports(sessions, part_limit=settings.export_part_bytes),
        lookup=StatusLookup(sessions, settings.code_prefix),
        staff_directory=StaffDirectory(sessions, settings.admin_ids),
        status_limiter=state.status_limiter,
        report_limiter=state.report_limiter,
        update_limiter=state.update_limiter,
        language_choices=LanguageChoices(sessions),
        agencies=AgencyDirectory(),
        download_links=download_links(
            settings.public_url, settings.download_link_secret, settings.export_dir
        ),
    )
    dispatcher = build_dispatcher(services, i18n, state.fsm_storage, state.isolation)
    application = Application(
        settings,
        engine,
        sessions,
        bot,
        dispatcher,
        i18n,
        state.fsm_storage,
        services,
        sender,
        redis,
        writer,
    )
    try:
        yield application
    finally:
        for task in application.background:
            task.cancel()
        await asyncio.gather(*application.background, return_exceptions=True)
        await dispatcher.storage.close()
        if writer is not None:
            await writer.close()
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        if isinstance(evidence_store, S3EvidenceStore):
            await evidence_store.close()
        await engine.dispose()
