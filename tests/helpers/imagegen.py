"""Real image and file fixtures, made with Pillow (and pillow-heif) at test time."""

from __future__ import annotations

import random
import struct
import zlib
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def plain_jpeg(
    width: int = 640, height: int = 480, color: tuple[int, int, int] = (90, 120, 150)
) -> bytes:
    """A photo-like picture: a smooth gradient and a shape placed according to `color`, so
    different colours give visibly (and perceptually) different pictures."""
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", [gradient.point(lambda v, c=c: (v + c) % 256) for c in color])
    draw = ImageDraw.Draw(image)
    x = (color[0] * 7 + color[2] * 3) % max(width - width // 3, 1)
    y = (color[1] * 5 + color[2]) % max(height - height // 3, 1)
    draw.ellipse((x, y, x + width // 3, y + height // 3), fill=(255 - color[0], 240, color[2]))
    output = BytesIO()
    image.save(output, format="JPEG", quality=90)
    return output.getvalue()


def scene_jpeg(seed: int, width: int = 1280, height: int = 960) -> bytes:
    """A picture with a photograph's structure: light and shade at several scales, shapes
    and a line of poster text, different for every `seed`. (plain_jpeg's smooth gradient
    has almost no left-to-right contrast, which a difference hash reads as noise.)"""
    chance = random.Random(seed)
    cells = chance.choice((20, 40, 80))
    size = (max(4, width // cells), max(4, height // cells))
    noise = Image.frombytes("L", size, chance.randbytes(size[0] * size[1]))
    image = noise.resize((width, height), Image.Resampling.BICUBIC).convert("RGB")
    tint = Image.new("RGB", (width, height), tuple(chance.randrange(256) for _ in range(3)))
    image = Image.blend(image, tint, 0.4)
    draw = ImageDraw.Draw(image)
    for _ in range(chance.randrange(3, 10)):
        x, y = chance.randrange(width), chance.randrange(height)
        box = (x, y, x + chance.randrange(60, width // 2), y + chance.randrange(60, height // 2))
        fill = tuple(chance.randrange(256) for _ in range(3))
        (draw.rectangle if chance.random() < 0.5 else draw.ellipse)(box, fill=fill)
    font = ImageFont.load_default(size=width // 18)
    draw.text((width // 10, height // 2), f"COBLOS NOMOR {seed % 10}", fill="white", font=font)
    output = BytesIO()
    image.save(output, format="JPEG", quality=90)
    return output.getvalue()


def resized_jpeg(data: bytes, scale: float, quality: int = 75) -> bytes:
    """The picture scaled and encoded again, as a messenger forwarding it would."""
    image = Image.open(BytesIO(data))
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    output = BytesIO()
    image.save(output, format="JPEG", quality=quality)
    return output.getvalue()


def cropped_jpeg(data: bytes, share: float, quality: int = 80) -> bytes:
    """The picture with `share` of its width and height cut from each side."""
    image = Image.open(BytesIO(data))
    dx, dy = int(image.width * share), int(image.height * share)
    output = BytesIO()
    image.crop((dx, dy, image.width - dx, image.height - dy)).save(
        output, format="JPEG", quality=quality
    )
    return output.getvalue()


def jpeg_with_exif_gps(
    width: int = 800, height: int = 600, orientation: int | None = None
) -> bytes:
    image = Image.new("RGB", (width, height), (180, 60, 60))
    for x in range(0, width, 10):
        image.putpixel((x, x % height), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "KameraMerk"  # Make
    exif[0x0110] = "Model X1"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(EXIF_IFD)[36867] = "2026:11:20 09:15:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "S"
    gps[2] = (6.0, 54.0, 52.0)
    gps[3] = "E"
    gps[4] = (107.0, 36.0, 36.0)
    output = BytesIO()
    image.save(output, format="JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return output.getvalue()


def png_bomb(side: int = 30_000) -> bytes:
    """A small PNG that declares side x side pixels (hand-written, never decoded here)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * side
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def tall_image() -> bytes:
    output = BytesIO()
    Image.new("L", (1, 100_000), 128).save(output, format="PNG")
    return output.getvalue()


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (64, 64), color) for color in ((255, 0, 0), (0, 255, 0))]
    output = BytesIO()
    frames[0].save(output, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    return output.getvalue()


def truncated_jpeg() -> bytes:
    data = plain_jpeg()
    return data[: len(data) // 2]


def fake_jpeg() -> bytes:
    return b"this is not an image at all, just text pretending\n" * 20


def pdf_with_javascript() -> bytes:
    """A one-page PDF that runs JavaScript when opened, written by hand (no cross-reference
    table: readers, and qpdf, rebuild it)."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [4 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /S /JavaScript /JS (app.alert('x')) >> endobj\n"
        b"4 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def heic_with_exif_gps(width: int = 800, height: int = 600, orientation: int = 6) -> bytes:
    """A HEIC as a phone saves it: HEVC-coded, EXIF with GPS, make and model and capture
    time, and the orientation written as HEIF's own rotation (as iPhones do)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()  # Pillow saves HEIF through pillow-heif's plugin
    image = Image.open(BytesIO(jpeg_with_exif_gps(width, height, orientation)))
    output = BytesIO()
    image.save(output, format="HEIF", quality=60, exif=image.getexif().tobytes())
    return output.getvalue()


def avif_with_exif_gps(width: int = 800, height: int = 600, orientation: int = 6) -> bytes:
    """An AVIF with the same EXIF (Pillow writes it where it was built with libavif)."""
    image = Image.open(BytesIO(jpeg_with_exif_gps(width, height, orientation)))
    output = BytesIO()
    image.save(output, format="AVIF", quality=60, exif=image.getexif().tobytes())
    return output.getvalue()
