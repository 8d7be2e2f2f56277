"""The Indonesian words staff may type for the keys commands take: /setstatus CODE terbukti,
/bkn CODE ringan, /election CODE bupati, /followup CODE dijatuhkan. The keys stay English
where they are stored and checked; an officer types the words of their own procedure."""

from __future__ import annotations

from collections.abc import Mapping

STATUS_WORDS: Mapping[str, str] = {
    "diterima": "received",
    "kajian": "initial_review",
    "kajianawal": "initial_review",
    "dilengkapi": "completion",
    "kelengkapan": "completion",
    "registrasi": "registered",
    "diregistrasi": "registered",
    "klarifikasi": "examination",
    "pemeriksaan": "examination",
    "terbukti": "established",
    "tidakterbukti": "not_established",
    "dihentikan": "stopped",
    "tidakdiregistrasi": "not_registered",
    "diteruskan": "forwarded",
    "selesai": "closed",
}
SANCTION_WORDS: Mapping[str, str] = {
    "ringan": "light",
    "sedang": "moderate",
    "berat": "severe",
}
ELECTION_WORDS: Mapping[str, str] = {
    "presiden": "presidential",
    "pilpres": "presidential",
    "legislatif": "legislative",
    "pileg": "legislative",
    "gubernur": "governor",
    "bupati": "regent",
    "walikota": "regent",
}
RESPONSE_WORDS: Mapping[str, str] = {
    "dijatuhkan": "imposed",
    "ditolak": "declined",
}


def key_for(typed: str, words: Mapping[str, str]) -> str:
    """The key `typed` names: the key itself, or its Indonesian word (any case, with or
    without "_", "-" or spaces inside: "tidak_terbukti", "Wali-Kota"). Anything else is
    returned lowercased, for the command to refuse as before."""
    plain = typed.strip().lower()
    return words.get(plain.replace("_", "").replace("-", "").replace(" ", ""), plain)
