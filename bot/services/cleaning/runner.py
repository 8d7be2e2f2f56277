"""Running a cleaner in a child process: the reporter's bytes on its stdin, the cleaned
bytes from its stdout, within limits of memory, CPU time, wall time and output size.
Whatever goes wrong in the child (a refusal, a crash, a hang, a flood of output) is one
refused file: EvidenceRejected("cannot_clean").

The child gets a minimal environment: it parses attacker-chosen bytes, so it is not handed
the bot token, database password or storage keys that the bot's environment holds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from dataclasses import dataclass

from bot.services.cleaning.child import EXIT_CANNOT_CLEAN, limit_arguments
from bot.services.evidence import MAX_DOWNLOAD_BYTES, EvidenceRejected

log = logging.getLogger(__name__)

_INHERITED = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TMPDIR", "LD_LIBRARY_PATH")
_CHUNK = 64 * 1024
_STDERR_KEPT = 2048


@dataclass(frozen=True)
class ChildLimits:
    # Address space, measured by the smallest limit that passes: a 20 MB video remuxes in
    # 192 MB, a 20 MB PDF of photos cleans in 128 MB, a 3 MB PDF of 300,000 objects in
    # 384 MB. A gigabyte leaves room for odd but honest files and stops a bomb.
    memory_bytes: int = 1024 * 1024 * 1024
    # A 20 MB video or photo PDF takes 0.2-0.3 s, child start-up included; the 300,000
    # object PDF took 6 s. Past these a file is hostile or hopeless.
    cpu_seconds: int = 20
    wall_seconds: float = 30.0
    # A remuxed video or a rewritten PDF is about the size it was; twice the largest
    # download leaves room, and stops a runaway child from filling our memory.
    output_bytes: int = 2 * MAX_DOWNLOAD_BYTES


class _TooMuchOutput(Exception):
    pass


class CleanerRunner:
    def __init__(self, limits: ChildLimits | None = None, concurrency: int | None = None) -> None:
        self.limits = limits or ChildLimits()
        # One child per core at most: an album of ten videos queues instead of starting
        # ten processes of up to the memory limit each at once.
        self._slots = asyncio.Semaphore(concurrency or os.cpu_count() or 1)

    async def clean(self, module: str, data: bytes, *arguments: str) -> bytes:
        """The cleaned bytes, or EvidenceRejected("cannot_clean")."""
        async with self._slots:
            return await self._run(module, data, arguments)

    async def _run(self, module: str, data: bytes, arguments: tuple[str, ...]) -> bytes:
        limits = self.limits
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-B",  # no bytecode files: the child may not write any (RLIMIT_FSIZE 0)
            "-m",
            module,
            *limit_arguments(limits.memory_bytes, limits.cpu_seconds),
            *arguments,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={name: os.environ[name] for name in _INHERITED if name in os.environ},
            start_new_session=True,  # a Ctrl-C meant for the bot is not the child's
        )
        try:
            async with asyncio.timeout(limits.wall_seconds):
                output, errors = await _exchange(process, data, limits.output_bytes)
        except TimeoutError:
            log.warning("cleaner timed out", extra={"cleaner": module})
            raise EvidenceRejected("cannot_clean") from None
        except _TooMuchOutput:
            log.warning("cleaner wrote too much", extra={"cleaner": module})
            raise EvidenceRejected("cannot_clean") from None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                # Reaped even when the handler is being cancelled: no zombie is left.
                await asyncio.shield(_reap(process))
        if process.returncode != 0 or not output:
            last_words = errors.decode(errors="replace").strip().splitlines() or [""]
            log.warning(
                "cleaner refused the file"
                if process.returncode == EXIT_CANNOT_CLEAN
                else "cleaner failed",
                extra={
                    "cleaner": module,
                    "returncode": process.returncode,
                    # The child's last line (its reason, or a Python exception), cut short:
                    # an exception message may quote the file.
                    "detail": last_words[-1][:120],
                },
            )
            raise EvidenceRejected("cannot_clean")
        return output


async def _exchange(
    process: asyncio.subprocess.Process, data: bytes, output_limit: int
) -> tuple[bytes, bytes]:
    assert process.stdin and process.stdout and process.stderr
    feeding = asyncio.create_task(_feed(process.stdin, data))
    errors = asyncio.create_task(_tail(process.stderr))
    try:
        output = await _read_at_most(process.stdout, output_limit)
        await process.wait()
        return output, await errors
    finally:
        feeding.cancel()
        errors.cancel()
        # Until the stderr reader has stopped, nothing else may read that pipe (_reap).
        await asyncio.wait([feeding, errors])


async def _reap(process: asyncio.subprocess.Process) -> None:
    """Wait for a killed child. asyncio's wait() returns only once the child's pipes have
    reached end of file too, and a pipe we stopped reading (a flood of output, a timeout)
    is paused with its buffer full and never would: what is left in them is read and
    dropped meanwhile."""
    draining = [
        asyncio.create_task(_discard(stream))
        for stream in (process.stdout, process.stderr)
        if stream is not None
    ]
    try:
        await process.wait()
    finally:
        for task in draining:
            task.cancel()
        if draining:  # stopped before the pipes are left to be closed, as in _exchange
            await asyncio.wait(draining)


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.read(_CHUNK):
        pass


async def _feed(stdin: asyncio.StreamWriter, data: bytes) -> None:
    # A child that dies or refuses early stops reading: that is its answer, not an error.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(data)
        await stdin.drain()
        stdin.close()
        await stdin.wait_closed()


async def _read_at_most(stream: asyncio.StreamReader, limit: int) -> bytes:
    received = bytearray()
    while chunk := await stream.read(_CHUNK):
        if len(received) + len(chunk) > limit:
            raise _TooMuchOutput
        received += chunk
    return bytes(received)


async def _tail(stream: asyncio.StreamReader) -> bytes:
    kept = b""
    while chunk := await stream.read(_CHUNK):
        kept = (kept + chunk)[-_STDERR_KEPT:]
    return kept
