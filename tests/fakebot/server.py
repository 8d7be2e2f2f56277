"""The fake Telegram Bot API the tests drive the real bot through: the package's stand-in
(bot/playground/telegram_stand_in.py, which answers the Bot API methods) plus what only
tests need. Tests push updates, wait for and read what the bot sent, and inject faults (429
with retry_after, 5xx, dropped connections, cut answers, blocked users, a refused token,
flood limits, files that lie about their size), or deliver updates by webhook."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.playground.telegram_stand_in import TelegramStandIn, int_param
from tests.fakebot.limits import TelegramLimits

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


class FakeTelegram(TelegramStandIn):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.blocked_chats: set[int] = set()
        # Called with the update ids of every getUpdates answer as it is sent: benchmarks
        # tell the time an update waited to be fetched from the time the bot took on it.
        self.fetch_listener: Callable[[list[int]], None] | None = None
        # A token Telegram does not know: every call with it answers 401, as a revoked one.
        self.refused_token: str | None = None
        # Telegram's flood limits, off unless a test sets them (tests/fakebot/limits.py).
        self.limits: TelegramLimits | None = None
        # file_path -> size of the body served when it is more than the file (add_file's
        # served_size), and how many bytes of it were written before the client went away.
        self.served_sizes: dict[str, int] = {}
        self.bytes_served: dict[str, int] = {}
        self.downloads_finished: set[str] = set()
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        # Webhook delivery, as Telegram behind a load balancer: each update is posted to the
        # next instance in turn; a refused connection or an error moves on to the next.
        self.webhook_targets: list[str] = []
        self.webhook_secret = ""
        self.webhook_deliveries: list[tuple[int, str, int]] = []  # (update_id, target, status)
        self._webhook_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._webhook_tasks: list[asyncio.Task[None]] = []
        self._next_target = 0

    async def stop(self) -> None:
        for task in self._webhook_tasks:
            task.cancel()
        await super().stop()

    # --- what tests do -----------------------------------------------------------------

    def redeliver(self, update_id: int) -> None:
        """Offer an update again, as Telegram does after a bot died before confirming it."""
        self._queue(self._pushed[update_id])

    def _queue(self, update: dict[str, Any]) -> None:
        if self._webhook_queue is not None:
            self._webhook_queue.put_nowait(update)
            return
        super()._queue(update)

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
        meta = super().add_file(content, suffix, declared_size)
        if served_size is not None:
            self.served_sizes[meta["file_path"]] = served_size
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

    # --- HTTP, with faults -------------------------------------------------------------

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
        if content is None or path not in self.served_sizes:
            return await super()._file(request)
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
        chat_id = int_param(params.get("chat_id"))
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
        if getattr(self, f"_m_{method}", None) is None:
            call.ok = False
        return await self._dispatch(method, params, files)

    async def _m_getupdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        answer = await super()._m_getupdates(params, files)
        if answer and self.fetch_listener is not None:
            self.fetch_listener([update["update_id"] for update in answer])
        return answer
