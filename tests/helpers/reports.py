"""A citizen's report walked through the bot, step by step, written once: tests about a
particular step answer that step themselves and use these for the rest."""

from __future__ import annotations

from typing import Any

from tests.fakebot import FakeUser
from tests.helpers.dialog import press, reply, say, submit, text_of

REPORTER_NAME = "Sari Wulandari"
REPORTER_ADDRESS = "Jl. Merdeka No. 12, Kelurahan Babakan, Kota Bandung"
REPORTER_PHONE = "+62 812-3456-7890"
# Election buttons, by the start of their Indonesian label.
REGIONAL = "Pemilihan Bupati"
GOVERNOR = "Pemilihan Gubernur"
LEGISLATIVE = "Pemilu anggota DPR"
DESCRIPTION = (
    "Pak Budi mengunggah poster calon bupati nomor 2 di Instagram dinasnya dan mengajak "
    "guru-guru memilihnya."
)


async def start_report(user: FakeUser) -> dict[str, Any]:
    """/lapor: the first question (step 1, identity)."""
    await user.send("/lapor")
    await reply(user, "Mari")
    return await reply(user, "Langkah 1/9")


async def answer_identity(
    user: FakeUser,
    question: dict[str, Any],
    *,
    identified: bool = False,
    name: str = REPORTER_NAME,
    phone: str | None = REPORTER_PHONE,
    address: str = REPORTER_ADDRESS,
) -> dict[str, Any]:
    """Step 1, anonymous or with a name, an address and a shared phone number (or none):
    the step 2 question (who is reported)."""
    if not identified:
        return await press(user, question, "Anonim", "Langkah 2/9")
    await press(user, question, "Dengan identitas")
    await say(user, name, "alamat")
    await say(user, address, "Langkah 1/9")
    if phone is None:
        await user.send("Lewati ➡️")
    else:
        await user.send_contact(phone)
    await reply(user)  # number saved, or none
    return await reply(user, "Langkah 2/9")


async def answer_reported_person(
    user: FakeUser, question: dict[str, Any], *, asn_name: str = "Budi Santoso", kind: str = "ASN"
) -> dict[str, Any]:
    """Step 2 for an ASN (or `kind`, a button's start) without position or NIP: the step 3
    question."""
    question = await press(user, question, kind, "Langkah 2/9")
    question = await say(user, asn_name, "Langkah 2/9")
    if kind == "ASN":
        question = await press(user, question, "Lewati", "Langkah 2/9")
    return await press(user, question, "Lewati", "Langkah 3/9")


async def fill_report_until_evidence(
    user: FakeUser,
    *,
    asn_name: str = "Budi Santoso",
    agency: str = "Dinas Pendidikan Kota Bandung",
    identified: bool = False,
    name: str = REPORTER_NAME,
    phone: str | None = REPORTER_PHONE,
    province: str = "Jawa Barat",
    regency: str = "Kota Bandung",
    election: str = REGIONAL,
) -> dict[str, Any]:
    """A report answered up to the evidence step; returns the evidence question. The
    regency is typed, as a reporter may ("kab. gumas" works)."""
    question = await answer_identity(
        user, await start_report(user), identified=identified, name=name, phone=phone
    )
    question = await answer_reported_person(user, question, asn_name=asn_name)
    question = await say(user, agency, "Langkah 3/9")
    question = await press(user, question, province, "Langkah 3/9")
    question = await say(user, regency, "Langkah 4/9")
    question = await press(user, question, election, "Langkah 4/9")
    question = await press(user, question, "media sosial", "Langkah 5/9")
    question = await press(user, question, "Kemarin", "Langkah 5/9")
    question = await press(user, question, "Pada hari kejadian", "Langkah 6/9")
    question = await say(user, "https://www.instagram.com/p/Cx1Example/", "Langkah 7/9")
    question = await say(user, DESCRIPTION, "Langkah 8/9")
    return await press(user, question, "Lewati", "Langkah 9/9")


async def summary_after_evidence(
    user: FakeUser, evidence_question: dict[str, Any], photos: list[bytes] | None = None
) -> dict[str, Any]:
    """Attach `photos` (or none, past the warning) and reach the summary."""
    if not photos:
        warning = await press(user, evidence_question, "Selesai")
        return await press(user, warning, "Lanjut tanpa bukti", "Ringkasan")
    received = evidence_question
    for number, photo in enumerate(photos, start=1):
        await user.send_photo(photo)
        received = await reply(user, str(number))
    return await press(user, received, "Selesai", "Ringkasan")


async def file_report(
    user: FakeUser,
    *,
    photos: list[bytes] | None = None,
    asn_name: str = "Budi Santoso",
    agency: str = "Dinas Pendidikan Kota Bandung",
    identified: bool = False,
    name: str = REPORTER_NAME,
    phone: str | None = REPORTER_PHONE,
    province: str = "Jawa Barat",
    regency: str = "Kota Bandung",
    election: str = REGIONAL,
) -> str:
    """A whole report, submitted: its tracking code."""
    question = await fill_report_until_evidence(
        user,
        asn_name=asn_name,
        agency=agency,
        identified=identified,
        name=name,
        phone=phone,
        province=province,
        regency=regency,
        election=election,
    )
    summary = await summary_after_evidence(user, question, photos)
    _confirmation, code = await submit(user, summary)
    return code


async def summary_from_agency(user: FakeUser) -> dict[str, Any]:
    """Steps 3 to 9 answered, from the agency question just asked, without evidence: the
    summary."""
    question = await say(user, "Dinas Pendidikan Kota Bandung", "Langkah 3/9")
    question = await press(user, question, "Jawa Barat", "Langkah 3/9")
    question = await say(user, "Kota Bandung", "Langkah 4/9")
    question = await press(user, question, REGIONAL, "Langkah 4/9")
    question = await press(user, question, "media sosial", "Langkah 5/9")
    question = await press(user, question, "Hari ini", "Langkah 5/9")
    question = await press(user, question, "Pada hari kejadian", "Langkah 6/9")
    question = await say(user, "Kantor dinas", "Langkah 7/9")
    question = await say(user, "Pak Budi membagikan stiker calon kepada para guru.", "Langkah 8/9")
    question = await press(user, question, "Lewati", "Langkah 9/9")
    return await summary_after_evidence(user, question)


async def finish_report_after_position(user: FakeUser, position_question: dict[str, Any]) -> str:
    """From the (answered) position question of step 2 to submission, without evidence;
    returns the tracking code."""
    await press(user, position_question, "Lewati", "Langkah 3/9")
    summary = await summary_from_agency(user)
    assert "Budi Santoso" in text_of(summary) and "Guru SD" in text_of(summary)
    _confirmation, code = await submit(user, summary)
    return code
