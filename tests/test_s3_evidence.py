"""The S3 evidence backend over HTTP against a local S3-compatible server (moto's
standalone server stands in for real object storage, which cannot be installed here)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer

from bot.config import Settings
from storage.evidence_store import EvidenceStoreUnavailable, S3EvidenceStore
from tests.fakebot import FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import press, reply
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.reports import fill_report_until_evidence

BUCKET = "lapor-evidence"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
async def bucket(s3_endpoint: str) -> AsyncIterator[str]:
    async with get_session().create_client("s3", endpoint_url=s3_endpoint) as client:
        await client.create_bucket(Bucket=BUCKET)
    yield BUCKET


async def test_put_get_and_idempotence(s3_endpoint: str, bucket: str) -> None:
    store = S3EvidenceStore(f"s3://{bucket}/cases", s3_endpoint)
    await store.open()
    try:
        data = b"%PDF-1.4 evidence"
        digest = hashlib.sha256(data).hexdigest()
        key = await store.put(data, sha256=digest, suffix=".pdf")
        assert await store.put(data, sha256=digest, suffix=".pdf") == key
        assert await store.get(key) == data
        assert await store.exists(key) and not await store.exists("ab/cd/missing.pdf")
        async with get_session().create_client("s3", endpoint_url=s3_endpoint) as client:
            listed = await client.list_objects_v2(Bucket=bucket)
        assert f"cases/{key}" in [item["Key"] for item in listed["Contents"]]
    finally:
        await store.close()


async def test_a_missing_bucket_is_reported_as_unavailable(s3_endpoint: str) -> None:
    store = S3EvidenceStore("s3://no-such-bucket", s3_endpoint)
    await store.open()
    try:
        with pytest.raises(EvidenceStoreUnavailable):
            await store.put(b"x", sha256="ab" * 32, suffix=".jpg")
    finally:
        await store.close()


async def test_report_evidence_lands_in_object_storage(
    s3_endpoint: str, bucket: str, settings_factory: Callable[..., Settings], citizen: FakeUser
) -> None:
    settings = settings_factory(evidence_url=f"s3://{bucket}/evidence", s3_endpoint_url=s3_endpoint)
    async with running_bot(settings):
        question = await fill_report_until_evidence(citizen)
        await citizen.send_photo(plain_jpeg())
        question = await reply(citizen, "1")
        summary = await press(citizen, question, "Selesai", "Ringkasan")
        await press(citizen, summary, "Kirim laporan", "ASN-")
    async with get_session().create_client("s3", endpoint_url=s3_endpoint) as client:
        listed = await client.list_objects_v2(Bucket=bucket)
    # moto keeps one in-process state for all tests: look only under this test's prefix.
    keys = [
        item["Key"] for item in listed.get("Contents", []) if item["Key"].startswith("evidence/")
    ]
    assert len(keys) == 2  # the photo and its thumbnail
    assert not settings.evidence_dir.exists(), "nothing was written to the local directory"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("evidence_url", "credentials", "said"),
    [
        ("s3://no-such-bucket/cases", True, "bucket no-such-bucket: no such bucket"),
        # Kept in .env, where the S3 library does not look: the same as none at all.
        (f"s3://{BUCKET}/cases", False, "Unable to locate credentials"),
    ],
)
async def test_an_evidence_store_the_bot_cannot_use_is_one_clear_line_at_start(
    s3_endpoint: str, bucket: str, tmp_path: Path, evidence_url: str, credentials: bool, said: str
) -> None:
    """Started anyway, the bot would refuse every photo sent to it."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    if not credentials:
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    env |= {
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "EVIDENCE_URL": evidence_url,
        "S3_ENDPOINT_URL": s3_endpoint,
    }
    for command in ("run", "check"):
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        output = result.stderr if command == "run" else result.stdout
        assert "Traceback" not in result.stderr
        assert said in output, output
        assert result.returncode == (2 if command == "run" else 1), result.stderr
        if command == "run":
            assert "bot started" not in result.stderr, "refused before it says it started"
