"""Videos without what the container says about where, when and with what they were shot:
Android's location atom (moov/udta/©xyz), Apple's keys (com.apple.quicktime.location.ISO6709,
make, model, software), creation times, handler names, and tracks that are neither
pictures nor sound (timed metadata, a drone's GPS subtitles, chapters, attachments).

The streams are copied packet for packet into a fresh container of the same family, never
decoded or re-encoded: quality is untouched, a 20 MB video takes a fraction of a second,
and FFmpeg's codecs (where its worst bugs have been) never see the data. The muxer runs
bit-exact, so it writes no encoder tag of its own.

A camera can also write inside the picture stream: H.264 and HEVC carry SEI messages,
where some dashcams and camcorders put their GPS fix and recording time and encoders
their name and settings. FFmpeg's `filter_units` bitstream filter drops
those units from each packet, and codec_headers.py from the stream's header; both parse
only the units' framing, never the pictures. No decoder needs them to show the video.

Run as `python -m bot.services.cleaning.video MEMORY CPU CONTAINER` (see runner.py)."""

from __future__ import annotations

from io import BytesIO

import av
from av.bitstream import BitStreamFilterContext

from bot.services.cleaning.child import CannotClean, serve
from bot.services.cleaning.codec_headers import without_sei

# The demuxer is named, never probed: probing could pick a playlist demuxer that follows
# references to other files or URLs.
_DEMUXERS = {"mp4": "mov", "mov": "mov", "3gp": "mov", "webm": "matroska", "mkv": "matroska"}
_MUXERS = {"mp4": "mp4", "mov": "mov", "3gp": "3gp", "webm": "webm", "mkv": "matroska"}
# The SEI units' types: H.264's (6), HEVC's prefix and suffix (39, 40). VP8 and VP9 have
# no such units.
_SEI_UNITS = {"h264": "6", "hevc": "39|40"}


def clean_video(data: bytes, container: str) -> bytes:
    try:
        source = av.open(BytesIO(data), mode="r", format=_DEMUXERS[container])
    except (av.FFmpegError, ValueError, OSError) as error:
        raise CannotClean("unreadable") from error
    with source:
        kept = [stream for stream in source.streams if stream.type in ("video", "audio")]
        if not kept:
            raise CannotClean("no pictures or sound")
        output_buffer = BytesIO()
        try:
            with av.open(
                output_buffer,
                mode="w",
                format=_MUXERS[container],
                container_options={"fflags": "+bitexact"},
            ) as output:
                # A copy of the codec parameters only: the stream's metadata (language,
                # handler and vendor names, creation time) is not carried over.
                targets = {
                    stream.index: output.add_stream_from_template(stream, opaque=True)
                    for stream in kept
                }
                # Made before the first packet is muxed, since each one writes its codec
                # parameters into its output stream, and the muxer takes them from there.
                filters = {
                    stream.index: BitStreamFilterContext(
                        f"filter_units=remove_types={_SEI_UNITS[codec]}",
                        stream,
                        targets[stream.index],
                    )
                    for stream in kept
                    if (codec := stream.codec.canonical_name) in _SEI_UNITS
                }
                for index in filters:
                    # filter_units passes the stream's header on as it was.
                    context = targets[index].codec_context
                    context.extradata = without_sei(
                        source.streams[index].codec.canonical_name, context.extradata
                    )
                for packet in source.demux(kept):
                    if packet.size == 0:  # the end-of-stream marker, not data
                        continue
                    index = packet.stream.index
                    filtered = filters[index].filter(packet) if index in filters else [packet]
                    for cleaned_packet in filtered:
                        cleaned_packet.stream = targets[index]
                        output.mux(cleaned_packet)
                for index, stream_filter in filters.items():
                    for cleaned_packet in stream_filter.filter(None):  # what it still holds
                        cleaned_packet.stream = targets[index]
                        output.mux(cleaned_packet)
        except (av.FFmpegError, ValueError, OSError) as error:
            raise CannotClean("remux failed") from error
    cleaned = output_buffer.getvalue()
    if not cleaned:
        raise CannotClean("remux failed")
    return cleaned


if __name__ == "__main__":
    serve(lambda data, arguments: clean_video(data, arguments[0]))
