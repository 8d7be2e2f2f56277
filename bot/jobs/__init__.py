"""Tasks that run beside the dispatcher: the outbox sender, conversation expiry, cards owed
to cases, completion periods run out, forgetting old webhook updates, the daily retention
purge, the daily reminder, removing exports whose links have expired, emptying SQLite's
write-ahead log. Each loops until cancelled."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

from bot.app import Application
from bot.jobs.conversations import expire_idle_conversations
from bot.jobs.reminders import daily_overdue_reminder
from bot.jobs.retention import daily_purge, empty_write_ahead_log, sweep_expired_exports
from bot.jobs.schedule import every
from bot.services import coordination
from bot.telegram.retry import without_retries
from storage.db import is_sqlite


def start_jobs(application: Application) -> None:
    settings, services = application.settings, application.services
    with without_retries():
        # The sender paces itself and must see each 429; the context is copied into its task.
        sender = asyncio.create_task(application.sender.run())
    application.background.append(sender)
    jobs = [
        every(
            settings.conversation_sweep_seconds,
            functools.partial(
                expire_idle_conversations,
                application.bot,
                application.fsm_storage,
                application.sessions,
                services.intake,
                application.i18n,
                settings,
            ),
            "expire conversations",
        ),
        every(settings.card_sync_seconds, services.desk.stage_missing_cards, "stage missing cards"),
        # Reports not completed within the completion period are not registered.
        every(
            settings.completion_sweep_seconds,
            services.desk.expire_completions,
            "expire completion periods",
        ),
        every(
            3600,
            functools.partial(
                coordination.forget_old_updates, application.sessions, timedelta(days=2)
            ),
            "forget old webhook updates",
        ),
        daily_purge(application.sessions, application.fsm_storage, settings.retention_days),
        daily_overdue_reminder(
            services.desk,
            services.cases,
            services.offices,
            application.sessions,
            application.i18n,
            settings,
        ),
    ]
    if is_sqlite(settings.database_url):
        # Withdrawn drafts leave SQLite's write-ahead log as often as conversations are swept.
        jobs.append(
            every(
                settings.conversation_sweep_seconds,
                functools.partial(empty_write_ahead_log, application.sessions),
                "empty the write-ahead log",
            )
        )
    if services.download_links is not None:
        # Links live 12 hours (services/download_links.py): a file outlives its link by an
        # hour at most.
        jobs.append(
            every(
                3600,
                functools.partial(sweep_expired_exports, services.download_links),
                "remove expired exports",
                at_start=True,
            )
        )
    application.background.extend(asyncio.create_task(job) for job in jobs)
