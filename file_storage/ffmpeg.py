"""Finding a usable ffmpeg: a setting, else ``ffmpeg`` on PATH, else the imageio-ffmpeg wheel's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from file_storage.errors import ConfigurationError


def find_ffmpeg(configured: str | Path | None = None) -> Path:
    """Return the ffmpeg binary to use.

    Args:
        configured: An explicit path (a setting); it must exist and be executable.

    Raises:
        ConfigurationError: No ffmpeg was found; the message names what to install.
    """
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ConfigurationError(f"The configured ffmpeg {path} does not exist or cannot run.")
    on_path = shutil.which("ffmpeg")
    if on_path:
        return Path(on_path)
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped]

        return Path(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise ConfigurationError(
            "ffmpeg was not found. Install it (Debian/Ubuntu: 'sudo apt-get install ffmpeg'; "
            "or 'pip install imageio-ffmpeg'), or set its path in the settings."
        ) from exc
