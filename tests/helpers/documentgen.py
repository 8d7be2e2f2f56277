"""Real PDF fixtures, made with pikepdf at test time, carrying what word processors and
scanners write about their author: the document information dictionary, an XMP packet, and
a photo whose EXIF holds GPS coordinates and the camera."""

from __future__ import annotations

from io import BytesIO

import pikepdf
from PIL import Image

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


REPORTER = "Wulan Sekartaji"
ATTACHMENT_NAME = "IMG_Wulan_Sekartaji_0812.jpg"
PAGE_CONTENT = b"BT /F1 24 Tf 20 100 Td (Bukti pelanggaran netralitas) Tj ET"


def jpeg_with_artist(artist: str = REPORTER) -> bytes:
    """A real JPEG whose EXIF Artist names the person who took it."""
    exif = Image.Exif()
    exif[0x013B] = artist  # Artist
    output = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(output, format="JPEG", exif=exif.tobytes())
    return output.getvalue()


def pdf_with_attachments_and_form() -> bytes:
    """One page of text that names no one, and the reporter's name everywhere a PDF can
    hide it beside the page: a JPEG (EXIF Artist) attached through the /EmbeddedFiles name
    tree and /AF arrays of the catalog, the page and an annotation; a FileAttachment
    annotation with its own file specification, reached from the structure tree too; form
    field values with the appearance that shows them; XFA data; and JavaScript, both named
    and run on opening. Saved with object streams, so the names are compressed in the file
    as received."""
    pdf = pikepdf.new()
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 400, 200],
        Contents=pikepdf.Stream(pdf, PAGE_CONTENT),
        Resources=pikepdf.Dictionary(
            Font=pikepdf.Dictionary(
                F1=pikepdf.Dictionary(
                    Type=pikepdf.Name.Font,
                    Subtype=pikepdf.Name.Type1,
                    BaseFont=pikepdf.Name.Helvetica,
                )
            )
        ),
    )
    pdf.pages.append(pikepdf.Page(page))
    page = pdf.pages[0].obj
    photo = jpeg_with_artist()

    filespec = pdf.make_indirect(
        pikepdf.AttachedFileSpec(
            pdf, photo, description=f"Foto dari {REPORTER}", filename=ATTACHMENT_NAME
        ).obj
    )
    pdf.Root.Names = pikepdf.Dictionary(
        EmbeddedFiles=pikepdf.Dictionary(
            Names=pikepdf.Array([pikepdf.String(ATTACHMENT_NAME), filespec])
        )
    )
    pdf.Root.AF = pikepdf.Array([filespec])
    page.AF = pikepdf.Array([filespec])

    annotation_spec = pikepdf.AttachedFileSpec(
        pdf, photo, description=f"Lampiran {REPORTER}", filename=ATTACHMENT_NAME
    )
    annotation = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.FileAttachment,
            Rect=[350, 150, 370, 170],
            FS=annotation_spec.obj,
            AF=pikepdf.Array([annotation_spec.obj]),
            Contents=pikepdf.String(f"Foto asli, {REPORTER}"),
            T=pikepdf.String(REPORTER),
        )
    )

    shown = pikepdf.Stream(pdf, f"/Tx BMC BT /Helv 10 Tf 2 4 Td ({REPORTER}) Tj ET EMC".encode())
    shown.Type = pikepdf.Name.XObject
    shown.Subtype = pikepdf.Name.Form
    shown.BBox = [0, 0, 150, 20]
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[20, 20, 170, 40],
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("nama_pelapor"),
            V=pikepdf.String(REPORTER),
            DV=pikepdf.String(REPORTER),
            AP=pikepdf.Dictionary(N=shown),
            P=page,
        )
    )
    # A parent field whose value its kid inherits: only the field tree leads to it.
    parent = pdf.make_indirect(
        pikepdf.Dictionary(T=pikepdf.String("alamat"), V=pikepdf.String(f"Rumah {REPORTER}"))
    )
    kid = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[20, 50, 170, 70],
            Parent=parent,
            P=page,
        )
    )
    parent.Kids = pikepdf.Array([kid])
    # A comment's pop-up window, which some writers sign as they sign the comment.
    popup = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Popup,
            Rect=[200, 120, 380, 190],
            T=pikepdf.String(REPORTER),
        )
    )
    page.Annots = pikepdf.Array([annotation, field, kid, popup])
    # An article thread, whose information dictionary names who wrote it (its /Type, which
    # the standard leaves optional, left out).
    thread = pdf.make_indirect(pikepdf.Dictionary(I=pikepdf.Dictionary(Author=REPORTER)))
    bead = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Bead, T=thread, P=page, R=[20, 20, 380, 180])
    )
    bead.N = bead.V = bead
    thread.F = bead
    pdf.Root.Threads = pikepdf.Array([thread])
    # A tagged PDF's structure tree reaches the annotation too, not only the page.
    pdf.Root.StructTreeRoot = pikepdf.Dictionary(
        Type=pikepdf.Name.StructTreeRoot,
        K=pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem,
            S=pikepdf.Name.Annot,
            K=pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=annotation, Pg=page),
        ),
    )
    pdf.Root.AcroForm = pikepdf.Dictionary(
        Fields=pikepdf.Array([field, parent]),
        XFA=pikepdf.Stream(pdf, f"<xfa:datasets><nama>{REPORTER}</nama></xfa:datasets>".encode()),
    )

    script = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String(f"app.alert('{REPORTER}')")
    )
    pdf.Root.Names.JavaScript = pikepdf.Dictionary(
        Names=pikepdf.Array([pikepdf.String("sapa"), pdf.make_indirect(script)])
    )
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String(f"console.println('{REPORTER}')")
    )
    output = BytesIO()
    pdf.save(output, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()
