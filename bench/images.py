"""Photo-like test pictures for the evidence benchmark: 12 megapixels, the EXIF a phone
writes (camera, capture time, GPS, orientation), texture that compresses like a photo
(flat colours or pure noise would make JPEG look faster or slower than it is)."""

from __future__ import annotations

import random
from io import BytesIO

from PIL import Image, ImageDraw, ImageFilter

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_photo(seed: int, width: int = 4000, height: int = 3000, orientation: int = 1) -> bytes:
    chance = random.Random(seed)
    gradient = Image.linear_gradient("L").resize((width, height))
    tint = [chance.randrange(40, 200) for _ in range(3)]
    image = Image.merge(
        "RGB", [gradient.point(lambda v, t=t: (v * 3 // 4 + t) % 256) for t in tint]
    )
    draw = ImageDraw.Draw(image)
    for _ in range(40):  # people, banners, furniture: edges JPEG has to spend bits on
        x, y = chance.randrange(width), chance.randrange(height)
        w, h = (
            chance.randrange(width // 20, width // 4),
            chance.randrange(height // 20, height // 4),
        )
        colour = tuple(chance.randrange(256) for _ in range(3))
        if chance.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
        else:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
    # Sensor noise and a little blur: the grain every phone photo has.
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    exif[0x0110] = "Galaxy A14"
    exif[ORIENTATION] = orientation
    exif.get_ifd(EXIF_IFD)[36867] = "2026:11:20 09:15:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "S", (6.0, 54.0, 52.0), "E", (107.0, 36.0, 36.0)
    output = BytesIO()
    image.save(output, format="JPEG", quality=90, exif=exif.tobytes())
    return output.getvalue()
