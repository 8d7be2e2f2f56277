"""Charts as inline SVG, drawn on the server: no JavaScript, no build step, nothing for a
cheap phone to run. Colours are presentation attributes (fill=), not style attributes,
which the Content-Security-Policy (style-src 'self') would block; sizes come from a
viewBox, so the stylesheet scales each chart to the screen."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from babel.numbers import format_decimal

from bot.web.i18n import current_locale

BAR = "#2166ac"
TRACK = "#ecf0f5"
INK = "#212121"
MUTED = "#6e6e6e"
# Light to dark: the tile map's five steps, the first for none.
SHADES = ("#eef2f7", "#c6dbef", "#6baed6", "#2171b5", "#08306b")

# The 38 provinces on a grid roughly where they lie (column, row), west to east, north to
# south; labels are their ISO 3166-2:ID codes. A tile map, not a map: every province gets
# the same area, so a small one with many reports is as visible as a large one.
TILES: dict[str, tuple[str, int, int]] = {
    "11": ("AC", 0, 0),
    "12": ("SU", 1, 1),
    "14": ("RI", 2, 1),
    "21": ("KR", 3, 1),
    "13": ("SB", 1, 2),
    "15": ("JA", 2, 2),
    "19": ("BB", 3, 2),
    "17": ("BE", 2, 3),
    "16": ("SS", 3, 3),
    "18": ("LA", 3, 4),
    "36": ("BT", 4, 4),
    "31": ("JK", 5, 4),
    "32": ("JB", 6, 4),
    "33": ("JT", 7, 4),
    "35": ("JI", 8, 4),
    "34": ("YO", 7, 5),
    "51": ("BA", 9, 5),
    "52": ("NB", 10, 5),
    "53": ("NT", 11, 5),
    "61": ("KB", 5, 1),
    "65": ("KU", 7, 0),
    "64": ("KI", 7, 1),
    "62": ("KT", 6, 2),
    "63": ("KS", 7, 2),
    "71": ("SA", 10, 0),
    "75": ("GO", 9, 0),
    "72": ("ST", 9, 1),
    "76": ("SR", 8, 2),
    "73": ("SN", 9, 2),
    "74": ("SG", 10, 2),
    "82": ("MU", 12, 0),
    "81": ("MA", 12, 2),
    "96": ("PD", 13, 1),
    "92": ("PB", 14, 1),
    "94": ("PT", 14, 2),
    "91": ("PA", 15, 2),
    "95": ("PE", 15, 3),
    "93": ("PS", 15, 4),
}


def _svg(kind: str, width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="chart {kind}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def number(value: float) -> str:
    """Grouped the reader's way: 1.234 in Indonesian, 1,234 in English."""
    return format_decimal(value, locale=current_locale())


def bars(title: str, rows: Sequence[tuple[str, int]], width: int = 460) -> str:
    """Horizontal bars, the label above each: long category names need the whole width."""
    row_height, bar_height = 46, 18
    most = max((value for _, value in rows), default=0) or 1
    body: list[str] = []
    for index, (label, value) in enumerate(rows):
        top = index * row_height
        length = round((width - 80) * value / most)
        body += [
            f'<text x="0" y="{top + 15}" font-size="13" fill="{INK}">{escape(label)}</text>',
            f'<rect x="0" y="{top + 22}" width="{width - 80}" height="{bar_height}" '
            f'fill="{TRACK}"/>',
            f'<rect x="0" y="{top + 22}" width="{length}" height="{bar_height}" fill="{BAR}" '
            'class="bar"/>',
            f'<text x="{width - 72}" y="{top + 37}" font-size="15" font-weight="bold" '
            f'fill="{INK}">{number(value)}</text>',
        ]
    return _svg("bars", width, max(row_height, len(rows) * row_height), title, body)


def columns(title: str, rows: Sequence[tuple[str, int]], width: int = 480) -> str:
    """Vertical columns, one per week, oldest on the left, each with its count on top."""
    height, base, top_room = 240, 205, 22
    most = max((value for _, value in rows), default=0) or 1
    slot = width / max(1, len(rows))
    body = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{MUTED}"/>']
    for index, (label, value) in enumerate(rows):
        tall = round((base - top_room - 8) * value / most)
        left = index * slot + slot * 0.15
        middle = index * slot + slot / 2
        body += [
            f'<rect x="{left:.1f}" y="{base - tall}" width="{slot * 0.7:.1f}" height="{tall}" '
            f'fill="{BAR}" class="bar"/>',
            f'<text x="{middle:.1f}" y="{base - tall - 6}" font-size="13" text-anchor="middle" '
            f'fill="{INK}">{number(value)}</text>',
            f'<text x="{middle:.1f}" y="{base + 20}" font-size="12" text-anchor="middle" '
            f'fill="{MUTED}">{escape(label)}</text>',
        ]
    return _svg("columns", width, height, title, body)


def tile_map(title: str, counts: dict[str, int], names: dict[str, str]) -> str:
    """One square per province (by code), shaded by its count, labelled with its code and
    count; its name in a tooltip (the table below names them all)."""
    size, gap = 48, 4
    most = max(counts.values(), default=0)
    body: list[str] = []
    for code, (label, column, row) in TILES.items():
        value = counts.get(code, 0)
        shade = 0 if value == 0 else 1 + min(3, (4 * value - 1) // max(1, most))
        x, y = column * (size + gap), row * (size + gap)
        ink = "#ffffff" if shade >= 3 else INK
        body += [
            f'<g class="tile"><title>{escape(names.get(code, code))}: {number(value)}</title>',
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" fill="{SHADES[shade]}"/>',
            f'<text x="{x + size / 2}" y="{y + 20}" font-size="13" text-anchor="middle" '
            f'fill="{ink}">{label}</text>',
            f'<text x="{x + size / 2}" y="{y + 39}" font-size="14" font-weight="bold" '
            f'text-anchor="middle" fill="{ink}">{number(value)}</text></g>',
        ]
    return _svg("tiles", 16 * (size + gap), 6 * (size + gap), title, body)
