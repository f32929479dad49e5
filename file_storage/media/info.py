"""What a probe tells about a media file, parsed from ffprobe's JSON or ffmpeg's own banner.

ffprobe is the better source (exact fields, JSON), but the ``imageio-ffmpeg`` wheel ships
ffmpeg alone; its ``Input #0 ...`` banner carries the same facts in a stable, if informal, form.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

#: ffmpeg's names for single-picture containers.
IMAGE_CONTAINERS = frozenset({"image2", "jpeg_pipe", "png_pipe", "webp_pipe"})


@dataclass(frozen=True)
class MediaInfo:
    """The facts the trees, the preview and the jobs need about one media file.

    Attributes:
        duration: Seconds, or ``None`` when the container does not say (a live stream dump).
        container: ffmpeg's format name ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm").
        video_codec, audio_codec: Codec names of the first video and audio stream, or ``None``.
        width, height: Pixel size of the first video stream, or ``None``.
        bit_rate: Overall bit rate in bits per second, or ``None``.
        frame_rate: Frames per second of the first video stream, or ``None``.
    """

    duration: float | None
    container: str
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int | None = None
    height: int | None = None
    bit_rate: int | None = None
    frame_rate: float | None = None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def is_image(self) -> bool:
        """A still picture (a thumbnail), whose "duration" means nothing."""
        return self.container in IMAGE_CONTAINERS or (
            self.video_codec in ("mjpeg", "png") and (self.duration is None or self.duration < 0.5)
        )

    @property
    def resolution(self) -> str:
        """``"1280x720"``, or ``""`` without video."""
        return f"{self.width}x{self.height}" if self.width and self.height else ""

    def summary(self) -> str:
        """One line for tooltips and the CLI: ``0:42 · 1280x720 · h264/aac · 2.1 Mb/s``."""
        parts = [] if self.is_image else [format_duration(self.duration)]
        if self.resolution:
            parts.append(self.resolution)
        codecs = "/".join(c for c in (self.video_codec, self.audio_codec) if c)
        if codecs:
            parts.append(codecs)
        if self.bit_rate and not self.is_image:
            rate = self.bit_rate
            parts.append(
                f"{rate / 1_000_000:.1f} Mb/s" if rate >= 1_000_000 else f"{rate // 1000} kb/s"
            )
        return " · ".join(parts)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MediaInfo:
        data = json.loads(text)
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})


def format_duration(seconds: float | None) -> str:
    """``3725.4`` -> ``"1:02:05"``; ``42`` -> ``"0:42"``; ``None`` -> ``"?"``."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number >= 0 else None  # NaN and negatives: unknown


def _rate(text: Any) -> float | None:
    """``"30000/1001"`` -> 29.97; ``"0/0"`` -> ``None``."""
    if not isinstance(text, str) or "/" not in text:
        return _number(text)
    num, _, den = text.partition("/")
    n, d = _number(num), _number(den)
    return round(n / d, 3) if n and d else None


def parse_ffprobe_json(text: str) -> MediaInfo:
    """Parse ``ffprobe -print_format json -show_format -show_streams`` output."""
    data = json.loads(text)
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _number(fmt.get("duration"))
    if duration is None and video is not None:
        duration = _number(video.get("duration"))
    bit_rate = _number(fmt.get("bit_rate"))
    return MediaInfo(
        duration=duration,
        container=str(fmt.get("format_name") or "unknown"),
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        width=int(video["width"]) if video and video.get("width") else None,
        height=int(video["height"]) if video and video.get("height") else None,
        bit_rate=int(bit_rate) if bit_rate else None,
        frame_rate=_rate(video.get("avg_frame_rate") or video.get("r_frame_rate"))
        if video
        else None,
    )


_INPUT = re.compile(r"^Input #0, (.+?), from ", re.MULTILINE)
_DURATION = re.compile(
    r"Duration: (?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)(?:, start: [^,]+)?, bitrate: (?:(\d+) kb/s|N/A)"
)
_STREAM = re.compile(r"^\s*Stream #0:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (Video|Audio): (\w+)(.*)$")
_SIZE = re.compile(r", (\d{2,5})x(\d{2,5})[ ,\[]")
_FPS = re.compile(r", (\d+(?:\.\d+)?)k? fps")


def parse_ffmpeg_banner(text: str) -> MediaInfo:
    """Parse the ``Input #0`` block ffmpeg prints for ``ffmpeg -i FILE`` (no ffprobe needed).

    Raises:
        ValueError: The text has no ``Input #0`` block (ffmpeg could not open the file).
    """
    container = _INPUT.search(text)
    if container is None:
        raise ValueError("ffmpeg did not recognise the file as media")
    duration: float | None = None
    bit_rate: int | None = None
    match = _DURATION.search(text)
    if match:
        if match.group(1) is not None:
            duration = int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
        if match.group(4):
            bit_rate = int(match.group(4)) * 1000
    fields: dict[str, Any] = {}
    for line in text.splitlines():
        stream = _STREAM.match(line)
        if stream is None:
            continue
        kind, codec, rest = stream.groups()
        if kind == "Video" and "video_codec" not in fields and "(attached pic)" not in rest:
            fields["video_codec"] = codec
            size = _SIZE.search(rest)
            if size:
                fields["width"], fields["height"] = int(size.group(1)), int(size.group(2))
            fps = _FPS.search(rest)
            if fps:
                fields["frame_rate"] = float(fps.group(1))
        elif kind == "Audio" and "audio_codec" not in fields:
            fields["audio_codec"] = codec
    return MediaInfo(duration=duration, container=container.group(1), bit_rate=bit_rate, **fields)
