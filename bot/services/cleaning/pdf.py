"""PDFs without the metadata that names their author or their machine: the document
information dictionary (/Author, /Creator, /Producer, /Title, dates), XMP packets (the
catalog's and any other object's /Metadata), applications' private /PieceInfo, the author
of each comment (/T of markup annotations), and the EXIF of embedded JPEG pictures.

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

_PRIVATE_KEYS = ("/Metadata", "/PieceInfo")
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
        for key in _PRIVATE_KEYS:
            if key in current:
                del current[key]
        if current.get("/Subtype") in _MARKUP_ANNOTATIONS and "/T" in current:
            del current["/T"]
        if isinstance(current, pikepdf.Stream) and current.get("/Subtype") == "/Image":
            _strip_jpeg(pdf, current)
        pending.extend(_direct_containers(current.values()))


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
