"""The agency directory behind the suggestions at report step 3 ("is it one of these?").

It is a fixed list shipped with the bot (bot/data/agencies.json: central ministries and
agencies, and the usual regional agencies of every province), never the agencies named in
reports: suggesting those told anyone who typed a name whether that agency had been
reported, and reports are not published."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.services.catalogue import provinces
from bot.services.report_fields import agency_key

SUGGESTION_SCORE = 85
SUGGESTIONS = 3

_DIRECTORY_FILE = Path(__file__).resolve().parent.parent / "data" / "agencies.json"


def similar_agencies(known: dict[str, str], typed: str) -> list[str]:
    """Names in `known` (key -> name) that look like `typed`; none if it matches one."""
    typed_key = agency_key(typed)
    if typed_key in known:
        return []
    matches = process.extract(
        typed_key,
        {name: key for key, name in known.items()},
        scorer=fuzz.token_sort_ratio,
        score_cutoff=SUGGESTION_SCORE,
        limit=SUGGESTIONS,
    )
    return [name for _key, _score, name in matches]


@cache
def directory() -> dict[str, str]:
    """Every agency name in the directory, by its agency key."""
    with _DIRECTORY_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    names = list(data["central"])
    for province in provinces():
        names += [f"{kind} Provinsi {province}" for kind in data["regional_kinds"]]
    return {agency_key(name): name for name in names}


class AgencyDirectory:
    async def suggestions(self, typed: str) -> list[str]:
        return similar_agencies(directory(), typed)
