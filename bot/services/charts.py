"""The /stats chart, drawn with Pillow: three bar panels sized for a phone screen."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from bot.services.statistics import CaseStatistics

WIDTH, HEIGHT = 1200, 1560
MARGIN = 40
LABEL_WIDTH = 470
BAR_COLOUR = (33, 102, 172)
TREND_COLOUR = (214, 96, 77)
TEXT = (33, 33, 33)
GRID = (220, 220, 220)


@dataclass(frozen=True)
class ChartText:
    """Already-translated words for the chart."""

    title: str
    by_status: str
    by_category: str
    by_week: str
    status_labels: dict[str, str]
    category_labels: dict[str, str]
    generated: str


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ValueError, OSError):  # Pillow without FreeType: fixed-size bitmap font
        return ImageFont.load_default()


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _bars(
    draw: ImageDraw.ImageDraw, top: int, title: str, items: list[tuple[str, int]], row: int
) -> int:
    heading, label_font = _font(30), _font(22)
    draw.text((MARGIN, top), title, font=heading, fill=TEXT)
    top += 46
    largest = max((count for _label, count in items), default=0) or 1
    bar_area = WIDTH - 2 * MARGIN - LABEL_WIDTH - 80
    for index, (label, count) in enumerate(items):
        y = top + index * row
        draw.text(
            (MARGIN, y + 4),
            _fit(draw, label, label_font, LABEL_WIDTH - 16),
            font=label_font,
            fill=TEXT,
        )
        length = int(bar_area * count / largest)
        x0 = MARGIN + LABEL_WIDTH
        draw.rectangle((x0, y + 2, x0 + max(length, 2), y + row - 8), fill=BAR_COLOUR)
        draw.text((x0 + length + 10, y + 4), str(count), font=label_font, fill=TEXT)
    return top + len(items) * row + 30


def _trend(
    draw: ImageDraw.ImageDraw, top: int, title: str, weeks: list[tuple[object, int]]
) -> None:
    heading, small = _font(30), _font(18)
    draw.text((MARGIN, top), title, font=heading, fill=TEXT)
    top += 50
    bottom = HEIGHT - 90
    largest = max((count for _week, count in weeks), default=0) or 1
    slot = (WIDTH - 2 * MARGIN) / max(len(weeks), 1)
    draw.line((MARGIN, bottom, WIDTH - MARGIN, bottom), fill=GRID, width=2)
    for index, (week, count) in enumerate(weeks):
        height = int((bottom - top - 30) * count / largest)
        x0 = int(MARGIN + index * slot + slot * 0.15)
        x1 = int(MARGIN + (index + 1) * slot - slot * 0.15)
        draw.rectangle((x0, bottom - max(height, 1), x1, bottom), fill=TREND_COLOUR)
        draw.text((x0, bottom - height - 24), str(count), font=small, fill=TEXT)
        draw.text((x0, bottom + 8), getattr(week, "strftime", str)("%d/%m"), font=small, fill=TEXT)


def render_statistics_chart(stats: CaseStatistics, text: ChartText) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 24), text.title, font=_font(40), fill=TEXT)
    draw.text((MARGIN, 76), text.generated, font=_font(20), fill=(110, 110, 110))
    top = _bars(
        draw,
        120,
        text.by_status,
        [(text.status_labels.get(key, key), count) for key, count in stats.by_status.items()],
        40,
    )
    top = _bars(
        draw,
        top,
        text.by_category,
        [(text.category_labels.get(key, key), count) for key, count in stats.by_category.items()],
        40,
    )
    _trend(draw, top, text.by_week, stats.by_week)
    output = BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
