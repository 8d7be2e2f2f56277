"""Real video fixtures, encoded with PyAV at test time, carrying the metadata phones write:
Android's location atom (moov/udta/©xyz) and manufacturer keys, Apple's QuickTime keys
(location, make, model, software), and a dashcam's GPS fix inside the H.264 stream."""

from __future__ import annotations

import struct
from fractions import Fraction
from io import BytesIO

import av
from av.bitstream import BitStreamFilterContext
from PIL import Image

# Bandung, as ISO 6709 strings the way Android and iPhone write them.
ANDROID_LOCATION = b"-06.9147+107.6098/"
APPLE_LOCATION = "-06.9147+107.6098+012.500/"
ANDROID_KEYS = {"com.android.manufacturer": "KameraMerk", "com.android.model": "Model X1"}
APPLE_KEYS = {
    "com.apple.quicktime.location.ISO6709": APPLE_LOCATION,
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro milik Sari",
    "com.apple.quicktime.software": "17.4.1",
    "com.apple.quicktime.creationdate": "2026-11-20T09:15:00+0700",
}


def encoded(
    container: str,
    *,
    codec: str = "libx264",
    audio: str | None = "aac",
    metadata: dict[str, str] | None = None,
    frames: int = 12,
    size: tuple[int, int] = (160, 120),
    options: dict[str, str] | None = None,
) -> bytes:
    """A short clip of changing colour (and silence), as `container`."""
    output = BytesIO()
    with av.open(output, mode="w", format=container, options=options or {}) as muxer:
        for key, value in (metadata or {}).items():
            muxer.metadata[key] = value
        video = muxer.add_stream(codec, rate=10)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.metadata["handler_name"] = "KameraMerk Video"
        sound = muxer.add_stream(audio, rate=48_000, layout="mono") if audio else None
        for number in range(frames):
            picture = Image.new("RGB", size, (number * 20 % 256, 90, 160))
            for packet in video.encode(av.VideoFrame.from_image(picture)):
                muxer.mux(packet)
        for packet in video.encode():
            muxer.mux(packet)
        if sound is not None:
            for packet in _silence(sound, seconds=frames / 10):
                muxer.mux(packet)
    return output.getvalue()


# Some dashcams and camcorders write their GPS fix into the picture stream itself, as SEI
# "user data unregistered" messages: a 16-byte UUID, then their own payload. No comma or
# colon: the bitstream filter's option syntax would split on them.
DASHCAM_GPS = b"GPS S06.9147 E107.6098 KameraMerk DC-1"
_DASHCAM_UUID = "4b616d65-7261-4d65-726b-204443203100"


def dashcam_mp4() -> bytes:
    """An H.264 MP4 whose video stream carries DASHCAM_GPS in an SEI message, as an MP4
    muxer copies it: inside the packets, where no container tag can reach it."""
    clip = encoded("mp4")
    source = av.open(BytesIO(clip), format="mov")
    output = BytesIO()
    with source, av.open(output, mode="w", format="mp4") as muxer:
        targets = {
            stream.index: muxer.add_stream_from_template(stream) for stream in source.streams
        }
        video = source.streams.video[0]
        inserter = BitStreamFilterContext(
            f"h264_metadata=sei_user_data={_DASHCAM_UUID}+{DASHCAM_GPS.decode()}",
            video,
            targets[video.index],
        )
        for packet in source.demux():
            if packet.size == 0:
                continue
            index = packet.stream.index
            for written in inserter.filter(packet) if index == video.index else [packet]:
                written.stream = targets[index]
                muxer.mux(written)
    return output.getvalue()


def _silence(stream: av.audio.stream.AudioStream, seconds: float) -> list[av.Packet]:
    packets = []
    samples = 1024
    for start in range(0, int(48_000 * seconds), samples):
        frame = av.AudioFrame(format=stream.format.name, layout="mono", samples=samples)
        frame.sample_rate = 48_000
        frame.pts = start
        frame.time_base = Fraction(1, 48_000)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        packets.extend(stream.encode(frame))
    packets.extend(stream.encode())
    return packets


def android_mp4() -> bytes:
    """An MP4 as an Android phone writes it: manufacturer keys, and the location in a
    ©xyz atom in moov/udta (added by hand: FFmpeg writes 3GPP `loci` instead)."""
    clip = encoded("mp4", metadata=ANDROID_KEYS, options={"movflags": "+use_metadata_tags"})
    length_and_language = struct.pack(">HH", len(ANDROID_LOCATION), 0x15C7)
    xyz = _box(b"\xa9xyz", length_and_language + ANDROID_LOCATION)
    return _append_to_moov(clip, _box(b"udta", xyz))


def iphone_mov() -> bytes:
    """A MOV with Apple's QuickTime keys in moov/meta (location, make, model, software)."""
    return encoded("mov", metadata=APPLE_KEYS, options={"movflags": "+use_metadata_tags"})


def webm_video() -> bytes:
    return encoded(
        "webm", codec="libvpx-vp9", audio="libopus", metadata={"title": "Rekaman KameraMerk"}
    )


def matroska_video() -> bytes:
    return encoded("matroska", metadata={"title": "Rekaman KameraMerk"})


def truncated_mp4() -> bytes:
    """The first half of a phone video: the index (moov), written last, is gone."""
    clip = android_mp4()
    return clip[: len(clip) // 2]


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _append_to_moov(clip: bytes, extra: bytes) -> bytes:
    """`extra` added at the end of the top-level moov box. FFmpeg writes moov after the
    media data, so no sample offset moves."""
    position = 0
    while position < len(clip):
        (size,) = struct.unpack(">I", clip[position : position + 4])
        if clip[position + 4 : position + 8] == b"moov":
            assert position + size == len(clip), "moov is the last box"
            grown = struct.pack(">I", size + len(extra)) + clip[position + 4 : position + size]
            return clip[:position] + grown + extra
        position += size
    raise AssertionError("no moov box")
