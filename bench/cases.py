"""Generated cases for the growth benchmark, with the shapes real ones have: a few agencies
and names reported again and again (Zipf), the populous provinces most often, social-media
campaigning the commonest category (about 30%, as KASN reports), statuses that depend on a
case's age, an audit trail that follows the lifecycle, one or two evidence files.

Loaded in bulk, straight into the tables (SQLite through sqlite3, PostgreSQL with COPY):
it is the reading that is measured, not this."""

from __future__ import annotations

import hashlib
import itertools
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.services.catalogue import CATEGORY_KEYS
from bot.services.codes import CODE_BITS, CROCKFORD_ALPHABET
from bot.services.lifecycle import OPEN, STATUSES
from bot.services.regions import provinces
from bot.services.report_fields import agency_key

# Population order (largest first) decides how often a province is reported.
_POPULOUS = [
    "Jawa Barat",
    "Jawa Timur",
    "Jawa Tengah",
    "Sumatera Utara",
    "Banten",
    "DKI Jakarta",
    "Sulawesi Selatan",
    "Lampung",
    "Sumatera Selatan",
    "Riau",
]
_CATEGORY_WEIGHTS = [30, 14, 12, 6, 10, 5, 11, 5, 2, 5]
_FIRST = "Budi Siti Agus Dewi Andi Rina Joko Sri Hadi Wahyu Nur Rudi Yanti Eko Ani Dedi"
_LAST = "Santoso Wulandari Pratama Hidayat Saputra Lestari Nugroho Rahmawati Setiawan Kurniawan"
_KINDS = [
    "Dinas Pendidikan",
    "Dinas Kesehatan",
    "Kecamatan",
    "Kelurahan",
    "Dinas Sosial",
    "BKPSDM",
    "Dinas PUPR",
    "Bappeda",
    "Satpol PP",
    "Dinas Perhubungan",
    "RSUD",
    "Puskesmas",
]
_DAYS = 180


def _code_for(case_id: int) -> str:
    """A tracking code unique to the case: 40 random draws would collide about once in a
    million cases (the bot draws again when that happens; a bulk load cannot)."""
    value = (case_id * 0x9E3779B97F4A7C15) & ((1 << CODE_BITS) - 1)  # odd: one-to-one
    body = "".join(
        CROCKFORD_ALPHABET[(value >> shift) & 0x1F] for shift in range(CODE_BITS - 5, -1, -5)
    )
    return f"ASN-{body[:4]}-{body[4:]}"


def _zipf(count: int, exponent: float = 1.1) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


@dataclass
class Tables:
    reporters: list[tuple[Any, ...]] = field(default_factory=list)
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    evidence: list[tuple[Any, ...]] = field(default_factory=list)


REPORTER_COLUMNS = ("id", "chat_id", "identity", "name", "phone", "locale", "created_at")
CASE_COLUMNS = (
    "id",
    "code",
    "status",
    "category",
    "asn_name",
    "asn_position",
    "asn_nip",
    "agency",
    "agency_key",
    "province",
    "incident_date",
    "place",
    "place_url",
    "description",
    "witnesses",
    "reporter_id",
    "assignee_id",
    "public_note",
    "created_at",
    "status_changed_at",
    "kind",
    "election",
    "party_kind",
    "deadline_at",
    "staff_card_message_id",
    "recommendation_to",
    "recommendation_sent_at",
    "follow_up_due_at",
    "sanction",
    "followed_up_at",
    "proven_at",
    "version",
    "region_code",
    "office_code",
)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "actor",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "detail",
    "created_at",
)
EVIDENCE_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "mime",
    "storage_key",
    "thumbnail_key",
    "sha256",
    "original_sha256",
    "phash",
    "size",
    "captured_at",
    "source",
    "created_at",
)


