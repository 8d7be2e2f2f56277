"""Evidence files, stored under their SHA-256 so the same file is kept once."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol


class EvidenceStoreUnavailable(Exception):
    """The store cannot be written (disk full, read-only, permissions)."""


class EvidenceStore(Protocol):
    async def put(self, data: bytes, *, sha256: str, suffix: str) -> str: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...


class LocalEvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @staticmethod
    def key_for(sha256: str, suffix: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"

    async def put(self, data: bytes, *, sha256: str, suffix: str) -> str:
        key = self.key_for(sha256, suffix)
        await asyncio.to_thread(self._write, self.root / key, data)
        return key

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread((self.root / key).read_bytes)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread((self.root / key).is_file)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.is_file():
            return  # content-addressed: the same name always holds the same bytes
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename, so a reader never sees half a file.
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise EvidenceStoreUnavailable(str(error)) from error
