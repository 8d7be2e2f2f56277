"""Files that are not plain pictures, sent as documents by a reporter through the fake Bot
API: a PDF naming its author, an Android MP4 and an iPhone MOV that know where they were
shot, a dashcam MP4 with its GPS fix inside the video stream, a HEIC photo with GPS. What
is stored, and what an officer receives with /case, carries none of it and still opens."""

from __future__ import annotations

import hashlib
from io import BytesIO
from typing import Any

import av
import pikepdf
import pytest
from PIL import Image
from sqlmodel import select

from bot.app import Application
from bot.services.cleaning.pdf import clean_pdf
from bot.services.cleaning.video import clean_video
from storage.models import Evidence
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers import documentgen, imagegen, videogen
from tests.helpers.dialog import press, reply, say, submit
from tests.helpers.reports import fill_report_until_evidence
from tests.helpers.staff import ADMIN, OFFICER

# The reporter's name as it would be found: whole, in the file name, or either half.
REPORTER_SECRETS = [b"Wulan", b"Sekartaji", "Sekartaji".encode("utf-16-be")]

# What the reporter's files say about them, as the bytes that must not reach anyone.
PDF_SECRETS = [
    documentgen.AUTHOR.encode(),
    documentgen.CREATOR.encode(),
    documentgen.PRODUCER.encode(),
    b"Bukti untuk Bawaslu",  # the /Title
    b"x:xmpmeta",
    b"KameraMerk",  # the embedded photo's EXIF make
    b"Exif\x00\x00",
    b"secret comment",  # the embedded photo's JPEG comment
]
ANDROID_SECRETS = [
    videogen.ANDROID_LOCATION,
    b"\xa9xyz",
    b"KameraMerk",  # the manufacturer key, and the handler name
    b"Model X1",
    b"com.android",
    b"Lavf",
    b"x264 - core",  # the encoder's name and settings, an SEI message in the stream
]
IPHONE_SECRETS = [
    videogen.APPLE_LOCATION.encode(),
    b"ISO6709",
    b"iPhone 15 Pro milik Sari",
    b"com.apple.quicktime",
    b"2026-11-20T09:15:00",
    b"KameraMerk",
    b"Lavf",
    b"x264 - core",
]
DASHCAM_SECRETS = [videogen.DASHCAM_GPS, b"x264 - core"]
HEIC_SECRETS = [b"KameraMerk", b"Model X1", b"Exif"]


def _present(data: bytes, secrets: list[bytes]) -> list[bytes]:
    return [secret for secret in secrets if secret in data]


