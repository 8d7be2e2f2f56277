"""The playground's web chat: one static page (static/), and a small JSON API through which
the page acts as the people in each chat and follows what happens there.

`GET /api/chats/{chat}/events?after=N` long-polls the chat's log from entry N: the people's
messages, the bot's messages and edits of them (an edit names the message it replaces), and
button-press notices. The bot formats every message in Telegram's HTML (bot/telegram/
client.py sets parse_mode HTML for all), so the page renders bot text as that HTML, keeping
only the tags Telegram allows; what people typed is shown as plain text."""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web

from bot.playground.people import Person
from bot.playground.transcript import PlaygroundTelegram

STATIC_FILES = {
    "playground.css": "text/css",
    "playground.js": "text/javascript",
}
# A long poll answers after this long even when nothing happened.
EVENTS_WAIT_SECONDS = 25.0
TEXT_LIMIT = 4096  # Telegram's for one message
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class PlaygroundChat:
    """A chat of the playground and the person who writes in it from the page."""

    key: str  # "citizen", "staff", "officer": the page's name for it
    title: str
    person: Person
    phone: str  # what "share my number" sends


def playground_routes(
    app: web.Application, stand_in: PlaygroundTelegram, chats: list[PlaygroundChat]
) -> None:
    by_id = {chat.person.chat_id: chat for chat in chats}

    def chat_of(request: web.Request) -> PlaygroundChat:
        try:
            return by_id[int(request.match_info["chat"])]
        except (KeyError, ValueError):
            raise web.HTTPNotFound() from None

    async def page(request: web.Request) -> web.StreamResponse:
        return _static("index.html", "text/html")

    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return _static(name, STATIC_FILES[name])

    async def list_chats(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "chats": [
                    {
                        "key": chat.key,
                        "id": chat.person.chat_id,
                        "title": chat.title,
                        "me": chat.person.user["first_name"],
                    }
                    for chat in chats
                ]
            }
        )

    async def events(request: web.Request) -> web.StreamResponse:
        chat = chat_of(request)
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            raise web.HTTPBadRequest() from None
        log = stand_in.outputs(chat.person.chat_id)
        deadline = time.monotonic() + EVENTS_WAIT_SECONDS
        while len(log) <= after and not stand_in.stopping:
            if (remaining := deadline - time.monotonic()) <= 0:
                break
            await stand_in.wait_change(remaining)
        entries = log[after:]
        return web.json_response(
            {"events": [describe(entry) for entry in entries], "next": after + len(entries)}
        )

    async def send_text(request: web.Request) -> web.StreamResponse:
        chat = chat_of(request)
        text = str((await _json_body(request)).get("text", "")).strip()
        if not text or len(text) > TEXT_LIMIT:
            raise web.HTTPBadRequest(text="empty or too long")
        await chat.person.send(text)
        return web.json_response({"ok": True})

    async def send_file(request: web.Request) -> web.StreamResponse:
        chat = chat_of(request)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="no file")
        content = upload.file.read()
        caption = str(form.get("caption") or "").strip() or None
        if content.startswith(b"\xff\xd8\xff"):  # a JPEG goes as a photo, as phones send them
            await chat.person.send_photo(content, caption=caption)
        else:
            name = upload.filename or "file"
            meta = stand_in.add_file(content, name.rsplit(".", 1)[-1][:8] or "bin")
            chat.person.push_document(
                meta, name, upload.content_type or "application/octet-stream", caption
            )
        return web.json_response({"ok": True})

    async def share_contact(request: web.Request) -> web.StreamResponse:
        chat = chat_of(request)
        await chat.person.send_contact(chat.phone)
        return web.json_response({"ok": True})

    async def press(request: web.Request) -> web.StreamResponse:
        chat = chat_of(request)
        body = await _json_body(request)
        message_id = body.get("message_id")
        message = stand_in.message(chat.person.chat_id, message_id)
        data = body.get("data")
        # Only a button the message carries now, as in Telegram.
        if message is None or data not in _callback_data(message):
            raise web.HTTPConflict(text="no such button")
        await chat.person.press_data(message, data)
        return web.json_response({"ok": True})

    async def file(request: web.Request) -> web.StreamResponse:
        content = stand_in.file_content(request.match_info["file_id"])
        if content is None:
            raise web.HTTPNotFound()
        headers = {"X-Content-Type-Options": "nosniff"}
        if name := request.query.get("name"):
            safe = "".join(c for c in name if c.isalnum() or c in "._- ")[:100] or "file"
            headers["Content-Disposition"] = f'attachment; filename="{safe}"'
        return web.Response(body=content, content_type=_sniff(content), headers=headers)

    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/chats", list_chats)
    app.router.add_get("/api/chats/{chat}/events", events)
    app.router.add_post("/api/chats/{chat}/text", send_text)
    app.router.add_post("/api/chats/{chat}/file", send_file)
    app.router.add_post("/api/chats/{chat}/contact", share_contact)
    app.router.add_post("/api/chats/{chat}/press", press)
    app.router.add_get("/api/files/{file_id}", file)


def describe(entry: dict[str, Any]) -> dict[str, Any]:
    """One log entry as the page draws it."""
    kind = entry["_kind"]
    if kind == "notice":
        return {"kind": "notice", "text": entry["text"], "alert": entry["show_alert"]}
    if kind == "delete":
        return {"kind": "delete", "id": entry["message_id"]}
    shown: dict[str, Any] = {
        "kind": kind,  # message, edit (of `id`), incoming
        "id": entry.get("message_id"),
        "from": entry.get("from", {}).get("first_name", ""),
        "text": entry.get("text") or entry.get("caption") or "",
        "html": kind != "incoming",
    }
    if photo := entry.get("photo"):
        shown["photo"] = f"/api/files/{photo[-1]['file_id']}"
    for media in ("document", "video"):
        if item := entry.get(media):
            name = item.get("file_name") or f"{media}.bin"
            shown["document"] = {"name": name, "url": f"/api/files/{item['file_id']}"}
    if contact := entry.get("contact"):
        shown["text"] = f"📞 {contact.get('phone_number', '')}"
    markup = entry.get("reply_markup") or {}
    if "inline_keyboard" in markup:
        shown["buttons"] = [
            [
                {"text": b.get("text", ""), "data": b.get("callback_data"), "url": b.get("url")}
                for b in row
            ]
            for row in markup["inline_keyboard"]
        ]
    if "keyboard" in markup:
        shown["keyboard"] = [
            [
                {"text": b, "contact": False}
                if isinstance(b, str)
                else {"text": b.get("text", ""), "contact": bool(b.get("request_contact"))}
                for b in row
            ]
            for row in markup["keyboard"]
        ]
    if markup.get("remove_keyboard"):
        shown["remove_keyboard"] = True
    return shown


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="not a JSON object")
    return body


def _callback_data(message: dict[str, Any]) -> set[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {button["callback_data"] for row in rows for button in row if "callback_data" in button}


def _static(name: str, content_type: str) -> web.Response:
    body = resources.files("bot.playground").joinpath("static", name).read_bytes()
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"},
    )


def _sniff(content: bytes) -> str:
    for start, kind in (
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x89PNG", "image/png"),
        (b"%PDF", "application/pdf"),
        (b"GIF8", "image/gif"),
    ):
        if content.startswith(start):
            return kind
    return "application/octet-stream"
