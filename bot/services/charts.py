"""The /stats chart, drawn with Pillow alone: three bar panels sized for a phone screen."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from bot.services.statistics import CaseStatistics

WIDTH, HEIGHT = 1200, 1560
MARGIN = 40
LABEL_WIDTH = 430  # left column of the horizontal panels
HEADER_HEIGHT = 130  # title and "generated" line
TREND_HEIGHT = 430  # weekly panel, heading included
PANEL_HEADING = 52
PANEL_GAP = 28
BACKGROUND = (255, 255, 255)
TEXT = (33, 33, 33)
MUTED = (110, 110, 110)
TRACK = (236, 240, 245)  # the empty part of a bar, so zero rows still read as rows
STATUS_COLOUR = (33, 102, 172)
CATEGORY_COLOUR = (27, 158, 119)
TREND_COLOUR = (214, 96, 77)
AXIS = (190, 190, 190)

# The scalable default font (Aileron) covers Basic Latin and a few symbols only; these
# common typographic characters would otherwise render as boxes.
_PLAIN = str.maketrans({"—": "-", "–": "-", "‒": "-", "−": "-", "\u00a0": " "})

Font = ImageFont.ImageFont | ImageFont.FreeTypeFont


@dataclass(frozen=True)
class ChartText:
    """Already-translated words for the chart; labels are keyed like the statistics."""

    title: str
    by_status: str
    by_category: str
    by_week: str
    status_labels: dict[str, str]
    category_labels: dict[str, str]
    generated: str


def _load_font(size: int) -> Font:
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError, ValueError):
        # Pillow without FreeType (ImportError) or older than 10.1 (TypeError): the small
        # fixed bitmap font is still legible, only not to scale.
        return ImageFont.load_default()


_fonts: ContextVar[dict[int, Font]] = ContextVar("chart_fonts")


def _font(size: int) -> Font:
    # Cached per rendering, not per process: charts render in worker threads, and one
    # FreeType face must not be used by two threads at once.
    fonts = _fonts.get()
    if size not in fonts:
        fonts[size] = _load_font(size)
    return fonts[size]


def _plain(text: str) -> str:
    return text.translate(_PLAIN)


def _width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> float:
    return draw.textlength(text, font=font)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> str:
    """The text, cut with an ellipsis where it would overflow `width`."""
    if _width(draw, text, font) <= width:
        return text
    while text and _width(draw, text.rstrip() + "…", font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> list[str]:
    """At most two lines at word boundaries; what still does not fit is cut."""
    words = text.split()
    first = ""
    while words and _width(draw, f"{first} {words[0]}".strip(), font) <= width:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one very long word: nothing fits before it
        return [_fit(draw, text, font, width)]
    if not words:
        return [first]
    return [first, _fit(draw, " ".join(words), font, width)]


def _text_height(font: Font) -> int:
    _left, top, _right, bottom = font.getbbox("Ag")
    return int(bottom - top)


def _horizontal_bars(
    draw: ImageDraw.ImageDraw,
    top: int,
    title: str,
    items: Sequence[tuple[str, int]],
    row: int,
    colour: tuple[int, int, int],
) -> int:
    """One labelled bar per item, counts at the bar's end; returns where the panel ends."""
    draw.text((MARGIN, top), title, font=_font(30), fill=TEXT)
    top += PANEL_HEADING
    label_font = _font(max(12, min(24, row // 2)))
    small_font = _font(max(11, min(19, row * 2 // 5)))
    counts = [count for _label, count in items]
    largest = max(counts, default=0) or 1  # all zero: every bar empty, nothing divides by 0
    count_width = max((_width(draw, str(count), label_font) for count in counts), default=0)
    bar_left = MARGIN + LABEL_WIDTH
    bar_span = WIDTH - MARGIN - bar_left - int(count_width) - 14
    bar_height = max(6, row - 14)
    for index, (label, count) in enumerate(items):
        y = top + index * row
        bar_top = y + (row - bar_height) // 2
        plain = _plain(label)
        if _width(draw, plain, label_font) <= LABEL_WIDTH - 16:
            lines, font = [plain], label_font
        else:
            lines, font = _wrap(draw, plain, small_font, LABEL_WIDTH - 16), small_font
        line_height = _text_height(font) + 4
        text_top = y + (row - line_height * len(lines)) // 2
        for number, line in enumerate(lines):
            draw.text((MARGIN, text_top + number * line_height), line, font=font, fill=TEXT)
        draw.rectangle((bar_left, bar_top, bar_left + bar_span, bar_top + bar_height), fill=TRACK)
        length = round(bar_span * count / largest)
        if length:
            draw.rectangle(
                (bar_left, bar_top, bar_left + length, bar_top + bar_height), fill=colour
            )
        count_top = y + (row - _text_height(label_font)) // 2 - 2
        draw.text((bar_left + bar_span + 10, count_top), str(count), font=label_font, fill=TEXT)
    return top + len(items) * row + PANEL_GAP


def _weekly_bars(
    draw: ImageDraw.ImageDraw, top: int, bottom: int, title: str, weeks: Sequence[tuple[date, int]]
) -> None:
    """A column per week, the count above it and the week's Monday below it."""
    draw.text((MARGIN, top), title, font=_font(30), fill=TEXT)
    small = _font(18)
    top += PANEL_HEADING + 26  # room for the tallest column's count
    baseline = bottom - 34  # room for the dates under the axis
    draw.line((MARGIN, baseline, WIDTH - MARGIN, baseline), fill=AXIS, width=2)
    if not weeks:
        return
    largest = max(count for _week, count in weeks) or 1
    slot = (WIDTH - 2 * MARGIN) / len(weeks)
    # Dates are wider than a narrow column: label every n-th week so they never overlap.
    date_width = _width(draw, "00/00", small) + 10
    label_every = max(1, int(-(-date_width // slot)))
    for index, (week, count) in enumerate(weeks):
        x0 = round(MARGIN + index * slot + slot * 0.15)
        x1 = max(x0 + 1, round(MARGIN + (index + 1) * slot - slot * 0.15))
        centre = (x0 + x1) / 2
        height = round((baseline - top) * count / largest)
        if height:
            draw.rectangle((x0, baseline - height, x1, baseline), fill=TREND_COLOUR)
        labelled = (len(weeks) - 1 - index) % label_every == 0  # always the current week
        number = str(count)
        number_width = _width(draw, number, small)
        # A count wider than its column would run into the next one: then only the weeks
        # that carry a date show theirs.
        if number_width <= slot - 2 or labelled:
            draw.text(
                (centre - number_width / 2, baseline - height - 24), number, font=small, fill=TEXT
            )
        if labelled:
            label = week.strftime("%d/%m")
            draw.text(
                (centre - _width(draw, label, small) / 2, baseline + 8),
                label,
                font=small,
                fill=MUTED,
            )


def render_statistics_chart(stats: CaseStatistics, text: ChartText) -> bytes:
    """A PNG of WIDTH × HEIGHT pixels. Safe to run in several worker threads at once."""
    token = _fonts.set({})
    try:
        return _render(stats, text)
    finally:
        _fonts.reset(token)


def _render(stats: CaseStatistics, text: ChartText) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text(
        (MARGIN, 26),
        _fit(draw, _plain(text.title), _font(40), WIDTH - 2 * MARGIN),
        font=_font(40),
        fill=TEXT,
    )
    draw.text(
        (MARGIN, 80),
        _fit(draw, _plain(text.generated), _font(20), WIDTH - 2 * MARGIN),
        font=_font(20),
        fill=MUTED,
    )
    statuses = [(text.status_labels.get(key, key), n) for key, n in stats.by_status.items()]
    categories = [(text.category_labels.get(key, key), n) for key, n in stats.by_category.items()]
    # Rows share what the trend panel leaves, so extra keys shrink rows instead of overflowing.
    room = HEIGHT - HEADER_HEIGHT - TREND_HEIGHT - 2 * (PANEL_HEADING + PANEL_GAP)
    row = max(18, min(48, room // max(1, len(statuses) + len(categories))))
    top = _horizontal_bars(
        draw, HEADER_HEIGHT, _plain(text.by_status), statuses, row, STATUS_COLOUR
    )
    top = _horizontal_bars(draw, top, _plain(text.by_category), categories, row, CATEGORY_COLOUR)
    _weekly_bars(draw, top, HEIGHT - 10, _plain(text.by_week), stats.by_week)
    output = BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