async def test_pdf_video_and_heic_reach_the_store_and_the_officer_clean(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    sent = {
        "bukti.pdf": (documentgen.pdf_with_author_xmp_and_photo(), "application/pdf"),
        "VID_20261120_091500.mp4": (videogen.android_mp4(), "video/mp4"),
        "IMG_0042.MOV": (videogen.iphone_mov(), "video/quicktime"),
        "DASHCAM_0001.MP4": (videogen.dashcam_mp4(), "video/mp4"),
        "IMG_0043.HEIC": (imagegen.heic_with_exif_gps(800, 600, orientation=6), "image/heic"),
    }
    secrets = {
        "bukti.pdf": PDF_SECRETS,
        "VID_20261120_091500.mp4": ANDROID_SECRETS,
        "IMG_0042.MOV": IPHONE_SECRETS,
        "DASHCAM_0001.MP4": DASHCAM_SECRETS,
        "IMG_0043.HEIC": HEIC_SECRETS,
    }
    for name, (content, _mime) in sent.items():
        assert _present(content, secrets[name]) == secrets[name], f"{name} carries them all"

    question = await fill_report_until_evidence(citizen)
    assert "lokasi dan perangkat" in question["text"], "the reporter is told before sending"
    for number, (name, (content, mime)) in enumerate(sent.items(), start=1):
        await citizen.send_document(content, name, mime)
        received = await reply(citizen, f"{number} dari maksimal")
    summary = await press(citizen, received, "Selesai", "Ringkasan")
    _confirmation, code = await submit(citizen, summary)

    async with desk_app.sessions() as session:
        rows = (await session.exec(select(Evidence).order_by(Evidence.id))).all()
    stored = {
        name: (row, (desk_app.settings.evidence_dir / row.storage_key).read_bytes())
        for name, row in zip(sent, rows, strict=True)
    }
    for name, (row, data) in stored.items():
        assert _present(data, secrets[name]) == [], name
        assert row.original_sha256 == hashlib.sha256(sent[name][0]).hexdigest()
        assert row.sha256 == hashlib.sha256(data).hexdigest() != row.original_sha256

    pdf_row, pdf = stored["bukti.pdf"]
    assert (pdf_row.kind, pdf_row.mime) == ("pdf", "application/pdf")
    _assert_clean_pdf(pdf)
    videos = {"VID_20261120_091500.mp4": "mp4", "IMG_0042.MOV": "mov", "DASHCAM_0001.MP4": "mp4"}
    for name, container in videos.items():
        row, video = stored[name]
        assert row.kind == "video" and row.mime == sent[name][1]
        _assert_plays(video, container)
    heic_row, photo = stored["IMG_0043.HEIC"]
    assert (heic_row.kind, heic_row.mime) == ("image", "image/jpeg")
    assert heic_row.captured_at is not None and heic_row.captured_at.isoformat() == (
        "2026-11-20T09:15:00"
    )
    picture = Image.open(BytesIO(photo))
    assert picture.format == "JPEG" and not picture.getexif()
    assert picture.size == (600, 800), "turned upright as the phone recorded it"

    officer = FakeUser(telegram, user_id=OFFICER, first_name="Petugas")
    admin = FakeUser(telegram, user_id=ADMIN, first_name="Admin")
    await say(admin, f"/staff add {OFFICER} officer", str(OFFICER))
    await say(officer, f"/case {code}", code)
    received_files = [await _next_upload(telegram) for _ in sent]
    assert sorted(received_files) == sorted(data for _row, data in stored.values())


async def _next_upload(telegram: FakeTelegram) -> bytes:
    output = await telegram.wait_output(OFFICER, predicate=lambda item: "_upload" in item)
    upload: bytes = output["_upload"]
    return upload


def _assert_clean_pdf(data: bytes) -> None:
    with pikepdf.open(BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        assert "/PieceInfo" not in pdf.pages[0].obj
        (image,) = pdf.pages[0].get_images().values()
        photo = pikepdf.PdfImage(image).as_pil_image()
    assert photo.size == (400, 300) and not photo.getexif()


def _assert_plays(data: bytes, container: str) -> None:
    with av.open(BytesIO(data), format=container) as clip:
        assert set(clip.metadata) <= {"major_brand", "minor_version", "compatible_brands"}
        assert [stream.type for stream in clip.streams] == ["video", "audio"]
        assert all(not _personal(stream.metadata) for stream in clip.streams)
        frames = sum(1 for _frame in clip.decode(video=0))
    assert frames == 12, "every frame is still there"


def _personal(metadata: dict[str, Any]) -> dict[str, Any]:
    """Stream tags other than the generic ones every muxer writes."""
    generic = {"language", "handler_name", "vendor_id"}
    found = {key: value for key, value in metadata.items() if key not in generic}
    if metadata.get("handler_name") not in (None, "VideoHandler", "SoundHandler"):
        found["handler_name"] = metadata["handler_name"]
    return found


def test_attached_files_scripts_and_form_values_leave_the_pdf_its_page_stays() -> None:
    original = documentgen.pdf_with_attachments_and_form()
    assert _present(_everything_readable(original), REPORTER_SECRETS)[:2] == [
        b"Wulan",
        b"Sekartaji",
    ], "the fixture hides the name where the test looks"
    with pikepdf.open(BytesIO(original)) as pdf:
        (attached,) = pdf.attachments.values()
        photo = Image.open(BytesIO(attached.get_file().read_bytes()))
        assert photo.getexif()[0x013B] == documentgen.REPORTER, "a real EXIF Artist"

    cleaned = clean_pdf(original)

    assert _present(cleaned, REPORTER_SECRETS) == []
    assert _present(_everything_readable(cleaned), REPORTER_SECRETS) == []
    with pikepdf.open(BytesIO(cleaned)) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert page.Contents.read_bytes() == documentgen.PAGE_CONTENT
        assert list(page.MediaBox) == [0, 0, 400, 200] and "/F1" in page.Resources.Font
        assert len(pdf.attachments) == 0
        assert "/OpenAction" not in pdf.Root or "/JS" not in pdf.Root.OpenAction
        subtypes = [str(annotation.Subtype) for annotation in page.Annots]
        assert subtypes == ["/Widget", "/Widget", "/Popup"], "the attachment annotation is gone"
        thread = pdf.Root.Threads[0]
        assert thread.F.T.objgen == thread.objgen, "the thread and its beads stay"
        form = pdf.Root.AcroForm
        assert "/XFA" not in form
        for field in [*form.Fields, *page.Annots]:
            assert not {"/V", "/DV", "/AP"} & set(field.keys()), "the empty form stays"
        for item in pdf.objects:
            if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
                assert "/AF" not in item and "/EF" not in item
                assert item.get("/Type") != "/EmbeddedFile"


def test_links_stay_when_attachments_go() -> None:
    with pikepdf.open(BytesIO(documentgen.pdf_with_author_xmp_and_photo())) as pdf:
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 0, 50, 50],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://kpu.go.id")),
        )
        pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(link)])
        output = BytesIO()
        pdf.save(output)

    with pikepdf.open(BytesIO(clean_pdf(output.getvalue()))) as pdf:
        (kept,) = pdf.pages[0].Annots
        assert kept.A.URI == "https://kpu.go.id"


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_an_hevc_video_loses_the_sei_in_its_header_and_keeps_every_picture(
    container: str,
) -> None:
    # x265 writes its name, version and settings as an SEI message in the stream's
    # header (the hvcC record in MP4, CodecPrivate in Matroska), not only in a packet.
    original = videogen.encoded("matroska" if container == "mkv" else "mp4", codec="libx265")
    assert b"x265 (build" in original

    cleaned = clean_video(original, container)

    assert b"x265" not in cleaned
    assert _pictures(cleaned) == _pictures(original), "the same pictures, bit for bit"


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_an_av1_video_is_cleaned_not_refused(container: str) -> None:
    # AV1 is decoded by libdav1d, a name no encoder has: the copy of its parameters was
    # once looked up as an encoder, and every AV1 clip was refused as unreadable.
    original = videogen.encoded(
        "matroska" if container == "mkv" else "mp4",
        codec="libsvtav1",
        metadata={"title": "Rekaman KameraMerk"},
    )

    cleaned = clean_video(original, container)

    assert b"KameraMerk" in original and b"KameraMerk" not in cleaned
    assert _pictures(cleaned) == _pictures(original), "the same pictures, bit for bit"


def _pictures(video: bytes) -> list[bytes]:
    with av.open(BytesIO(video)) as clip:
        return [frame.to_image().tobytes() for frame in clip.decode(video=0)]


def _everything_readable(data: bytes) -> bytes:
    """The file's bytes, then every object as qpdf writes it and every stream decoded: a
    name in an object stream or behind Flate is found too."""
    parts = [data]
    with pikepdf.open(BytesIO(data)) as pdf:
        for item in pdf.objects:
            if isinstance(item, pikepdf.Stream):
                parts += [item.stream_dict.unparse(resolved=True), item.read_bytes()]
            else:
                parts.append(item.unparse(resolved=True))
    return b"\n".join(parts)
