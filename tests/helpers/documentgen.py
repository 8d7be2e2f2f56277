"""Real PDF fixtures, made with pikepdf at test time, carrying what word processors and
scanners write about their author: the document information dictionary, an XMP packet, and
a photo whose EXIF holds GPS coordinates and the camera."""

from __future__ import annotations

from io import BytesIO

import pikepdf

from tests.helpers import imagegen

AUTHOR = "Sari Wulandari"
XMP_PERSON = "Sari Wulandari, Jl. Melati 7 Bandung"
CREATOR = "Pemindai KameraMerk"
PRODUCER = "Microsoft Word milik Sari"


def pdf_with_author_xmp_and_photo(photo: bytes | None = None) -> bytes:
    """One page showing a JPEG; /Author, /Creator, /Producer, /Title in the information
    dictionary, the same person in an XMP packet, and EXIF (GPS, make, model) in the JPEG."""
    photo = photo if photo is not None else imagegen.jpeg_with_exif_gps(400, 300)
    pdf = pikepdf.new()
    pdf.docinfo["/Author"] = AUTHOR
    pdf.docinfo["/Creator"] = CREATOR
    pdf.docinfo["/Producer"] = PRODUCER
    pdf.docinfo["/Title"] = "Bukti untuk Bawaslu"
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp["dc:creator"] = [XMP_PERSON]
        xmp["xmp:CreatorTool"] = CREATOR
    image = pikepdf.Stream(pdf, photo)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = 400, 300
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.DCTDecode
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 400, 300],
        Contents=pikepdf.Stream(pdf, b"q 400 0 0 300 0 0 cm /Photo Do Q"),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Photo=image)),
        PieceInfo=pikepdf.Dictionary(
            Illustrator=pikepdf.Dictionary(Private=pikepdf.String(AUTHOR))
        ),
    )
    pdf.pages.append(pikepdf.Page(page))
    output = BytesIO()
    pdf.save(output)
    return output.getvalue()


def password_protected_pdf() -> bytes:
    source = pikepdf.open(BytesIO(pdf_with_author_xmp_and_photo()))
    output = BytesIO()
    source.save(output, encryption=pikepdf.Encryption(user="rahasia", owner="rahasia-juga"))
    return output.getvalue()


def pdf_with_garbage_structure() -> bytes:
    """A PDF header, then nothing a reader can rebuild a document from: the objects, the
    cross-reference table and the trailer are noise."""
    noise = bytes((index * 73 + 41) % 251 for index in range(4000))
    return b"%PDF-1.7\n" + noise + b"\nxref\n0 9\ngarbage garbage\nstartxref\n999999\n%%EOF\n"
