"""Generate bot/data/regions.json, the official administrative list the bot ships: 38
provinces and 514 regencies and cities with their Kemendagri codes, each province with its
time zone.

Source: the npm package idn-area-data (maintained, ODbL-1.0, data from Kemendagri's
regulations; https://github.com/fityannugroho/idn-area-data). Fetch the exact version this
script was last run with, then run it:

    npm pack idn-area-data@4.0.1
    python scripts/regions.py idn-area-data-4.0.1.tgz

The generated file records the package and version it came from. The data are under the
Open Database License: bot/data/regions.json is a derived database under the same licence."""

from __future__ import annotations

import csv
import io
import json
import sys
import tarfile
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "bot" / "data" / "regions.json"

# Keppres 41/1987: western Indonesia (Sumatra, Java, West and Central Kalimantan) keeps WIB,
# central (Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi) WITA, eastern
# (Maluku, Papua) WIT.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
# The names the bot has always shown, and Bawaslu uses, where the source spells them out.
_DISPLAY = {"31": "DKI Jakarta", "34": "DI Yogyakarta"}


def time_zone(province_code: str) -> str:
    if province_code in _WIT:
        return "Asia/Jayapura"
    if province_code in _WITA:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def _rows(archive: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = archive.extractfile(f"package/data/{name}")
    assert member is not None, name
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def build(tarball: Path) -> dict[str, object]:
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
        provinces = _rows(archive, "provinces.csv")
        regencies = _rows(archive, "regencies.csv")
    by_province: dict[str, list[dict[str, str]]] = {}
    for regency in regencies:
        name = regency["name"]
        kind = "kota" if name.startswith("Kota") else "kabupaten"
        by_province.setdefault(regency["province_code"], []).append(
            {"code": regency["code"], "name": name, "kind": kind}
        )
    return {
        "source": {
            "package": f"npm:{manifest['name']}",
            "version": manifest["version"],
            "licence": "ODbL-1.0",
            "homepage": "https://github.com/fityannugroho/idn-area-data",
            "generated_by": "scripts/regions.py",
        },
        "provinces": [
            {
                "code": province["code"],
                "name": _DISPLAY.get(province["code"], province["name"]),
                "time_zone": time_zone(province["code"]),
                "regencies": sorted(by_province[province["code"]], key=lambda r: r["code"]),
            }
            for province in sorted(provinces, key=lambda p: p["code"])
        ],
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    data = build(Path(sys.argv[1]))
    OUTPUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    count = sum(len(p["regencies"]) for p in data["provinces"])  # type: ignore[index, union-attr]
    print(f"{OUTPUT}: {len(data['provinces'])} provinces, {count} regencies and cities")  # type: ignore[arg-type]
