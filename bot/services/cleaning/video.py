"""Videos without what the container says about where, when and with what they were shot:
Android's location atom (moov/udta/©xyz), Apple's keys (com.apple.quicktime.location.ISO6709,
make, model, software), creation times, handler names, and tracks that are neither
pictures nor sound (timed metadata, a drone's GPS subtitles, chapters, attachments).

The streams are copied packet for packet into a fresh container of the same family, never
decoded or re-encoded: quality is untouched, a 20 MB video takes a fraction of a second,
and FFmpeg's codecs (where its worst bugs have been) never see the data. The muxer runs
bit-exact, so it writes no encoder tag of its own.

Run as `python -m bot.services.cleaning.video MEMORY CPU CONTAINER` (see runner.py)."""

from __future__ import annotations

from io import BytesIO

import av

from bot.services.cleaning.child import CannotClean, serve

# The demuxer is named, never probed: probing could pick a playlist demuxer that follows
# references to other files or URLs.
_DEMUXERS = {"mp4": "mov", "mov": "mov", "3gp": "mov", "webm": "matroska", "mkv": "matroska"}
_MUXERS = {"mp4": "mp4", "mov": "mov", "3gp": "3gp", "webm": "webm", "mkv": "matroska"}


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
                targets = {stream.index: output.add_stream_from_template(stream) for stream in kept}
                for packet in source.demux(kept):
                    if packet.size == 0:  # the end-of-stream marker, not data
                        continue
                    packet.stream = targets[packet.stream.index]
                    output.mux(packet)
        except (av.FFmpegError, ValueError, OSError) as error:
            raise CannotClean("remux failed") from error
    cleaned = output_buffer.getvalue()
    if not cleaned:
        raise CannotClean("remux failed")
    return cleaned


if __name__ == "__main__":
    serve(lambda data, arguments: clean_video(data, arguments[0]))
