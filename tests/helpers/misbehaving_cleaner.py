"""A cleaner child that misbehaves on demand, as a parser fed a hostile file might: run by
test_cleaner_runner.py through the real runner, under the real limits."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from bot.services.cleaning.child import CannotClean, serve


def misbehave(data: bytes, arguments: list[str]) -> bytes:
    how = arguments[0]
    if how == "echo":
        return data
    if how == "environment":
        return json.dumps(sorted(os.environ)).encode()
    if how == "refuse":
        raise CannotClean("not today")
    if how == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if how == "hang":
        time.sleep(3600)
    if how == "spin":
        while True:
            pass
    if how == "hog":
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB
        return bytes(len(hoard))
    if how == "flood":
        while True:
            sys.stdout.buffer.write(b"x" * 1024 * 1024)
    if how == "write_file":
        with open(os.path.join(arguments[1], "leak.bin"), "wb") as leak:
            leak.write(data)
        return data
    raise AssertionError(how)


if __name__ == "__main__":
    serve(misbehave)
