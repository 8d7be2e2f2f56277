"""A whole case sent to a chat: its detail, then its evidence as albums. Shared by /case and
the card's Review button."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BufferedInputFile, InputMediaDocument, InputMediaPhoto

from bot.services.case_queries import CaseQueries
from bot.services.evidence_intake import suffix_for
from bot.ui.cards import case_detail
from bot.ui.labels import evidence_source_label
from bot.ui.text import split_for_telegram
from storage.evidence_store import EvidenceStore


async def send_case(
    chat_id: int,
    bot: Bot,
    cases: CaseQueries,
    evidence_store: EvidenceStore,
    code_text: str,
    *,
    show_identity: bool,
    scope: str,
) -> None:
    """The whole case, then its evidence, to `chat_id`."""
    detail = await cases.detail(code_text, show_identity=show_identity, scope=scope)
    for part in split_for_telegram(case_detail(detail)):
        await bot.send_message(chat_id, part)
    media = []
    for item in detail.evidence:
        content = await evidence_store.get(item.storage_key)
        name = f"{detail.case.code}-{item.id}{suffix_for(item.mime)}"
        file = BufferedInputFile(content, filename=name)
        caption = f"{detail.case.code} · {evidence_source_label(item.source)}"
        if item.kind == "image":
            media.append(InputMediaPhoto(media=file, caption=caption))
        else:
            media.append(InputMediaDocument(media=file, caption=caption))
    # Telegram albums hold at most 10 items, and photos and documents cannot be mixed.
    photos = [m for m in media if isinstance(m, InputMediaPhoto)]
    documents = [m for m in media if isinstance(m, InputMediaDocument)]
    for group in (photos, documents):
        for start in range(0, len(group), 10):
            chunk = group[start : start + 10]
            if len(chunk) == 1:
                single = chunk[0]
                if isinstance(single, InputMediaPhoto):
                    await bot.send_photo(chat_id, single.media, caption=single.caption)
                else:
                    await bot.send_document(chat_id, single.media, caption=single.caption)
            else:
                await bot.send_media_group(chat_id, chunk)  # type: ignore[arg-type]
