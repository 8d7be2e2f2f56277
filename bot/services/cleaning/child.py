"""The child's side of a cleaner: limits first, then the untrusted bytes from stdin, the
cleaned bytes to stdout. A file the cleaner judges uncleanable exits with
EXIT_CANNOT_CLEAN and one word on stderr; anything else non-zero is a crash.

The limits are set here, by the child itself before it reads a byte of the file, rather
than by the parent through `preexec_fn`: the bot has threads (aiosqlite, Pillow workers),
and Python documents `preexec_fn` as unsafe in a process with threads."""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_CANNOT_CLEAN = 3


class CannotClean(Exception):
    """The file is not broken in a way that crashes us, but cannot be made safe."""


def limit_arguments(memory_bytes: int, cpu_seconds: int) -> list[str]:
    """What the runner puts on a cleaner's command line for `serve` to apply."""
    return [str(memory_bytes), str(cpu_seconds)]


def serve(clean: Callable[[bytes, list[str]], bytes]) -> NoReturn:
    memory_bytes, cpu_seconds, *arguments = sys.argv[1:]
    _limit(resource.RLIMIT_AS, int(memory_bytes))
    # Past the soft limit the kernel sends SIGXCPU, which ends the process.
    _limit(resource.RLIMIT_CPU, int(cpu_seconds), int(cpu_seconds) + 1)
    # The cleaners work in memory: a parser writing files is a parser gone wrong.
    _limit(resource.RLIMIT_FSIZE, 0)
    _limit(resource.RLIMIT_CORE, 0)
    data = sys.stdin.buffer.read()
    try:
        cleaned = clean(data, arguments)
    except CannotClean as refused:
        sys.stderr.write(f"{refused}\n")
        sys.exit(EXIT_CANNOT_CLEAN)
    sys.stdout.buffer.write(cleaned)
    sys.stdout.buffer.flush()
    sys.exit(0)


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    _current_soft, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        # An operator's own lower limit stands: a limit can be lowered, never raised.
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))
