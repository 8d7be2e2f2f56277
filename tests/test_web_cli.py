"""`python -m bot web` as an operator runs it: no token needed, it migrates the database and
serves the site on PORT; a port already taken is one line and exit status 2."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.helpers.web import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'lapor.db'}",
    }


@pytest.mark.timeout(180)
async def test_web_serves_the_site_without_a_token(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "web",
        cwd=tmp_path,
        env=_environment(tmp_path, port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(900):  # a busy machine: the migration child, then the imports
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as response:
                        assert response.status == 200
                        assert "Laporan pelanggaran netralitas ASN" in await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("the site never answered")
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
    assert process.returncode == 0


async def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "web",
            cwd=tmp_path,
            env=_environment(tmp_path, port),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    lines = [line for line in stderr.decode().splitlines() if not line.startswith("{")]
    assert lines == [
        f"Port {port} is already in use: stop what is listening there, or set PORT to a free one."
    ]
