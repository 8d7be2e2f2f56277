"""The document an office sends with an established violation to BKN: who, what, which
rules, and every piece of evidence by its SHA-256, so that the recipient can check that the
files it receives are the ones the office examined.

It is the office's letter, so it is written in Indonesian whatever language the staff
member reads the bot in (as the register number is). It never names the reporter: what
reaches BKN and the PPK is the violation, not who saw it. Made with fpdf2; its core fonts
carry Latin-1 only, so a character outside it is shown as "?" (docs/domain.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.services.elections import Regime, regime_of
from storage.models import Case, Evidence

if TYPE_CHECKING:
    from fpdf import FPDF

# The rules an ASN breaches by taking sides, by the election's law; the discipline rule
# and the joint decree apply to both.
RULES: dict[Regime | None, tuple[str, ...]] = {
    Regime.GENERAL: (
        "Undang-Undang Nomor 7 Tahun 2017 tentang Pemilihan Umum, Pasal 280 ayat (2) dan (3) "
        "serta Pasal 283",
    ),
    Regime.REGIONAL: (
        "Undang-Undang Nomor 10 Tahun 2016 tentang Pemilihan Gubernur, Bupati, dan Wali Kota, "
        "Pasal 71 ayat (1)",
    ),
    None: (),
}
ALWAYS = (
    "Peraturan Pemerintah Nomor 94 Tahun 2021 tentang Disiplin Pegawai Negeri Sipil, "
    "Pasal 5 huruf n",
    "Keputusan Bersama Menteri PANRB, Menteri Dalam Negeri, Kepala BKN, Ketua KASN, dan Ketua "
    "Bawaslu tentang Pedoman Pembinaan dan Pengawasan Netralitas Pegawai ASN (2022)",
)


@dataclass(frozen=True)
class ForwardingDocument:
    office: str  # "Bawaslu Kota Bandung"
    recipient: str  # "Badan Kepegawaian Negara"
    ppk: str
    on: date
    category: str  # the violation's category, as the Indonesian catalogue names it


def forwarding_pdf(document: ForwardingDocument, case: Case, evidence: list[Evidence]) -> bytes:
    # Imported here, not at the top: fpdf2 brings fontTools, cryptography and lxml, about
    # 30 MB resident for the bot's whole life (bench/memory.py), for a document an office
    # makes a few times a day.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"Penerusan {case.register_number or case.code}"))
    pdf.set_author(_latin(document.office))
    pdf.set_creator("Lapor Netral")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    _line(pdf, document.office.upper(), height=7)
    pdf.set_font("Helvetica", "B", 12)
    _line(pdf, "PENERUSAN DUGAAN PELANGGARAN NETRALITAS ASN", height=7)
    pdf.set_font("Helvetica", size=10)
    pdf.ln(3)
    _fields(
        pdf,
        [
            ("Nomor registrasi", case.register_number or "-"),
            ("Kode perkara", case.code),
            ("Tanggal", _day(document.on)),
            ("Kepada", document.recipient),
            ("Pejabat Pembina Kepegawaian", document.ppk),
        ],
    )
    _heading(pdf, "Terlapor")
    _fields(
        pdf,
        [
            ("Nama", case.asn_name),
            ("NIP", case.asn_nip or "-"),
            ("Jabatan", case.asn_position or "-"),
            ("Instansi", case.agency),
        ],
    )
    _heading(pdf, "Pelanggaran yang terbukti")
    _fields(
        pdf,
        [
            ("Jenis", document.category),
            ("Tanggal kejadian", _day(case.incident_date)),
            ("Tempat", case.place or case.place_url or "-"),
            ("Diputus terbukti", _day(case.proven_at.date()) if case.proven_at else "-"),
        ],
    )
    _paragraph(pdf, case.description)
    _heading(pdf, "Ketentuan yang dilanggar")
    for number, rule in enumerate((*RULES[regime_of(case.election)], *ALWAYS), start=1):
        _paragraph(pdf, f"{number}. {rule}")
    _heading(pdf, f"Daftar bukti ({len(evidence)})")
    if not evidence:
        _paragraph(pdf, "Tidak ada bukti berupa berkas.")
    for number, item in enumerate(evidence, start=1):
        captured = item.captured_at.strftime("%d-%m-%Y %H:%M") if item.captured_at else "-"
        pdf.set_font("Helvetica", size=9)
        _paragraph(
            pdf,
            f"{number}. {KINDS.get(item.kind, item.kind)} ({item.mime}), diterima "
            f"{_day(item.created_at.date())}, "
            f"diambil {captured}",
        )
        pdf.set_font("Courier", size=8)
        _paragraph(pdf, f"   SHA-256 {item.sha256}")
    pdf.set_font("Helvetica", size=10)
    pdf.ln(4)
    _paragraph(
        pdf,
        "Nilai SHA-256 di atas adalah sidik berkas bukti sebagaimana disimpan dan diperiksa "
        "oleh pengawas pemilu; berkas yang diterima dapat dicocokkan dengannya.",
    )
    return bytes(pdf.output())


KINDS = {"image": "Foto", "pdf": "Dokumen PDF", "video": "Video"}
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def _day(day: date | datetime) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _line(pdf: FPDF, text: str, height: float = 6) -> None:
    pdf.cell(0, height, _latin(text), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    _line(pdf, text)
    pdf.set_font("Helvetica", size=10)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")


def _fields(pdf: FPDF, fields: list[tuple[str, str]]) -> None:
    for label, value in fields:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(62, 6, _latin(label))
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")
