"""Evidence processing on real files made with Pillow, and the content-addressed store."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from bot.services.cleaning.jpeg_segments import strip_jpeg_metadata
from bot.services.evidence import EvidenceRejected, check_declared_size
from bot.services.images import process_image
from storage.evidence_store import EvidenceStoreUnavailable, LocalEvidenceStore
from tests.helpers import imagegen


def test_jpeg_is_stripped_of_exif_gps_and_comments_but_keeps_capture_time() -> None:
    original = imagegen.jpeg_with_exif_gps()
    assert b"secret comment" in original and b"KameraMerk" in original
    result = process_image(original)
    assert result.kind == "image" and result.mime == "image/jpeg"
    assert not Image.open(BytesIO(result.data)).getexif()
    for marker in (b"secret comment", b"KameraMerk", b"Exif"):
        assert marker not in result.data
    assert (
        result.captured_at is not None and result.captured_at.isoformat() == "2026-11-20T09:15:00"
    )
    assert result.original_sha256 == hashlib.sha256(original).hexdigest()
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()


def test_orientation_is_applied_before_the_tag_is_dropped() -> None:
    rotated = process_image(imagegen.jpeg_with_exif_gps(800, 600, orientation=6))
    assert (rotated.width, rotated.height) == (600, 800)


def test_thumbnail_is_small_jpeg() -> None:
    result = process_image(imagegen.plain_jpeg(2000, 1000))
    assert result.thumbnail is not None
    thumbnail = Image.open(BytesIO(result.thumbnail))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 320


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (imagegen.png_bomb, "image_too_big"),
        (imagegen.tall_image, "bad_dimensions"),
        (imagegen.truncated_jpeg, "corrupt_image"),
        (imagegen.fake_jpeg, "unsupported_type"),
        (imagegen.animated_webp, "animated"),
        (lambda: b"", "empty"),
    ],
)
def test_unacceptable_files_are_refused_with_a_reason(make, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EvidenceRejected) as refused:
        process_image(make())
    assert refused.value.reason == reason


@pytest.mark.parametrize("make", [imagegen.heic_with_exif_gps, imagegen.avif_with_exif_gps])
def test_phone_formats_take_the_photo_path(make) -> None:  # type: ignore[no-untyped-def]
    original = make(800, 600, orientation=6)
    assert b"KameraMerk" in original and b"Exif" in original
    result = process_image(original)
    assert (result.kind, result.mime) == ("image", "image/jpeg")
    assert (result.width, result.height) == (600, 800), "turned upright"
    for marker in (b"KameraMerk", b"Model X1", b"Exif"):
        assert marker not in result.data
    assert not Image.open(BytesIO(result.data)).getexif()
    assert result.captured_at is not None and result.captured_at.isoformat() == (
        "2026-11-20T09:15:00"
    )
    assert result.thumbnail is not None and result.phash is not None


def test_a_truncated_heic_is_a_corrupt_image() -> None:
    data = imagegen.heic_with_exif_gps()
    with pytest.raises(EvidenceRejected) as refused:
        process_image(data[: len(data) // 2])
    assert refused.value.reason == "corrupt_image"


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_metadata_segments_are_dropped_and_the_pixels_kept(progressive: bool) -> None:
    source = Image.open(BytesIO(imagegen.jpeg_with_exif_gps(320, 240)))
    output = BytesIO()
    source.save(
        output,
        format="JPEG",
        progressive=progressive,
        exif=source.getexif().tobytes(),
        comment=b"secret comment",
        xmp=b"<x:xmpmeta>Sari</x:xmpmeta>",
    )
    original = output.getvalue() + b"trailing data from the phone"
    stripped = strip_jpeg_metadata(original)
    for marker in (b"Exif", b"KameraMerk", b"secret comment", b"xmpmeta", b"trailing"):
        assert marker not in stripped, marker
    assert stripped.startswith(b"\xff\xd8\xff\xe0") and b"JFIF" in stripped
    decoded = Image.open(BytesIO(stripped))
    assert decoded.tobytes() == Image.open(BytesIO(original)).tobytes()


def test_declared_size_over_the_bot_api_limit() -> None:
    check_declared_size(20 * 1024 * 1024)
    with pytest.raises(EvidenceRejected):
        check_declared_size(20 * 1024 * 1024 + 1)


def test_perceptual_hash_survives_reencoding_and_tells_pictures_apart() -> None:
    first = imagegen.plain_jpeg(color=(200, 30, 30))
    image = Image.open(BytesIO(first))
    again = BytesIO()
    image.resize((320, 240)).save(again, format="JPEG", quality=40)
    same = process_image(first).phash
    resized = process_image(again.getvalue()).phash
    different = process_image(imagegen.jpeg_with_exif_gps()).phash

    def distance(a: str | None, b: str | None) -> int:
        return bin(int(a or "0", 16) ^ int(b or "0", 16)).count("1")

    assert distance(same, resized) <= 4
    assert distance(same, different) > 10


async def test_store_round_trip_is_idempotent_and_atomic(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    data = b"evidence bytes"
    digest = hashlib.sha256(data).hexdigest()
    key = await store.put(data, sha256=digest, suffix=".pdf")
    assert key == f"{digest[:2]}/{digest[2:4]}/{digest}.pdf"
    assert await store.put(data, sha256=digest, suffix=".pdf") == key
    assert await store.get(key) == data and await store.exists(key)
    leftovers = [p for p in (tmp_path / "evidence").rglob("*") if p.name.startswith(".incoming")]
    assert leftovers == []


async def test_unwritable_store_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the evidence directory should be")
    store = LocalEvidenceStore(blocker)
    with pytest.raises(EvidenceStoreUnavailable):
        await store.put(b"x", sha256="ab" * 32, suffix=".jpg")


def test_icc_profile_xmp_and_comment_are_not_kept() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>Lokasi rumah pelapor</rdf:RDF></x:xmpmeta>'
    source = BytesIO()
    Image.open(BytesIO(imagegen.plain_jpeg())).save(
        source, format="JPEG", icc_profile=icc, xmp=xmp, comment=b"dibuat oleh pelapor"
    )
    assert b"Lokasi rumah pelapor" in source.getvalue()
    stored = process_image(source.getvalue()).data
    for marker in (b"ICC_PROFILE", b"Lokasi rumah pelapor", b"dibuat oleh pelapor", b"Exif"):
        assert marker not in stored, marker
    assert Image.open(BytesIO(stored)).info.get("icc_profile") is None
