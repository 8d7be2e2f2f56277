"""The civil servant's Pejabat Pembina Kepegawaian (PPK), who imposes a sanction: derived
from the level of the agency they serve in, and corrected by staff where the guess is wrong
(`/ppk`).

The civil-service rules make the PPK of a regency's or city's civil servants its regent or
mayor, of a province's its governor, and of a ministry's or national agency's its minister
or head; an acting regional head (Penjabat) answers to the Minister of Home Affairs. The
cities and regency of DKI Jakarta are administrative: their civil servants are the
province's. Senior high schools (SMA, SMK) are run by provinces. docs/domain.md says which
of these were checked against a source. The names are Indonesian titles, kept as
written."""

from __future__ import annotations

import re

from bot.services import regions

MINISTER_OF_HOME_AFFAIRS = "Menteri Dalam Negeri"
JAKARTA = "31"

_ACTING_HEAD = re.compile(r"\b(pj\.?|penjabat)\s+(bupati|wali\s*kota|walikota|gubernur)\b")
_MINISTRY = re.compile(r"\bkementerian\s+(.+)", re.IGNORECASE)
_PROVINCIAL = re.compile(
    r"\b(provinsi|prov\.|sma\s*n|sman|sma\s+negeri|smk\s*n|smkn|smk\s+negeri)\b"
)
_NATIONAL_BODY = re.compile(
    r"^(badan|lembaga|kejaksaan|mahkamah|komisi|sekretariat\s+jenderal)\b(?!.*\bdaerah\b)"
)


def derive_ppk(agency: str, position: str | None, region_code: str | None) -> str:
    """The PPK of a civil servant at `agency` holding `position`, reported at `region_code`
    (a regency's or a province's code)."""
    lowered = agency.casefold().strip()
    if position and _ACTING_HEAD.search(position.casefold()):
        return MINISTER_OF_HOME_AFFAIRS
    if ministry := _MINISTRY.search(agency):
        return f"Menteri {_ministry_name(ministry.group(1))}"
    if _NATIONAL_BODY.search(lowered):
        return f"Kepala {agency.strip()}"
    province = regions.province_of(region_code) if region_code else None
    if province is None:
        return f"Pejabat Pembina Kepegawaian {agency.strip()}"
    regency = regions.regency(region_code)
    if regency is None or province.code == JAKARTA or _PROVINCIAL.search(lowered):
        return f"Gubernur {province.name}"
    head = "Wali Kota" if regency.kind == "kota" else "Bupati"
    return f"{head} {regency.base_name}"


def _ministry_name(rest: str) -> str:
    """ "Agama Kota Bandung" → "Agama": a ministry's office in a region is still the
    ministry's."""
    words = rest.split()
    for index, word in enumerate(words):
        if word.casefold() in ("kota", "kabupaten", "kab.", "provinsi", "kantor", "wilayah"):
            return " ".join(words[:index]) or rest
    return rest
