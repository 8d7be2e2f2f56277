"""Evidence files, stored under their SHA-256 so the same file is kept once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse


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


# The key `check` writes, beside the evidence (whose keys are hashes: no clash).
CHECK_MARKER = "lapor-netral-check"


class S3EvidenceStore:
    """Evidence in S3-compatible object storage, reachable from every instance. Credentials,
    region and endpoint come from the usual AWS_* variables (or S3_ENDPOINT_URL)."""

    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError("EVIDENCE_URL must look like s3://bucket/prefix")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self._endpoint_url = endpoint_url
        self._exit_stack = contextlib.AsyncExitStack()
        self._client: Any = None

    async def open(self) -> None:
        from aiobotocore.session import get_session

        self._client = await self._exit_stack.enter_async_context(
            get_session().create_client("s3", endpoint_url=self._endpoint_url)
        )

    async def close(self) -> None:
        await self._exit_stack.aclose()

    async def check(self) -> None:
        """Evidence can be written here: a small marker is put under the prefix, as the bot
        will put evidence (a key may be allowed to write there and nothing more, so the
        bucket is not listed). EvidenceStoreUnavailable saying why otherwise."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await self._client.put_object(
                Bucket=self.bucket, Key=self._object(CHECK_MARKER), Body=b"lapor-netral"
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            said = {"NoSuchBucket": "no such bucket", "AccessDenied": "access denied"}.get(
                code, str(error)
            )
            raise EvidenceStoreUnavailable(f"bucket {self.bucket}: {said}") from error
        except BotoCoreError as error:
            raise EvidenceStoreUnavailable(str(error)) from error

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, data: bytes, *, sha256: str, suffix: str) -> str:
        # botocore is imported by S3 methods only: with evidence on local disk (the default)
        # a bot process has no use for it.
        from botocore.exceptions import BotoCoreError, ClientError

        key = LocalEvidenceStore.key_for(sha256, suffix)
        try:
            if not await self.exists(key):
                await self._client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)
        except (BotoCoreError, ClientError) as error:
            raise EvidenceStoreUnavailable(str(error)) from error
        return key

    async def get(self, key: str) -> bytes:
        response = await self._client.get_object(Bucket=self.bucket, Key=self._object(key))
        async with response["Body"] as body:
            return await body.read()

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await self._client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
