"""The ffmpeg arguments of each job, as pure functions of the probed input and the options.

Keeping them pure keeps them testable without ffmpeg, and keeps every choice in one place:
H.264 + AAC with ``+faststart`` (playable while downloading) for video, AAC or MP3 for audio,
a JPEG poster frame for thumbnails. Nothing is ever upscaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from file_storage.errors import MediaInputError
from file_storage.media.info import MediaInfo

AudioFormat = Literal["m4a", "mp3"]
AUDIO_FORMATS: tuple[AudioFormat, ...] = ("m4a", "mp3")
#: A thumbnail at 10 % of the video skips black intros and title cards.
DEFAULT_THUMBNAIL_FRACTION = 0.10
DEFAULT_THUMBNAIL_WIDTH = 1280


@dataclass(frozen=True)
class TranscodePreset:
    """A named H.264 + AAC output.

    Attributes:
        name: What users type ("720p").
        max_height: Frames taller than this are scaled down (aspect kept); ``None`` keeps the
            source's resolution.
        crf: x264 constant rate factor (lower: better and bigger).
        audio_bitrate: AAC bit rate ("128k").
        x264_preset: x264 speed/size trade-off.
    """

    name: str
    max_height: int | None
    crf: int
    audio_bitrate: str
    x264_preset: str = "medium"
    description: str = ""


PRESETS: dict[str, TranscodePreset] = {
    p.name: p
    for p in (
        TranscodePreset("1080p", 1080, 21, "160k", description="Full HD, for the main player"),
        TranscodePreset("720p", 720, 22, "128k", description="HD, the usual web rendition"),
        TranscodePreset("480p", 480, 23, "96k", description="Small, for slow connections"),
        TranscodePreset("source", None, 21, "160k", description="Keep the source's resolution"),
    )
}
DEFAULT_PRESET = "720p"


def preset_named(name: str) -> TranscodePreset:
    """Return the preset called ``name``, or raise a :class:`MediaInputError` listing them."""
    try:
        return PRESETS[name]
    except KeyError:
        raise MediaInputError(
            f"Unknown transcode preset {name!r}; choose one of {', '.join(PRESETS)}."
        ) from None


def _require_video(info: MediaInfo, what: str, job: str) -> None:
    if not info.has_video:
        raise MediaInputError(f"{what} has no video stream, so it cannot be used for {job}.")


def thumbnail_time(info: MediaInfo, at: float | None, fraction: float | None) -> float:
    """Seconds into the video for the poster frame: ``at``, else ``fraction`` of the duration.

    Raises:
        MediaInputError: The time is negative or past the end.
    """
    if at is not None:
        if at < 0 or (info.duration is not None and at >= info.duration):
            raise MediaInputError(
                f"The thumbnail time {at:g} s is outside the video (0 to {info.duration or 0:g} s)."
            )
        return at
    share = DEFAULT_THUMBNAIL_FRACTION if fraction is None else fraction
    if not 0 <= share < 1:
        raise MediaInputError(f"The thumbnail position must be from 0 to 1, not {share:g}.")
    return (info.duration or 0.0) * share


def thumbnail_args(
    source: str,
    output: str,
    info: MediaInfo,
    at_seconds: float,
    width: int,
    input_options: list[str],
) -> list[str]:
    """One JPEG frame at ``at_seconds`` (fast input seek), at most ``width`` pixels wide."""
    _require_video(info, source, "a thumbnail")
    if width < 16:
        raise MediaInputError(f"A thumbnail must be at least 16 pixels wide, not {width}.")
    return [
        *input_options,
        "-ss",
        f"{at_seconds:.3f}",
        "-i",
        source,
        "-map",
        "0:v:0",
        "-frames:v",
        "1",
        "-vf",
        # JPEG has no even-size rule: -1 keeps the aspect ratio exactly (321x241 stays so).
        f"scale='min({width},iw)':-1",
        "-q:v",
        "3",
        "-f",
        "image2",
        "-update",
        "1",
        "-y",
        output,
    ]


def audio_args(source: str, output: str, info: MediaInfo, audio_format: AudioFormat) -> list[str]:
    """The first audio stream as AAC in M4A or as MP3; copied when it already is that codec."""
    if not info.has_audio:
        raise MediaInputError(f"{source} has no audio stream to extract.")
    if audio_format == "m4a":
        codec = ["-c:a", "copy"] if info.audio_codec == "aac" else ["-c:a", "aac", "-b:a", "160k"]
        container = ["-movflags", "+faststart", "-f", "ipod"]
    elif audio_format == "mp3":
        codec = (
            ["-c:a", "copy"] if info.audio_codec == "mp3" else ["-c:a", "libmp3lame", "-q:a", "2"]
        )
        container = ["-f", "mp3"]
    else:
        raise MediaInputError(f"Unknown audio format {audio_format!r}; use m4a or mp3.")
    return ["-i", source, "-map", "0:a:0", "-vn", "-sn", "-dn", *codec, *container, "-y", output]


def transcode_args(source: str, output: str, info: MediaInfo, preset: TranscodePreset) -> list[str]:
    """H.264 (yuv420p, even dimensions) + AAC in MP4 with the index up front (``+faststart``)."""
    _require_video(info, source, "a video transcode")
    if preset.max_height is not None:
        # Never upscale; H.264 (yuv420p) needs even sizes: the height is rounded down to even,
        # and -2 gives the width that keeps the aspect ratio, rounded to even.
        scale = f"scale=-2:'min({preset.max_height},trunc(ih/2)*2)'"
    else:
        scale = "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", preset.audio_bitrate] if info.has_audio else []
    return [
        "-i",
        source,
        "-map",
        "0:v:0",
        *audio,
        "-c:v",
        "libx264",
        "-preset",
        preset.x264_preset,
        "-crf",
        str(preset.crf),
        "-pix_fmt",
        "yuv420p",
        "-vf",
        scale,
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "-y",
        output,
    ]
