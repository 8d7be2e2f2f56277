"""A fake Telegram Bot API server over real HTTP, for driving the real bot in tests.

The bot reaches it through TELEGRAM_API_URL like the real API: it long-polls getUpdates,
sends messages, downloads files. Tests push updates, read what the bot sent, and inject
faults (429 with retry_after, 5xx, dropped connections, blocked users)."""

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

from tests.fakebot.limits import TelegramLimits

BOT_USER = {
    "id": 7_000_000_001,
    "is_bot": True,
    "first_name": "Lapor Netral",
    "username": "lapor_netral_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
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
SEND_METHODS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendvideo",
    "copymessage",
    "forwardmessage",
}
# Enough for the five or so staff-chat messages a test step may queue at three seconds each.
GROUP_WAIT_SECONDS = 20.0
EDIT_METHODS = {"editmessagetext", "editmessagereplymarkup", "editmessagecaption"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    ok: bool = True


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None = None
    drop: bool = False
    chat_id: int | None = None  # only calls for this chat meet it
    cut_at: int | None = None  # the real answer, cut short after this many characters


@dataclass
class _ChatLog:
    outputs: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0


class _ChangeSignal:
    """Wakes every waiter when something changed. Not an asyncio.Condition: a waiter cut
    off by a test's timeout while re-acquiring a Condition's lock leaves the lock held,
    and closing the event loop then waits forever for the other waiters."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.blocked_chats: set[int] = set()
        # Called with (chat_id, output) for every message the bot sends: benchmarks follow
        # thousands of chats without waking every waiter on each message.
        self.output_listener: Callable[[int, dict[str, Any]], None] | None = None
        # Called with the update ids of every getUpdates answer as it is sent: benchmarks
        # tell the time an update waited to be fetched from the time the bot took on it.
        self.fetch_listener: Callable[[list[int]], None] | None = None
        # A token Telegram does not know: every call with it answers 401, as a revoked one.
        self.refused_token: str | None = None
        # Telegram's flood limits, off unless a test sets them (tests/fakebot/limits.py).
        self.limits: TelegramLimits | None = None
        self.files: dict[str, bytes] = {}  # file_path -> bytes
        # file_path -> size of the body served when it is more than the file (add_file's
        # served_size), and how many bytes of it were written before the client went away.
        self.served_sizes: dict[str, int] = {}
        self.bytes_served: dict[str, int] = {}
        self.downloads_finished: set[str] = set()
        self.uploads: dict[str, bytes] = {}  # file_id -> bytes the bot uploaded
        self._file_meta: dict[str, dict[str, Any]] = {}  # file_id -> File object
        self._updates: list[dict[str, Any]] = []
        self._pushed: dict[int, dict[str, Any]] = {}  # update_id -> update, for redelivery
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, _ChatLog] = defaultdict(_ChatLog)
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._changed = _ChangeSignal()
        self._file_counter = itertools.count(1)
        self.confirmed_offset = 0
        # Webhook delivery, as Telegram behind a load balancer: each update is posted to the
        # next instance in turn; a refused connection or an error moves on to the next.
        self.webhook_targets: list[str] = []
        self.webhook_secret = ""
        self.webhook_deliveries: list[tuple[int, str, int]] = []  # (update_id, target, status)
        self._webhook_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._webhook_tasks: list[asyncio.Task[None]] = []
        self._next_target = 0
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._port = 0

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping = True  # pending long polls answer at once instead of at their timeout
        for task in self._webhook_tasks:
            task.cancel()
        self._changed.notify()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    # --- what tests do -----------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._pushed[update_id] = {"update_id": update_id, **update}
        self._queue(self._pushed[update_id])
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Offer an update again, as Telegram does after a bot died before confirming it."""
        self._queue(self._pushed[update_id])

    def _queue(self, update: dict[str, Any]) -> None:
        if self._webhook_queue is not None:
            self._webhook_queue.put_nowait(update)
            return
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    def deliver_by_webhook(self, targets: list[str], secret: str, connections: int = 1) -> None:
        """From now on, post updates to `targets` (round robin) instead of getUpdates, over
        up to `connections` requests at once (Telegram's max_connections; one keeps every
        update in order, as the tests expect; bench/scaleout.py opens more)."""
        self.webhook_targets = targets
        self.webhook_secret = secret
        self._webhook_queue = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._webhook_tasks = [
            loop.create_task(self._webhook_loop()) for _ in range(max(1, connections))
        ]

    async def _webhook_loop(self) -> None:
        import aiohttp

        assert self._webhook_queue is not None
        async with aiohttp.ClientSession() as client:
            while True:
                update = await self._webhook_queue.get()
                await self._post_until_accepted(client, update)

    async def _post_until_accepted(self, client: Any, update: dict[str, Any]) -> None:
        import aiohttp

        for attempt in range(200):
            target = self.webhook_targets[self._next_target % len(self.webhook_targets)]
            self._next_target += 1
            try:
                async with client.post(
                    target,
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret},
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    self.webhook_deliveries.append((update["update_id"], target, response.status))
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                self.webhook_deliveries.append((update["update_id"], target, 0))
            await asyncio.sleep(min(0.05 * (attempt + 1), 1.0))

    def add_file(
        self,
        content: bytes,
        suffix: str = "jpg",
        declared_size: int | None = None,
        served_size: int | None = None,
    ) -> dict[str, Any]:
        """A file users can send. `declared_size` is what messages and getFile claim;
        `served_size`, when larger than `content`, is how much the download really sends
        (`content`, then zeros), as a server that lies about a file's size would."""
        number = next(self._file_counter)
        file_id = f"file-{number}-{len(content)}"
        path = f"documents/file_{number}.{suffix}"
        self.files[path] = content
        if served_size is not None:
            self.served_sizes[path] = served_size
        meta = {
            "file_id": file_id,
            "file_unique_id": f"uniq{number}",
            "file_size": declared_size if declared_size is not None else len(content),
            "file_path": path,
        }
        self._file_meta[file_id] = meta
        return meta

    def fail_next(
        self,
        method: str,
        status: int,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        text = description or {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: message is not modified",
        }.get(status, "Internal Server Error")
        self._faults[method.lower()].extend(
            _Fault(status, text, retry_after, chat_id=chat_id) for _ in range(count)
        )

    def drop_next(self, method: str, count: int = 1) -> None:
        self._faults[method.lower()].extend(_Fault(0, "", drop=True) for _ in range(count))

    def cut_next(self, method: str, at: int) -> None:
        """The next answer arrives cut short (a proxy dropping the connection mid-body):
        status 200, the first `at` characters of the JSON."""
        self._faults[method.lower()].append(_Fault(200, "", cut_at=at))

    async def wait_output(
        self,
        chat_id: int,
        timeout: float | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The next output to `chat_id` not yet read (with `predicate`: the next matching
        one; outputs skipped on the way are consumed). A group is waited for longer by
        default: the bot sends a group one message every three seconds (Telegram's 20 a
        minute), so a few queued ahead of the one awaited take a while."""
        if timeout is None:
            timeout = GROUP_WAIT_SECONDS if chat_id < 0 else 5.0
        log = self._chats[chat_id]
        deadline = time.monotonic() + timeout
        while True:
            while log.cursor < len(log.outputs):
                output = log.outputs[log.cursor]
                log.cursor += 1
                if predicate is None or predicate(output):
                    return output
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no output for chat {chat_id} within {timeout}s; recent calls:\n"
                    + self.describe_recent()
                )
            await self._changed.wait(remaining)

    async def assert_no_output(self, chat_id: int, quiet: float = 0.5) -> None:
        await asyncio.sleep(quiet)
        log = self._chats[chat_id]
        unread = log.outputs[log.cursor :]
        assert not unread, f"unexpected output to {chat_id}: {unread}"

    async def wait_call(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda params: True,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The parameters of the first successful call of `method` matching `predicate`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.calls:
                if call.method == method.lower() and call.ok and predicate(call.params):
                    return call.params
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {method} call within {timeout}s:\n" + self.describe_recent())

    async def wait_fetched(self, update_id: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.confirmed_offset <= update_id:
            if time.monotonic() > deadline:
                raise AssertionError(f"update {update_id} was not fetched")
            await asyncio.sleep(0.01)

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return list(self._chats[chat_id].outputs)

    def describe_recent(self, count: int = 12) -> str:
        lines = []
        for call in self.calls[-count:]:
            shown = {k: v for k, v in call.params.items() if k not in ("reply_markup",)}
            lines.append(f"  {call.method} {json.dumps(shown, ensure_ascii=False)[:300]}")
        return "\n".join(lines)

    # --- HTTP --------------------------------------------------------------------------

    async def _notify(self) -> None:
        self._changed.notify()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        faults = self._faults.get("file")  # fail_next("file", ...) / drop_next("file")
        if faults:
            fault = faults.pop(0)
            if fault.drop:
                assert request.transport is not None
                request.transport.close()
            return web.Response(status=fault.status or 500)
        path = request.match_info["path"]
        content = self.files.get(path)
        if content is None:
            return web.Response(status=404)
        if path not in self.served_sizes:
            return web.Response(body=content)
        return await self._serve_oversized(request, path, content)

    async def _serve_oversized(
        self, request: web.Request, path: str, content: bytes
    ) -> web.StreamResponse:
        total = self.served_sizes[path]
        response = web.StreamResponse()
        response.content_length = total
        await response.prepare(request)
        padding = bytes(256 * 1024)
        self.bytes_served[path] = 0
        try:
            await response.write(content)
            self.bytes_served[path] = len(content)
            while self.bytes_served[path] < total:
                chunk = padding[: total - self.bytes_served[path]]
                await response.write(chunk)
                self.bytes_served[path] += len(chunk)
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading and closed the connection
        finally:
            self.downloads_finished.add(path)
        return response

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] == self.refused_token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        params, files = await self._read_params(request)
        call = Call(method, params, files, time.monotonic())
        self.calls.append(call)
        chat_id = _int(params.get("chat_id"))
        faults = [
            fault
            for fault in self._faults.get(method, [])
            if fault.chat_id is None or fault.chat_id == chat_id
        ]
        if faults:
            fault = faults[0]
            self._faults[method].remove(fault)
            call.ok = False
            if fault.cut_at is not None:
                result = await getattr(self, f"_m_{method}")(params, files)
                body = json.dumps({"ok": True, "result": result})
                return web.Response(text=body[: fault.cut_at], content_type="application/json")
            if fault.drop:
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)
            return self._error(fault.status, fault.description, fault.retry_after)
        if (
            chat_id is not None
            and chat_id in self.blocked_chats
            and method in (SEND_METHODS | {"sendmediagroup"})
        ):
            call.ok = False
            return self._error(403, "Forbidden: bot was blocked by the user")
        limited = method in SEND_METHODS | {"sendmediagroup"}
        if self.limits is not None and chat_id is not None and limited:
            retry_after = self.limits.admit(chat_id, call.at, len(params.get("media") or [1]))
            if retry_after is not None:
                call.ok = False
                text = f"Too Many Requests: retry after {retry_after}"
                return self._error(429, text, retry_after)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.ok = False
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
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    files[key] = value.file.read()
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
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self._updates if u["update_id"] >= offset]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._stopping:
                answer = pending[:limit]
                if answer and self.fetch_listener is not None:
                    self.fetch_listener([update["update_id"] for update in answer])
                return answer
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
        if meta["file_size"] > 20 * 1024 * 1024:
            # What the real API does for files over its download limit.
            raise web.HTTPBadRequest(
                text=json.dumps(
                    {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"}
                ),
                content_type="application/json",
            )
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
        return "upload.bin"

    async def _record_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict:
        chat_id = _int(params.get("chat_id"))
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
        # A Message carries only inline keyboards; reply keyboards stay visible to tests.
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
        chat_id = _int(params.get("chat_id"))
        message_id = _int(params.get("message_id"))
        if chat_id is None or message_id is None:
            return True  # inline message
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise web.HTTPBadRequest(
                text=json.dumps(
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message to edit not found",
                    }
                ),
                content_type="application/json",
            )
        message.update({k: v for k, v in change.items() if v is not None})
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._chats[chat_id].outputs.append({**message, "_kind": "edit"})
        await self._notify()
        return message


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)
