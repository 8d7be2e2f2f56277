"""Validation of what a reporter types at each step. Pure: returns clean values or raises
FieldRejected with a stable reason key that the Telegram layer turns into a message."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NAME_MAX = 200
POSITION_MAX = 200
AGENCY_MAX = 200
PLACE_MAX = 500
URL_MAX = 1000
DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 3000
WITNESSES_MAX = 1000
REPORTER_NAME_MAX = 200
# An address a letter (an invitation to clarification) could reach: a street or village
# and a town, not a word.
ADDRESS_MIN = 10
ADDRESS_MAX = 300

_NIP = re.compile(r"\d{18}")
_URL = re.compile(r"(https?://[^\s<>\"]+|(?:www\.)[^\s<>\"]+)", re.IGNORECASE)
# Format characters (zero-width joiners, bidi overrides) are invisible and can be used to make
# two names look alike or to flip displayed text; they carry nothing a report needs.
_INVISIBLE_CATEGORIES = {"Cf", "Cc"}


class FieldRejected(ValueError):
    def __init__(self, reason: str, **details: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def clean_text(text: str | None) -> str:
    """Text without control/invisible characters, with runs of spaces folded; newlines kept."""
    if not text:
        return ""
    kept = "".join(
        char
        for char in text
        if char in "\n\t" or unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )
    lines = [" ".join(line.split()) for line in kept.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def bounded_text(text: str | None, *, maximum: int, minimum: int = 1) -> str:
    value = clean_text(text)
    if not value or not any(char.isalnum() for char in value):
        raise FieldRejected("empty")
    if len(value) < minimum:
        raise FieldRejected("too_short", minimum=minimum, length=len(value))
    if len(value) > maximum:
        raise FieldRejected("too_long", maximum=maximum, length=len(value))
    return value


def validate_nip(text: str | None) -> str:
    """NIP: the 18-digit civil-servant number; spaces and dots people type are ignored."""
    digits = re.sub(r"[\s.\-]", "", text or "")
    if not _NIP.fullmatch(digits):
        raise FieldRejected("bad_nip")
    year, month = int(digits[0:4]), int(digits[4:6])
    # The first 8 digits are the birth date (yyyymmdd), then the appointment year and month.
    if not 1900 <= year <= 2015 or not 1 <= month <= 12 or not 1 <= int(digits[6:8]) <= 31:
        raise FieldRejected("bad_nip")
    return digits


def normalize_phone(text: str | None) -> str:
    """An Indonesian mobile or landline number in +62 form."""
    raw = re.sub(r"[\s\-().]", "", text or "")
    if raw.startswith("+"):
        raw = raw[1:]
    elif raw.startswith("0"):
        raw = "62" + raw[1:]
    if not raw.isdigit():
        raise FieldRejected("bad_phone")
    if raw.startswith("62"):
        if not 9 <= len(raw) - 2 <= 13:
            raise FieldRejected("bad_phone")
    elif not 8 <= len(raw) <= 15:  # a foreign number shared through Telegram's contact button
        raise FieldRejected("bad_phone")
    return "+" + raw


@dataclass(frozen=True)
class Place:
    text: str | None
    url: str | None


def parse_place(text: str | None) -> Place:
    value = bounded_text(text, maximum=PLACE_MAX)
    match = _URL.search(value)
    if not match:
        return Place(text=value, url=None)
    typed_url = match.group(0).rstrip(".,;)")
    url = "https://" + typed_url if typed_url.lower().startswith("www.") else typed_url
    if len(url) > URL_MAX:
        raise FieldRejected("too_long", maximum=URL_MAX, length=len(url))
    rest = re.sub(r"\s+([,.;:])", r"\1", clean_text(value.replace(typed_url, " ")))
    rest = rest.strip(" ,.;:")
    return Place(text=rest or None, url=url)


def agency_key(agency: str) -> str:
    """The form used to compare agency names: case- and spacing-insensitive."""
    return " ".join(clean_text(agency).casefold().split())
