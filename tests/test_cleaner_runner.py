"""The child-process runner that PDF and video cleaners run in, driven with a real child
that crashes, hangs, spins, hoards memory or floods its output: every failure is one
refused file, quickly, and no process is left behind."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bot.services.cleaning.runner import ChildLimits, CleanerRunner
from bot.services.evidence import EvidenceRejected

CHILD = "tests.helpers.misbehaving_cleaner"


def _children() -> list[int]:
    """Processes whose parent is this test process."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.append(int(status.parent.name))
    return found


async def _refused(runner: CleanerRunner, *arguments: str, data: bytes = b"file") -> float:
    started = time.monotonic()
    with pytest.raises(EvidenceRejected) as refused:
        await runner.clean(CHILD, data, *arguments)
    assert refused.value.reason == "cannot_clean"
    assert _children() == [], "the child is gone"
    return time.monotonic() - started


async def test_the_bytes_go_through_and_come_back() -> None:
    data = os.urandom(20 * 1024 * 1024)  # the largest download: pipes both ways at once
    assert await CleanerRunner().clean(CHILD, data, "echo") == data


async def test_the_child_gets_none_of_the_bots_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:SECRET")
    monkeypatch.setenv("DATABASE_URL", "postgresql://lapor:password@db/lapor")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    seen = json.loads(await CleanerRunner().clean(CHILD, b"", "environment"))
    assert not {"BOT_TOKEN", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} & set(seen)


async def test_a_refusal_is_refused() -> None:
    await _refused(CleanerRunner(), "refuse")


async def test_a_crash_is_refused() -> None:
    await _refused(CleanerRunner(), "crash")


async def test_a_hang_is_cut_off_at_the_deadline() -> None:
    runner = CleanerRunner(ChildLimits(wall_seconds=1.0))
    assert await _refused(runner, "hang") < 5


async def test_a_busy_loop_is_stopped_by_the_cpu_limit() -> None:
    runner = CleanerRunner(ChildLimits(cpu_seconds=1, wall_seconds=60))
    assert await _refused(runner, "spin") < 10


async def test_hoarding_memory_is_stopped_by_the_memory_limit() -> None:
    runner = CleanerRunner(ChildLimits(memory_bytes=512 * 1024 * 1024))
    await _refused(runner, "hog")


async def test_a_flood_of_output_is_cut_off() -> None:
    runner = CleanerRunner(ChildLimits(output_bytes=4 * 1024 * 1024))
    await _refused(runner, "flood")


async def test_the_child_cannot_write_files(tmp_path: Path) -> None:
    await _refused(CleanerRunner(), "write_file", str(tmp_path))
    assert not (tmp_path / "leak.bin").exists() or (tmp_path / "leak.bin").stat().st_size == 0
