"""PDFs without the metadata that names their author or their machine: the document
information dictionary (/Author, /Creator, /Producer, /Title, dates), XMP packets (the
catalog's and any other object's /Metadata), applications' private /PieceInfo, the author
of each comment (/T of markup annotations), the EXIF of embedded JPEG pictures, attached
files with their names and descriptions, JavaScript, and what was typed into forms.

Run as `python -m bot.services.cleaning.pdf MEMORY CPU` (see runner.py): qpdf, through
pikepdf, parses the reporter's file in this child process only. Saved with a deterministic
/ID, so the file's identifier is derived from its content, not from the machine and time
that wrote it, and the same upload gives the same stored file."""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO

import pikepdf

from bot.services.cleaning.child import CannotClean, serve
from bot.services.cleaning.jpeg_segments import MalformedJpeg, strip_jpeg_metadata

# /AF (associated files) may sit on any object, and /EF and /RF are where a file
# specification keeps its bytes: dropping them everywhere leaves no attached file
# reachable, whatever refers to its file specification. /JS is JavaScript, in any action.
_PRIVATE_KEYS = ("/Metadata", "/PieceInfo", "/AF", "/EF", "/RF", "/JS")
# Catalog entries that exist only for attachments, scripts, media or signatures: a
# portfolio's layout (/Collection), the signer's certificates and revocation data (/DSS),
# and the signature references that would keep a removed signature's dictionary (/Perms).
_CATALOG_KEYS = ("/Collection", "/DSS", "/Perms")
_NAME_TREES = ("/EmbeddedFiles", "/JavaScript", "/Renditions", "/AlternatePresentations")
# Annotations that carry a file or a recording rather than draw on the page: removed from
# their pages, and emptied in case something else (a structure tree) still reaches them.
_ATTACHMENT_ANNOTATIONS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
# Form fields are not flattened: what a reporter types into a form is their name, ID
# number and address far more often than evidence, and a baked-in appearance would carry
# it into the page. Values (/V, /DV, /RV; a signature's /V names the signer) and widgets'
# appearances, which draw the typed value, go; the empty form stays. /XFA holds the same
# values as XML.
_FIELD_VALUE_KEYS = ("/V", "/DV", "/RV")
_WIDGET_KEYS = ("/AP", "/AS")
# Annotations whose /T is, by convention, the name of the person who wrote the comment
# (ISO 32000 12.5.6.2). A widget's /T is its form field's name and stays.
_MARKUP_ANNOTATIONS = {
    "/Text",
    "/FreeText",
    "/Line",
    "/Square",
    "/Circle",
    "/Polygon",
    "/PolyLine",
    "/Highlight",
    "/Underline",
    "/Squiggly",
    "/StrikeOut",
    "/Stamp",
    "/Caret",
    "/Ink",
    "/FileAttachment",
    "/Sound",
    "/Redact",
}


def clean_pdf(data: bytes) -> bytes:
    try:
        pdf = pikepdf.open(BytesIO(data))
    except pikepdf.PasswordError as error:
        raise CannotClean("encrypted") from error
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise CannotClean("unreadable") from error
    with pdf:
        try:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            _clean_catalog(pdf.Root)
            for item in pdf.objects:
                _clean_object(pdf, item)
            output = BytesIO()
            # encryption=False: a file that opened without a password is saved without one,
            # so nothing (an encrypted copy of the old metadata, say) stays unreadable to us.
            pdf.save(output, deterministic_id=True, encryption=False)
        except (pikepdf.PdfError, MalformedJpeg, ValueError, RuntimeError) as error:
            raise CannotClean("unreadable") from error
    return output.getvalue()