class CaseFactory:
    """Makes cases numbered from 1; `batch(start, count)` continues where the last ended."""

    def __init__(self, seed: int = 2024, now: datetime | None = None) -> None:
        self._chance = random.Random(seed)
        self.now = now or datetime.now(UTC)
        names = [province.name for province in provinces()]
        self._by_name = {province.name: province for province in provinces()}
        ranked = [*_POPULOUS, *[name for name in names if name not in _POPULOUS]]
        self._provinces = ranked
        self._province_weights = _zipf(len(ranked), 0.9)
        places = [name.replace("Kepulauan ", "Kep. ") for name in names]
        self._agencies = [
            f"{kind} {kind_place}"
            for kind_place in (f"Kota {place}" for place in places)
            for kind in _KINDS
        ] + [f"{kind} Kabupaten {place}" for place in places for kind in _KINDS]
        self._chance.shuffle(self._agencies)
        self._agency_weights = _zipf(len(self._agencies))
        self._names = [f"{first} {last}" for first in _FIRST.split() for last in _LAST.split()]
        self._chance.shuffle(self._names)
        self._name_weights = _zipf(len(self._names), 0.8)
        self._event_ids = itertools.count(1)
        self._evidence_ids = itertools.count(1)
        self.codes: list[str] = []  # a sample, for look-ups

    def _where(self, province_name: str) -> tuple[str, str]:
        """A region in the province (a regency or city most of the time; the province
        alone when the reporter did not know it) and the office handling it."""
        province = self._by_name[province_name]
        if province.regencies and self._chance.random() < 0.85:
            code = self._chance.choice(province.regencies).code
        else:
            code = province.code
        return code, code

    def batch(self, start: int, count: int) -> Tables:
        tables = Tables()
        chance = self._chance
        agencies = chance.choices(self._agencies, self._agency_weights, k=count)
        names = chance.choices(self._names, self._name_weights, k=count)
        regions = chance.choices(self._provinces, self._province_weights, k=count)
        categories = chance.choices(CATEGORY_KEYS, _CATEGORY_WEIGHTS, k=count)
        for offset in range(count):
            case_id = start + offset
            # More reports as the election nears: ages skewed towards today.
            age = timedelta(days=_DAYS * chance.random() ** 1.6, seconds=chance.randrange(86400))
            created = self.now - age
            status = self._status(age)
            code = _code_for(case_id)
            if chance.random() < 0.01:
                self.codes.append(code)
            identified = chance.random() < 0.4
            tables.reporters.append(
                (
                    case_id,
                    7_000_000_000 + case_id,
                    "identified" if identified else "anonymous",
                    "Pelapor" if identified else None,
                    "+6281200000000" if identified else None,
                    "id",
                    created,
                )
            )
            proven = status in ("established", "forwarded") or (
                status == "closed" and chance.random() < 0.5
            )
            followed = proven and chance.random() < 0.7
            changed = created + timedelta(days=min(age.days, chance.randrange(1, 15)))
            tables.cases.append(
                (
                    case_id,
                    code,
                    status,
                    categories[offset],
                    names[offset],
                    "Guru" if chance.random() < 0.3 else None,
                    None,
                    agencies[offset],
                    agency_key(agencies[offset]),
                    regions[offset],
                    (created - timedelta(days=chance.randrange(0, 5))).date(),
                    "Kantor dinas",
                    None,
                    "Mengunggah poster calon dan mengajak rekan kerja memilihnya di grup dinas.",
                    None,
                    case_id,
                    9_000_000 + chance.randrange(20) if status != "received" else None,
                    None,
                    created,
                    changed if status != "received" else created,
                    "finding" if chance.random() < 0.1 else "report",
                    chance.choice(("presidential", "legislative", "regent")),
                    "asn",
                    changed + timedelta(days=7) if status in OPEN else None,
                    None,
                    "PPK Kabupaten" if proven else None,
                    changed if proven else None,
                    changed + timedelta(days=30) if proven else None,
                    chance.choice(("moral", "moderate", "severe", "none")) if followed else None,
                    changed + timedelta(days=10) if followed else None,
                    changed if proven else None,
                    1,
                    *self._where(regions[offset]),
                )
            )
            for before, after in self._path(status, proven):
                tables.events.append(
                    (
                        next(self._event_ids),
                        case_id,
                        "reporter" if before is None else "staff",
                        None if before is None else 9_000_001,
                        "submitted" if before is None else "status",
                        before,
                        after,
                        None,
                        created if before is None else changed,
                    )
                )
            for _ in range(chance.choice((0, 1, 1, 2, 2, 3))):
                digest = hashlib.sha256(f"{case_id}-{_}".encode()).hexdigest()
                tables.evidence.append(
                    (
                        next(self._evidence_ids),
                        case_id,
                        "image",
                        "image/jpeg",
                        f"{digest[:2]}/{digest[2:4]}/{digest}.jpg",
                        None,
                        digest,
                        digest,
                        f"{chance.getrandbits(64):016x}",
                        250_000,
                        None,
                        "report",
                        created,
                    )
                )
        return tables

    def _status(self, age: timedelta) -> str:
        young = age < timedelta(days=14)
        weights = (
            # received … merged (lifecycle order), for cases under two weeks
            [25, 20, 6, 12, 10, 4, 3, 1, 8, 2, 5, 4]
            if young
            else [1, 3, 2, 4, 8, 8, 8, 2, 10, 12, 38, 4]
        )
        return self._chance.choices(STATUSES, weights)[0]

    @staticmethod
    def _path(status: str, proven: bool) -> Iterator[tuple[str | None, str]]:
        """The audit trail's status changes that lead to `status` (Perbawaslu 7/2022's
        order: initial review, completion, registration, examination, decision)."""
        yield None, "received"
        if status == "received":
            return
        if status in ("not_registered", "merged"):
            yield "received", status
            return
        yield "received", "initial_review"
        if status == "initial_review":
            return
        if status == "completion":
            yield "initial_review", "completion"
            return
        yield "initial_review", "registered"
        if status == "registered":
            return
        if status == "stopped":
            yield "registered", "stopped"
            return
        yield "registered", "examination"
        if status == "examination":
            return
        decision = "established" if proven else "not_established"
        yield "examination", decision
        if status == decision:
            return
        if proven:
            yield decision, "forwarded"
            if status == "forwarded":
                return
            decision = "forwarded"
        yield decision, "closed"


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def load_sqlite(url: str, tables: Tables) -> None:
    connection = sqlite3.connect(_sqlite_path(url))
    try:
        connection.execute("PRAGMA synchronous=OFF")  # generated data: nothing to protect
        with connection:
            for table, columns, rows in _plan(tables):
                marks = ", ".join("?" for _ in columns)
                names = ", ".join(f'"{name}"' for name in columns)
                connection.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    [tuple(_sqlite_value(value) for value in row) for row in rows],
                )
    finally:
        connection.close()


def _sqlite_value(value: Any) -> Any:
    # The schema's DateTime columns hold "YYYY-MM-DD HH:MM:SS.ffffff" as SQLAlchemy writes them.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


async def load_postgresql(url: str, tables: Tables) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        async with connection.transaction():
            for table, columns, rows in _plan(tables):
                await connection.copy_records_to_table(table, records=rows, columns=columns)
        for table in ("reporter", "case", "case_event", "evidence"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT max(id) FROM "{table}"))'
            )
        # What autovacuum does to a live database, and not yet to one just filled by COPY:
        # without the visibility map PostgreSQL cannot answer from an index alone, and
        # /stats read 1.2 s of heap for the weekly counts instead of 0.07 s of index.
        await connection.execute('VACUUM ANALYZE reporter, "case", case_event, evidence')
    finally:
        await connection.close()


def _plan(tables: Tables) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    return [
        ("reporter", REPORTER_COLUMNS, tables.reporters),
        ("case", CASE_COLUMNS, tables.cases),
        ("case_event", EVENT_COLUMNS, tables.events),
        ("evidence", EVIDENCE_COLUMNS, tables.evidence),
    ]


def open_statuses() -> tuple[str, ...]:
    return OPEN
