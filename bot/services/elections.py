"""The election a case concerns, and what follows from it: which office handles it, which
deadlines run (services/deadlines.py), and the election's code in a register number.

General elections (Pemilu: president, DPR/DPD/DPRD) are handled under UU 7/2017 and
Perbawaslu 7/2022 by the office of the place where the violation happened; regional
elections (Pemilihan: governor, regent or mayor) under UU 1/2015 as amended (UU 10/2016)
and Perbawaslu 8/2020 as amended by 9/2024, by the office of the election's own region: a
governor's election is the province's business, a regent's or mayor's the regency's or
city's. Sources in docs/domain.md."""

from __future__ import annotations

from enum import StrEnum

from bot.services import regions
from bot.services.offices import natural_office


class Election(StrEnum):
    PRESIDENTIAL = "presidential"
    LEGISLATIVE = "legislative"
    GOVERNOR = "governor"
    REGENT = "regent"  # regent (bupati) or mayor (wali kota)
    UNKNOWN = "unknown"


ELECTIONS: tuple[Election, ...] = tuple(Election)
KNOWN_ELECTIONS: tuple[Election, ...] = tuple(e for e in Election if e != Election.UNKNOWN)


class Regime(StrEnum):
    """Which law's periods apply (services/deadlines.py)."""

    GENERAL = "general"  # Pemilu: UU 7/2017, days are working days
    REGIONAL = "regional"  # Pemilihan: UU 1/2015 Pasal 134, days are calendar days


def regime_of(election: str) -> Regime | None:
    """None while the election is not known."""
    if election in (Election.PRESIDENTIAL, Election.LEGISLATIVE):
        return Regime.GENERAL
    if election in (Election.GOVERNOR, Election.REGENT):
        return Regime.REGIONAL
    return None


def office_for(election: str, region_code: str) -> str:
    """The office that handles a case of `election` that happened in `region_code`: a
    governor's election goes to the province; everything else to the place itself."""
    if election == Election.GOVERNOR:
        province = regions.province_of(region_code)
        if province is not None:
            return province.code
    return natural_office(region_code)


def register_code(election: str) -> str:
    """The election's code in a register number, as Bawaslu's registers show them
    ("002/LP/PL/Kab/…" for a legislative election, PP presidential, PB a regional one)."""
    codes = {
        Election.PRESIDENTIAL: "PP",
        Election.LEGISLATIVE: "PL",
        Election.GOVERNOR: "PB",
        Election.REGENT: "PB",
    }
    return codes.get(Election(election), "PL") if election in ELECTIONS else "PL"