def _clean_object(pdf: pikepdf.Pdf, item: pikepdf.Object) -> None:
    """Clean one indirect object and the direct dictionaries and arrays inside it (indirect
    ones are reached on their own as `pdf.objects` lists every object)."""
    pending = [item]
    while pending:
        current = pending.pop()
        if isinstance(current, pikepdf.Array):
            pending.extend(_direct_containers(current))
            continue
        if not isinstance(current, pikepdf.Dictionary | pikepdf.Stream):
            continue
        _remove_keys(current, _PRIVATE_KEYS)
        # Every /Annots, not only those of pages the page tree reaches.
        _drop_attachment_annotations(current)
        subtype = current.get("/Subtype")
        if subtype in _MARKUP_ANNOTATIONS and "/T" in current:
            del current["/T"]
        # A comment's pop-up may carry its author too; a bead's /T is its thread, kept.
        if subtype == "/Popup" and isinstance(current.get("/T"), pikepdf.String):
            del current["/T"]
        # An article thread's information dictionary: its /Author, /Title, dates.
        if current.get("/Type") == "/Thread":
            _remove_keys(current, ("/I",))
        if (
            isinstance(current, pikepdf.Dictionary)
            and subtype in _ATTACHMENT_ANNOTATIONS
            and "/Rect" in current
        ):
            _remove_keys(current, _keys_except(current, ("/Type", "/Subtype", "/Rect")))
        if "/FT" in current:
            _remove_keys(current, _FIELD_VALUE_KEYS)
        if subtype == "/Widget":
            _remove_keys(current, _WIDGET_KEYS)
        if isinstance(current, pikepdf.Stream) and current.get("/Subtype") == "/Image":
            _strip_jpeg(pdf, current)
        pending.extend(_direct_containers(current.values()))


def _clean_catalog(catalog: pikepdf.Dictionary) -> None:
    _remove_keys(catalog, _CATALOG_KEYS)
    # Article threads' information dictionaries; a thread need not say /Type /Thread.
    threads = catalog.get("/Threads")
    if isinstance(threads, pikepdf.Array):
        for thread in threads:
            if isinstance(thread, pikepdf.Dictionary):
                _remove_keys(thread, ("/I",))
    names = catalog.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        _remove_keys(names, _NAME_TREES)
    form = catalog.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        _remove_keys(form, ("/XFA",))
        _clear_field_values(form.get("/Fields"))


def _clear_field_values(fields: object) -> None:
    """Walk the field tree: a parent field's /V is inherited by its kids and need not carry
    /FT, so the object pass alone would miss it."""
    pending = [fields]
    seen: set[tuple[int, int]] = set()
    while pending:
        current = pending.pop()
        if isinstance(current, pikepdf.Array):
            pending.extend(current)
            continue
        if not isinstance(current, pikepdf.Dictionary):
            continue
        if current.is_indirect:
            if current.objgen in seen:  # a /Kids loop in a hostile file
                continue
            seen.add(current.objgen)
        _remove_keys(current, _FIELD_VALUE_KEYS)
        pending.append(current.get("/Kids"))


def _drop_attachment_annotations(holder: pikepdf.Dictionary | pikepdf.Stream) -> None:
    annotations = holder.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    kept = [
        annotation
        for annotation in annotations
        if not (
            isinstance(annotation, pikepdf.Dictionary)
            and annotation.get("/Subtype") in _ATTACHMENT_ANNOTATIONS
        )
    ]
    if len(kept) != len(annotations):
        holder.Annots = pikepdf.Array(kept)


def _keys_except(item: pikepdf.Dictionary, kept: tuple[str, ...]) -> list[str]:
    return [key for key in item if key not in kept]


def _remove_keys(item: pikepdf.Dictionary | pikepdf.Stream, keys: Iterable[str]) -> None:
    for key in keys:
        if key in item:
            del item[key]


def _direct_containers(values: Iterable[object]) -> list[pikepdf.Object]:
    return [
        value
        for value in values
        if isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect
    ]


def _strip_jpeg(pdf: pikepdf.Pdf, image: pikepdf.Stream) -> None:
    filters = image.get("/Filter")
    chain = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
    if not chain or chain[-1] != "/DCTDecode":
        return
    if len(chain) == 1:
        jpeg = image.read_raw_bytes()
    else:
        # A JPEG wrapped in other filters (Flate, ASCII85, ...): undo those through a
        # scratch stream carrying only them, so the JPEG itself is never decoded.
        wrapped = pikepdf.Stream(pdf, image.read_raw_bytes())
        wrapped.Filter = pikepdf.Array(chain[:-1])
        parameters = image.get("/DecodeParms")
        if isinstance(parameters, pikepdf.Array):
            wrapped.DecodeParms = pikepdf.Array(list(parameters)[:-1])
        jpeg = wrapped.read_bytes()
    image.write(strip_jpeg_metadata(jpeg), filter=pikepdf.Name.DCTDecode)
    if "/DecodeParms" in image:
        del image["/DecodeParms"]


if __name__ == "__main__":
    serve(lambda data, _arguments: clean_pdf(data))
