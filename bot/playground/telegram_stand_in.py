"""A stand-in for the Telegram Bot API over real HTTP: what the playground runs the bot
against, and what the tests' fake server (tests/fakebot) builds on with its faults and waits.

The bot reaches it through TELEGRAM_API_URL as it reaches api.telegram.org: it long-polls
getUpdates, sends and edits messages, uploads photos and documents, fetches files with
getFile and downloads them. Updates are pushed in by whoever plays the users; everything
the bot sends is kept per chat in order (`outputs`), sends and edits alike, so it can be
shown or checked."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {
    "id": 7_000_000_001,
    "is_bot": True,
    "first_name": "Lapor Netral",
    "username": "lapor_netral_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters that arrive JSON-encoded inside a form or query string.
JSON_FIELDS = {
    "reply_markup",
    "media",
    "entities",
    "caption_entities",
    "reply_parameters",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
}
# The largest file getFile lets a bot download, as the real API.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


class Upload(bytes):
    """A file's bytes as the bot uploaded them, with the name it gave the file."""

    filename: str | None = None


@dataclass
class ChatLog:
    outputs: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0  # how far a reader (tests' wait_output) has read


class ChangeSignal:
    """Wakes every waiter when something changed. Not an asyncio.Condition: a waiter cut
    off by a timeout while re-acquiring a Condition's lock leaves the lock held, and closing
    the event loop then waits forever for the other waiters."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


class TelegramStandIn:
    """The Bot API methods the bot uses, answered from memory."""

    def __init__(self) -> None:
        # Called with (chat_id, output) for every message the bot sends: benchmarks follow
        # thousands of chats without waking every waiter on each message.
        self.output_listener: Callable[[int, dict[str, Any]], None] | None = None
        self.files: dict[str, bytes] = {}  # file_path -> bytes
        self.uploads: dict[str, bytes] = {}  # file_id -> bytes the bot uploaded
        self._file_meta: dict[str, dict[str, Any]] = {}  # file_id -> File object
        self._updates: list[dict[str, Any]] = []
        self._pushed: dict[int, dict[str, Any]] = {}  # update_id -> update, for redelivery
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, ChatLog] = defaultdict(ChatLog)
        self._changed = ChangeSignal()
        self._file_counter = itertools.count(1)
        self.confirmed_offset = 0
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._port = 0

    # --- lifecycle ---------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Serve the Bot API (/bot<token>/<method>) and file downloads on `app`."""
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)

    async def start(self, port: int = 0) -> None:
        """Serve on a port of its own on 127.0.0.1 (any free one by default)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self.install(app)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self.release_waiters()
        if self._runner is not None:
            await self._runner.cleanup()

    def release_waiters(self) -> None:
        """Pending long polls answer at once instead of at their timeout."""
        self._stopping = True
        self._changed.notify()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    # --- what the users' side does -----------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._pushed[update_id] = {"update_id": update_id, **update}
        self._queue(self._pushed[update_id])
        return update_id

    def _queue(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    def add_file(
        self, content: bytes, suffix: str = "jpg", declared_size: int | None = None
    ) -> dict[str, Any]:
        """A file users can send (or the bot uploaded): its File object. `declared_size` is
        what messages and getFile claim, when it is not the content's."""
        number = next(self._file_counter)
        file_id = f"file-{number}-{len(content)}"
        path = f"documents/file_{number}.{suffix}"
        self.files[path] = content
        meta = {
            "file_id": file_id,
            "file_unique_id": f"uniq{number}",
            "file_size": declared_size if declared_size is not None else len(content),
            "file_path": path,
        }
        self._file_meta[file_id] = meta
        return meta

    def file_content(self, file_id: str) -> bytes | None:
        meta = self._file_meta.get(file_id)
        return self.files.get(meta["file_path"]) if meta else None

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """A message the bot sent, as it stands now (edits applied)."""
        return self._messages.get((chat_id, message_id))

    def outputs(self, chat_id: int) -> list[dict[str, Any]]:
        """Everything sent to `chat_id` so far, in order; read-only for callers."""
        return self._chats[chat_id].outputs

    async def wait_change(self, timeout: float) -> None:
        """Return when anything is sent or pushed, or after `timeout` seconds."""
        await self._changed.wait(timeout)

    # --- HTTP --------------------------------------------------------------------------

    async def _notify(self) -> None:
        self._changed.notify()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        content = self.files.get(request.match_info["path"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"].lower()
        params, files = await self._read_params(request)
        return await self._dispatch(method, params, files)

    async def _dispatch(
        self, method: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> web.Response:
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result = await handler(params, files)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    @staticmethod
    def _bad_request(description: str) -> web.HTTPBadRequest:
        return web.HTTPBadRequest(
            text=json.dumps({"ok": False, "error_code": 400, "description": description}),
            content_type="application/json",
        )

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    files[key] = upload = Upload(value.file.read())
                    upload.filename = value.filename
                else:
                    params[key] = value
        params.update(request.query)
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params, files

    # --- methods -----------------------------------------------------------------------

    async def _m_getme(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT_USER

    async def _m_getupdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        offset = int_param(params.get("offset")) or 0
        limit = int_param(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self._updates if u["update_id"] >= offset]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._stopping:
                return pending[:limit]
            await self._changed.wait(remaining)

    async def _m_deletewebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    _m_setwebhook = _m_deletewebhook
    _m_setmycommands = _m_deletewebhook
    _m_deletemycommands = _m_deletewebhook
    _m_sendchataction = _m_deletewebhook
    _m_close = _m_deletewebhook
    _m_logout = _m_deletewebhook

    async def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    async def _m_getfile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        meta = self._file_meta.get(params.get("file_id", ""))
        if meta is None:
            return {"file_id": params.get("file_id"), "file_unique_id": "missing"}
        if meta["file_size"] > DOWNLOAD_LIMIT:
            raise self._bad_request("Bad Request: file is too big")
        return meta

    async def _m_sendmessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return await self._record_message(params, {"text": params.get("text", "")})

    async def _m_sendphoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        content = self._uploaded(params.get("photo"), files)
        meta = self.add_file(content, "jpg")
        self.uploads[meta["file_id"]] = content
        photo = [
            {
                "file_id": meta["file_id"],
                "file_unique_id": meta["file_unique_id"],
                "width": 320,
                "height": 240,
                "file_size": len(content),
            }
        ]
        return await self._record_message(
            params, {"photo": photo, "caption": params.get("caption"), "_upload": content}
        )

    async def _m_senddocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        reference = params.get("document")
        content = self._uploaded(reference, files)
        meta = self.add_file(content, "bin")
        self.uploads[meta["file_id"]] = content
        document = {
            "file_id": meta["file_id"],
            "file_unique_id": meta["file_unique_id"],
            "file_size": len(content),
            "file_name": self._upload_name(reference, files),
        }
        return await self._record_message(
            params, {"document": document, "caption": params.get("caption"), "_upload": content}
        )

    _m_sendvideo = _m_senddocument

    async def _m_sendmediagroup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = []
        for item in params.get("media", []):
            single = {**params, "caption": item.get("caption")}
            if item.get("type") == "photo":
                sent.append(await self._m_sendphoto({**single, "photo": item["media"]}, files))
            else:
                sent.append(
                    await self._m_senddocument({**single, "document": item["media"]}, files)
                )
        return sent

    async def _m_editmessagetext(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return await self._edit(params, {"text": params.get("text", "")})

    async def _m_editmessagecaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return await self._edit(params, {"caption": params.get("caption")})

    async def _m_editmessagereplymarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        return await self._edit(params, {})

    async def _m_deletemessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    # --- helpers -----------------------------------------------------------------------

    def _uploaded(self, reference: Any, files: dict[str, bytes]) -> bytes:
        if isinstance(reference, str) and reference.startswith("attach://"):
            return files[reference.removeprefix("attach://")]
        if isinstance(reference, str):  # a file_id the bot re-sends
            path = self._file_meta.get(reference, {}).get("file_path")
            return self.files.get(path, b"") if path else b""
        return b""

    @staticmethod
    def _upload_name(reference: Any, files: dict[str, bytes]) -> str:
        if isinstance(reference, str) and reference.startswith("attach://"):
            uploaded = files.get(reference.removeprefix("attach://"))
            return getattr(uploaded, "filename", None) or "upload.bin"
        return "upload.bin"

    async def _record_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict:
        chat_id = int_param(params.get("chat_id"))
        assert chat_id is not None, f"no chat_id in {params}"
        message_id = next(self._message_ids[chat_id])
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if chat_id > 0 else "supergroup",
                **({"title": "Staff"} if chat_id < 0 else {"first_name": "User"}),
            },
            "from": BOT_USER,
        }
        message.update({k: v for k, v in content.items() if v is not None and k != "_upload"})
        markup = params.get("reply_markup")
        # A Message carries only inline keyboards; reply keyboards stay visible in outputs.
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(chat_id, message_id)] = message
        output = {**message, "_kind": "message", "_params": params}
        if markup:
            output["reply_markup"] = markup
        if "_upload" in content:
            output["_upload"] = content["_upload"]
        self._chats[chat_id].outputs.append(output)
        if self.output_listener is not None:
            self.output_listener(chat_id, output)
        await self._notify()
        return message

    async def _edit(self, params: dict[str, Any], change: dict[str, Any]) -> Any:
        chat_id = int_param(params.get("chat_id"))
        message_id = int_param(params.get("message_id"))
        if chat_id is None or message_id is None:
            return True  # inline message
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise self._bad_request("Bad Request: message to edit not found")
        message.update({k: v for k, v in change.items() if v is not None})
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._chats[chat_id].outputs.append({**message, "_kind": "edit"})
        await self._notify()
        return message


def int_param(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)
