"""The playground (`python -m bot playground`): the real bot against the built-in Bot API
stand-in, used through its web chat in a real Chromium as a person would: a citizen files a
whole report with a photo and checks its status; staff see the card in the group pane and
take the case with its button."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.playground.cast import playground_settings
from bot.playground.serve import serve_playground
from storage.migrate import upgrade_to_head_async
from tests.helpers.dialog import CODE
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.reports import DESCRIPTION, REGIONAL

ROOT = Path(__file__).resolve().parent.parent
# The staff group's messages are paced at one every three seconds, as Telegram requires.
GROUP_WAIT_MS = 30_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def running_playground(data_dir: Path) -> AsyncIterator[str]:
    """The playground in this process, as `python -m bot playground` serves it: its URL."""
    # A test clicks faster than a person: the flood guard would take it for a script.
    settings = Settings(_env_file=None, port=free_port(), flood_updates=10_000)
    await upgrade_to_head_async(playground_settings(settings, "", data_dir).database_url)
    serving = asyncio.create_task(serve_playground(settings, data_dir))
    url = f"http://127.0.0.1:{settings.port}"
    async with aiohttp.ClientSession() as client:
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with client.get(f"{url}/api/chats") as response:
                    if response.status == 200:
                        break
            assert not serving.done(), serving
            await asyncio.sleep(0.05)
    try:
        yield url
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(serving, timeout=20)


class Pane:
    """One chat of the page, used by clicking and typing."""

    def __init__(self, page: Any, key: str) -> None:
        self.chat = page.locator(f'[data-chat="{key}"]')

    async def _forget_shown(self) -> None:
        # What the bot has shown so far, so the next answer is told from earlier ones.
        await self.chat.evaluate(
            "chat => chat.querySelectorAll('li.bot').forEach(li => li.classList.add('seen'))"
        )

    async def answer(self, expected: str, timeout: float = 10_000) -> Any:
        """The newest message the bot sent since the last action, containing `expected`."""
        fresh = self.chat.locator("li.bot:not(.seen)", has_text=expected).last
        await fresh.wait_for(timeout=timeout)
        # By its message id: a locator is looked up again at each use, and this one's
        # ":not(.seen)" stops matching at the next action.
        message_id = await fresh.get_attribute("data-message-id")
        return self.chat.locator(f'li.bot[data-message-id="{message_id}"]')

    async def type(self, text: str, expected: str) -> Any:
        await self._forget_shown()
        box = self.chat.locator('input[name="text"]')
        await box.fill(text)
        await box.press("Enter")
        return await self.answer(expected)

    async def click(self, message: Any, button: str, expected: str) -> Any:
        await self._forget_shown()
        await message.locator(".buttons button", has_text=button).first.click()
        return await self.answer(expected)

    async def attach(self, name: str, content: bytes, expected: str) -> Any:
        await self._forget_shown()
        await self.chat.locator('input[type="file"]').set_input_files(
            files=[{"name": name, "mimeType": "image/jpeg", "buffer": content}]
        )
        return await self.answer(expected)


@pytest.mark.slow
async def test_a_citizen_files_a_report_and_staff_take_it_in_the_web_chat(
    tmp_path: Path, browser: Any
) -> None:
    async with running_playground(tmp_path / "playground") as url:
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        await page.goto(url)
        citizen, group = Pane(page, "citizen"), Pane(page, "staff")

        step = await citizen.type("/lapor", "Langkah 1/9")
        assert await step.locator("b", has_text="Langkah 1/9").count() == 1, "HTML rendered"
        step = await citizen.click(step, "Anonim", "Langkah 2/9")
        step = await citizen.click(step, "ASN", "Langkah 2/9")
        step = await citizen.type("Budi Santoso", "Langkah 2/9")
        step = await citizen.click(step, "Lewati", "Langkah 2/9")
        step = await citizen.click(step, "Lewati", "Langkah 3/9")
        step = await citizen.type("Dinas Pendidikan Kota Bandung", "Langkah 3/9")
        step = await citizen.click(step, "Jawa Barat", "Langkah 3/9")
        step = await citizen.type("Kota Bandung", "Langkah 4/9")
        step = await citizen.click(step, REGIONAL, "Langkah 4/9")
        step = await citizen.click(step, "media sosial", "Langkah 5/9")
        step = await citizen.click(step, "Kemarin", "Langkah 5/9")
        step = await citizen.click(step, "Pada hari kejadian", "Langkah 6/9")
        step = await citizen.type("https://www.instagram.com/p/Cx1Example/", "Langkah 7/9")
        step = await citizen.type(DESCRIPTION, "Langkah 8/9")
        await citizen.click(step, "Lewati", "Langkah 9/9")
        received = await citizen.attach("bukti.jpg", plain_jpeg(), "1")
        photo = citizen.chat.locator("li.mine img")
        await photo.wait_for()
        assert await photo.evaluate("img => img.naturalWidth") == 640, "the photo, shown"
        summary = await citizen.click(received, "Selesai", "Ringkasan")
        assert "Budi Santoso" in await summary.inner_text()
        confirmation = await citizen.click(summary, "Kirim laporan", "diterima")
        code = CODE.search(await confirmation.inner_text()).group(0)  # type: ignore[union-attr]
        await (
            citizen.chat.locator("li.bot", has_text="Ringkasan").locator(".edited").wait_for()
        )  # the summary's buttons closed: an edit, shown in place

        status = await citizen.type(f"/status {code}", "Diterima")
        assert code in await status.inner_text()
        assert "Budi" not in await status.inner_text()

        card = await group.answer(code, timeout=GROUP_WAIT_MS)
        assert "Diterima" in await card.inner_text()
        assert "Sari" not in await card.inner_text(), "an anonymous reporter stays so"
        await group._forget_shown()
        await card.locator(".buttons button", has_text="Ambil").click()
        edited = group.chat.locator("li.bot", has_text=code).filter(has_text="Kajian awal")
        await edited.locator(".edited").wait_for(timeout=GROUP_WAIT_MS)
        assert "Petugas Andi" in await edited.inner_text(), "taken by the staff member"
        assert await group.chat.locator("li.bot", has_text=code).count() == 1, "edited in place"
        await citizen.answer("Kajian awal", timeout=GROUP_WAIT_MS)
        if shot := os.environ.get("PLAYGROUND_SCREENSHOT"):  # docs/screenshots/playground.png
            await citizen.chat.locator("li.mine img").scroll_into_view_if_needed()
            await page.screenshot(path=shot)

        # A list of reasons put away with its Cancel button leaves the chat, as in Telegram.
        await edited.locator(".buttons button", has_text="Tidak diregistrasi").click()
        reasons = group.chat.locator("li.bot", has_text="tidak diregistrasi?")
        await reasons.wait_for(timeout=GROUP_WAIT_MS)
        await reasons.locator(".buttons button", has_text="Batal").click()
        await reasons.wait_for(state="detached", timeout=GROUP_WAIT_MS)

        await page.locator('[data-show="officer"]').click()
        export = await Pane(page, "officer").type("/export", "lapor-netral-")
        link = export.locator("a.document")
        assert (await link.get_attribute("download") or "").endswith(".xlsx")
        download = await page.request.get(url + (await link.get_attribute("href") or ""))
        assert download.ok and (await download.body()).startswith(b"PK"), "the workbook"
        await page.close()


async def test_bot_html_is_rendered_safely(tmp_path: Path, browser: Any) -> None:
    """Telegram's tags are drawn; anything else in a message is text, never markup."""
    async with running_playground(tmp_path / "playground") as url:
        page = await browser.new_page()
        await page.goto(url)
        shown = await page.evaluate(
            """() => {
                const into = document.createElement('div');
                renderText('<b>tebal</b> <img src=x onerror="window.hit=1">'
                    + '<script>window.hit=2</script><a href="javascript:alert(1)">x</a>'
                    + '<a href="https://example.org">y</a>', true, into);
                return into.innerHTML;
            }"""
        )
        assert shown.startswith("<b>tebal</b> ")
        assert "<img" not in shown and "<script" not in shown and "javascript:" not in shown
        assert 'href="https://example.org"' in shown
        assert await page.evaluate("() => window.hit") is None
        sent = await page.evaluate(
            """() => {
                const into = document.createElement('div');
                const sent = [];
                renderText('Ketik /lapor, bukan https://example.org/lapor atau <code>/x</code>',
                    true, into, (command) => sent.push(command));
                into.querySelectorAll('a.command').forEach((link) => link.click());
                return sent;
            }"""
        )
        assert sent == ["/lapor"], "a command in the bot's text is pressed as in Telegram"
        await page.close()


async def _playground_process(cwd: Path, port: int) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PORT": str(port),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.slow
async def test_the_command_serves_the_page_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = await _playground_process(tmp_path, port)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=90)
        assert f"http://127.0.0.1:{port}" in line.decode(), line
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/") as response:
                assert response.status == 200
                assert "Lapor Netral" in await response.text()
            async with client.get(f"http://127.0.0.1:{port}/static/playground.js") as response:
                assert response.status == 200
        assert (tmp_path / "data" / "playground" / "lapor.db").is_file(), "its own data"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0


@pytest.mark.slow
@pytest.mark.parametrize("trouble", ["port in use", "data is a file"])
async def test_a_bad_start_is_one_line_and_status_2(tmp_path: Path, trouble: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        if trouble == "port in use":
            taken.listen()
        else:
            taken.close()
            (tmp_path / "data").write_text("not a directory")
        process = await _playground_process(tmp_path, port)
        _, error = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    lines = error.decode().strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    if trouble == "port in use":
        assert f"127.0.0.1:{port}" in lines[0] and "PORT" in lines[0]
    else:
        assert "data/playground" in lines[0] and "write to" in lines[0]
