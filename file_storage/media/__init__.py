"""Media jobs (probe, thumbnail, extract audio, transcode) on stored recordings, with ffmpeg."""

from file_storage.media.cache import MediaInfoCache, default_cache_dir, version_keys
from file_storage.media.info import MediaInfo, format_duration
from file_storage.media.jobs import MediaJobs, MediaProgress, MediaResult
from file_storage.media.recipes import AUDIO_FORMATS, DEFAULT_PRESET, PRESETS, TranscodePreset
from file_storage.media.tools import FFmpegTools, find_ffmpeg, find_ffprobe, load_tools

__all__ = [
    "AUDIO_FORMATS",
    "DEFAULT_PRESET",
    "PRESETS",
    "FFmpegTools",
    "MediaInfo",
    "MediaInfoCache",
    "MediaJobs",
    "MediaProgress",
    "MediaResult",
    "TranscodePreset",
    "default_cache_dir",
    "find_ffmpeg",
    "find_ffprobe",
    "format_duration",
    "load_tools",
    "version_keys",
]
