"""Finding a usable ffmpeg (and ffprobe), and learning what it can do before a job needs it.

The binary: a setting, else ``ffmpeg`` on PATH, else the one bundled with the ``imageio-ffmpeg``
wheel. ffprobe is optional (the imageio-ffmpeg wheel has none): probing then parses ffmpeg's own
banner. :func:`load_tools` runs the binary once to check that it works and to read its encoders
and protocols, so a job can say "this ffmpeg has no libx264" up front instead of failing midway.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from file_storage.errors import MediaToolError

INSTALL_HINT = (
    "Install it (Debian/Ubuntu: 'sudo apt-get install ffmpeg'; macOS: 'brew install ffmpeg'; "
    "or 'pip install imageio-ffmpeg'), or set STORAGE_FFMPEG_PATH."
)
#: Seconds a ``-version``/``-encoders`` run may take before the binary counts as unusable.
TOOL_CHECK_TIMEOUT = 20.0


def find_ffmpeg(configured: str | Path | None = None) -> Path:
    """Return the ffmpeg binary to use.

    Args:
        configured: An explicit path (a setting); it must exist and be executable.

    Raises:
        MediaToolError: No ffmpeg was found; the message names what to install.
    """
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise MediaToolError(
            f"The configured ffmpeg {path} does not exist or cannot run. {INSTALL_HINT}"
        )
    on_path = shutil.which("ffmpeg")
    if on_path:
        return Path(on_path)
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped]

        return Path(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise MediaToolError(f"ffmpeg was not found. {INSTALL_HINT}") from exc


def find_ffprobe(configured: str | Path | None = None, ffmpeg: Path | None = None) -> Path | None:
    """Return ffprobe: the setting, else the one beside ``ffmpeg``, else on PATH, else ``None``."""
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise MediaToolError(f"The configured ffprobe {path} does not exist or cannot run.")
    if ffmpeg is not None:
        beside = ffmpeg.with_name(ffmpeg.name.replace("ffmpeg", "ffprobe"))
        if beside != ffmpeg and beside.is_file() and os.access(beside, os.X_OK):
            return beside
    on_path = shutil.which("ffprobe")
    return Path(on_path) if on_path else None


@dataclass(frozen=True)
class FFmpegTools:
    """A checked ffmpeg, its optional ffprobe, and what the build supports.

    Attributes:
        ffmpeg: The ffmpeg binary.
        ffprobe: The ffprobe binary, or ``None`` (probing parses ffmpeg's output instead).
        version: ffmpeg's version string ("5.1.6-0+deb12u1", "7.1").
        encoders: Names of the encoders the build has ("libx264", "aac", ...).
        input_protocols: Protocols ffmpeg can read ("file", "http", "https", ...).
    """

    ffmpeg: Path
    ffprobe: Path | None
    version: str
    encoders: frozenset[str]
    input_protocols: frozenset[str]

    def require_encoder(self, encoder: str, purpose: str) -> None:
        """Raise :class:`MediaToolError` unless the build has ``encoder``."""
        if encoder not in self.encoders:
            raise MediaToolError(
                f"This ffmpeg ({self.ffmpeg}, version {self.version}) has no {encoder} encoder, "
                f"which {purpose} needs. Install a full ffmpeg build (Debian/Ubuntu: 'sudo apt-get "
                "install ffmpeg'; or 'pip install imageio-ffmpeg') and set STORAGE_FFMPEG_PATH."
            )

    def can_read(self, url: str) -> bool:
        """Whether ffmpeg can open ``url`` itself (its scheme is a built-in input protocol)."""
        scheme = url.split(":", 1)[0].lower()
        return scheme in self.input_protocols


async def _run_capture(*args: str) -> tuple[int, str]:
    """Run a short command and return (exit status, stdout + stderr as text)."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), TOOL_CHECK_TIMEOUT)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return process.returncode or 0, output.decode("utf-8", "replace")


_ENCODER_LINE = re.compile(r"^\s*[VAS][F.][S.][X.][B.][D.]\s+(\S+)", re.MULTILINE)


def parse_encoders(text: str) -> frozenset[str]:
    """Encoder names from ``ffmpeg -encoders`` ("V....D libx264  libx264 H.264 ...")."""
    return frozenset(m.group(1) for m in _ENCODER_LINE.finditer(text) if m.group(1) != "=")


def parse_input_protocols(text: str) -> frozenset[str]:
    """Input protocol names from ``ffmpeg -protocols`` (the block before "Output:")."""
    names: set[str] = set()
    in_input = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Input:"):
            in_input = True
        elif line.startswith("Output:"):
            break
        elif in_input and line:
            names.add(line)
    return frozenset(names)


async def load_tools(
    ffmpeg_path: str | Path | None = None, ffprobe_path: str | Path | None = None
) -> FFmpegTools:
    """Find ffmpeg and ffprobe and check that ffmpeg runs; read its encoders and protocols.

    Raises:
        MediaToolError: ffmpeg is missing or cannot run (a wrong architecture, a broken build);
            the message says what to install.
    """
    ffmpeg = find_ffmpeg(ffmpeg_path)
    ffprobe = find_ffprobe(ffprobe_path, ffmpeg)
    try:
        status, version_text = await _run_capture(str(ffmpeg), "-hide_banner", "-version")
        if status != 0:
            raise MediaToolError(
                f"ffmpeg at {ffmpeg} does not run (exit status {status}). {INSTALL_HINT}"
            )
        _, encoders_text = await _run_capture(str(ffmpeg), "-hide_banner", "-encoders")
        _, protocols_text = await _run_capture(str(ffmpeg), "-hide_banner", "-protocols")
    except (OSError, TimeoutError) as exc:
        raise MediaToolError(f"ffmpeg at {ffmpeg} cannot run ({exc}). {INSTALL_HINT}") from exc
    match = re.search(r"ffmpeg version (\S+)", version_text)
    return FFmpegTools(
        ffmpeg=ffmpeg,
        ffprobe=ffprobe,
        version=match.group(1) if match else "unknown",
        encoders=parse_encoders(encoders_text),
        input_protocols=parse_input_protocols(protocols_text),
    )
