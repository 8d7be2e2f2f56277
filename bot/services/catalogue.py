"""Fixed lists the report draws from: violation categories (SKB 2/2022) and provinces.
Case statuses live with the rest of the lifecycle (services/lifecycle.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

# Order and keys are stable: the keys are stored with each case.
CATEGORY_KEYS: tuple[str, ...] = (
    "social_media",
    "photo_with_candidate",
    "attending_event",
    "campaign_props",
    "partisan_activity",
    "party_membership",
    "office_resources",
    "favouring_decision",
    "candidacy",
    "other",
)

_PROVINCES_FILE = Path(__file__).resolve().parent.parent / "data" / "provinces.json"


@cache
def provinces() -> tuple[str, ...]:
    with _PROVINCES_FILE.open(encoding="utf-8") as handle:
        return tuple(json.load(handle))
