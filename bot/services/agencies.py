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

from bot.services.regions import provinces
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
        names += [f"{kind} Provinsi {province.name}" for kind in data["regional_kinds"]]
        for regency in province.regencies:
            names += [f"{kind} {regency.name}" for kind in data["regional_kinds"]]
    return {agency_key(name): name for name in names}


@cache
def _by_word() -> dict[str, dict[str, str]]:
    """For each word of the directory, the names holding it (key -> name)."""
    index: dict[str, dict[str, str]] = {}
    for key, name in directory().items():
        for word in set(key.split()):
            index.setdefault(word, {})[key] = name
    return index


class AgencyDirectory:
    """Suggestions on a reporter's path: compared against the names sharing the typed
    answer's rarest word (a few dozen) rather than all 17,000, which took 20 ms; a typing
    mistake in every word falls back to the whole directory."""

    async def suggestions(self, typed: str) -> list[str]:
        index = _by_word()
        words = [word for word in agency_key(typed).split() if word in index]
        if not words:
            return similar_agencies(directory(), typed)
        rarest = min(words, key=lambda word: len(index[word]))
        return similar_agencies(index[rarest], typed)
