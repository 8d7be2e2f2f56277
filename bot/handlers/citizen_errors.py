"""A reporter's answer or file that cannot be taken, answered once here rather than in each
step's handler; the conversation stays on the question it was at."""

from __future__ import annotations

import logging

from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.dispatch.routing import RouterTemplate
from bot.services.evidence import EvidenceRejected
from bot.services.report_fields import FieldRejected
from bot.ui.errors import evidence_rejection, field_rejection
from storage.evidence_store import EvidenceStoreUnavailable

log = logging.getLogger(__name__)

router = RouterTemplate(name="citizen_errors")


@router.errors(ExceptionTypeFilter(FieldRejected))
async def field_refused(event: ErrorEvent) -> None:
    assert isinstance(event.exception, FieldRejected)
    if event.update.message is not None:
        await event.update.message.answer(field_rejection(event.exception))


@router.errors(ExceptionTypeFilter(EvidenceRejected))
async def evidence_refused(event: ErrorEvent) -> None:
    assert isinstance(event.exception, EvidenceRejected)
    log.info("evidence refused", extra={"reason": event.exception.reason})
    if event.update.message is not None:
        await event.update.message.answer(evidence_rejection(event.exception.reason))


@router.errors(ExceptionTypeFilter(EvidenceStoreUnavailable))
async def evidence_not_stored(event: ErrorEvent) -> None:
    log.error("evidence store not writable", exc_info=event.exception)
    if event.update.message is not None:
        await event.update.message.answer(evidence_rejection("store_unavailable"))
