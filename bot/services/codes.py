"""Tracking codes: PREFIX-XXXX-XXXX, 40 random bits in Crockford base32 (docs/runtime.md)."""

from __future__ import annotations

import re
import secrets

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BITS = 40
_BODY_LENGTH = CODE_BITS // 5
# Crockford decoding: O reads as 0, I and L as 1; separators and case are ignored.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_BODY = re.compile(f"[{CROCKFORD_ALPHABET}]{{{_BODY_LENGTH}}}")


def generate_code(prefix: str = "ASN") -> str:
    value = secrets.randbits(CODE_BITS)
    body = "".join(
        CROCKFORD_ALPHABET[(value >> shift) & 0x1F] for shift in range(CODE_BITS - 5, -1, -5)
    )
    return f"{prefix.upper()}-{body[:4]}-{body[4:]}"


def normalize_code(text: str, prefix: str = "ASN") -> str | None:
    """The canonical code for what a person typed, or None if it cannot be one.

    The prefix may be omitted; look-alike letters are read the Crockford way."""
    if len(text) > 64:
        return None
    compact = _SEPARATORS.sub("", text).upper()
    prefix = prefix.upper()
    if compact.startswith(prefix) and len(compact) == len(prefix) + _BODY_LENGTH:
        compact = compact[len(prefix) :]
    body = compact.translate(_LOOKALIKES)
    if not _BODY.fullmatch(body):
        return None
    return f"{prefix}-{body[:4]}-{body[4:]}"
