"""The violation categories a report is filed under (SKB 2/2022, Lampiran II). Regions are
services/regions.py; case statuses live with the rest of the lifecycle
(services/lifecycle.py)."""

from __future__ import annotations

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
