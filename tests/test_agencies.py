"""Agency suggestions at report step 3 come from a fixed directory of real agencies."""

from __future__ import annotations

from bot.services.agencies import AgencyDirectory, directory, similar_agencies
from bot.services.report_fields import agency_key


def test_similar_names_are_suggested_but_not_an_exact_match() -> None:
    known = {agency_key(name): name for name in ("Dinas Pendidikan Kota Bandung", "Kecamatan Ubud")}
    assert similar_agencies(known, "dinas pendidikan kota bandungg") == [
        "Dinas Pendidikan Kota Bandung"
    ]
    assert similar_agencies(known, "  DINAS  pendidikan kota bandung ") == []
    assert similar_agencies(known, "Satpol PP Kota Medan") == []


async def test_the_directory_knows_central_and_provincial_agencies() -> None:
    names = set(directory().values())
    assert {"Kementerian Dalam Negeri", "Badan Kepegawaian Negara"} <= names
    assert "Dinas Pendidikan Provinsi Jawa Barat" in names
    assert "Satuan Polisi Pamong Praja Provinsi Papua Pegunungan" in names
    suggested = await AgencyDirectory().suggestions("Kementrian Dalam Negri")
    assert suggested[0] == "Kementerian Dalam Negeri"
