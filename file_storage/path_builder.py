"""``StoragePathBuilder``: the one source of truth for where things live in the store.

```
shared/thumbnails/                      shared thumbnails
temp/                                   scratch space (never synced)
users/user_000042/recordings/<id>/      one folder per recording
    source.<ext>  video.mp4  audio.m4a  thumbnail.jpg  transcription.json
```

Every method returns a storage-relative POSIX path (a ``str``) that is identical on the local and
S3 backends. User slugs and recording IDs are validated, so a path built here is always safe.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from file_storage.errors import InvalidPathError

USER_SLUG_RE = re.compile(r"^user_\d{6}$")
RECORDING_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SOURCE_EXTENSIONS = frozenset(
    {"mp4", "mkv", "mov", "webm", "m4a", "m4v", "avi", "mp3", "wav", "ts"}
)

SHARED_THUMBNAILS = "shared/thumbnails"
TEMP = "temp"
USERS = "users"
#: What media jobs write: ``<kind>.<ext>`` in a recording folder.
MEDIA_OUTPUT_KINDS = ("thumbnail", "audio", "video")


class StoragePathBuilder:
    """Builds layout paths; ``base_path`` is only needed for local temp files.

    Args:
        base_path: The local store root, where ``create_temp_file`` puts its files.
    """

    def __init__(self, base_path: str | Path = "storage") -> None:
        self.base_path = Path(base_path)

    # ----------------------------------------------------------------- validation

    @staticmethod
    def user_slug(user_id: int) -> str:
        """Return the slug of a numeric user ID: ``42`` -> ``'user_000042'``."""
        if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 <= user_id <= 999_999:
            raise InvalidPathError(
                f"User ID must be a whole number from 0 to 999999, not {user_id!r}."
            )
        return f"user_{user_id:06d}"

    @staticmethod
    def check_user_slug(user_slug: str) -> str:
        """Return ``user_slug`` if it has the ``user_NNNNNN`` form, else raise."""
        if not isinstance(user_slug, str) or not USER_SLUG_RE.match(user_slug):
            raise InvalidPathError(
                f"User slug must look like 'user_000042' (six digits), not {user_slug!r}."
            )
        return user_slug

    @staticmethod
    def check_recording_id(recording_id: str | int) -> str:
        """Return the recording ID as text if it is 1-64 letters, digits, '-' or '_'."""
        text = (
            str(recording_id)
            if isinstance(recording_id, int) and not isinstance(recording_id, bool)
            else recording_id
        )
        if not isinstance(text, str) or not RECORDING_ID_RE.match(text):
            raise InvalidPathError(
                "Recording ID must be 1-64 ASCII letters, digits, '-' or '_' and start with a "
                f"letter or digit, not {recording_id!r}."
            )
        return text

    # ----------------------------------------------------------------- layout

    def shared_thumbnails(self) -> str:
        return SHARED_THUMBNAILS

    def shared_thumbnail(self, name: str) -> str:
        """A shared thumbnail file, e.g. ``shared/thumbnails/lecture.jpg``."""
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", name) or ".." in name:
            raise InvalidPathError(f"Thumbnail name {name!r} must be ASCII letters, digits, '.-_'.")
        return f"{SHARED_THUMBNAILS}/{name}"

    def temp_root(self) -> str:
        return TEMP

    def users_root(self) -> str:
        return USERS

    def user_root(self, user_slug: str) -> str:
        return f"{USERS}/{self.check_user_slug(user_slug)}"

    def recordings_root(self, user_slug: str) -> str:
        return f"{self.user_root(user_slug)}/recordings"

    def recording_root(self, user_slug: str, recording_id: str | int) -> str:
        return f"{self.recordings_root(user_slug)}/{self.check_recording_id(recording_id)}"

    def recording_source(
        self, user_slug: str, recording_id: str | int, extension: str = "mp4"
    ) -> str:
        """The original upload; the container decides the extension (mp4, mkv, mov, webm...)."""
        ext = extension.lower().lstrip(".")
        if ext not in SOURCE_EXTENSIONS:
            raise InvalidPathError(
                f"Unsupported source extension {extension!r}; use one of "
                f"{', '.join(sorted(SOURCE_EXTENSIONS))}."
            )
        return f"{self.recording_root(user_slug, recording_id)}/source.{ext}"

    def recording_video(self, user_slug: str, recording_id: str | int) -> str:
        return f"{self.recording_root(user_slug, recording_id)}/video.mp4"

    def recording_audio(self, user_slug: str, recording_id: str | int) -> str:
        return f"{self.recording_root(user_slug, recording_id)}/audio.m4a"

    def recording_thumbnail(self, user_slug: str, recording_id: str | int) -> str:
        return f"{self.recording_root(user_slug, recording_id)}/thumbnail.jpg"

    def recording_transcription(self, user_slug: str, recording_id: str | int) -> str:
        return f"{self.recording_root(user_slug, recording_id)}/transcription.json"

    @staticmethod
    def parse_user_slug(path: str) -> str | None:
        """Return the user slug a storage path belongs to, or ``None``."""
        parts = path.split("/")
        if len(parts) >= 2 and parts[0] == USERS and USER_SLUG_RE.match(parts[1]):
            return parts[1]
        return None

    @staticmethod
    def parse_recording(path: str) -> tuple[str, str] | None:
        """Return ``(user_slug, recording_id)`` for a path inside a recording, or ``None``."""
        parts = path.split("/")
        if (
            len(parts) >= 5
            and parts[0] == USERS
            and USER_SLUG_RE.match(parts[1])
            and parts[2] == "recordings"
            and RECORDING_ID_RE.match(parts[3])
        ):
            return parts[1], parts[3]
        return None

    def media_output(self, source_path: str, kind: str, extension: str) -> str:
        """Where a media job's output for ``source_path`` goes.

        Inside a recording folder it is the layout's file (``thumbnail.jpg``, ``audio.m4a`` or
        ``audio.mp3``, ``video.mp4``); elsewhere it sits beside the source as
        ``<stem>.<kind>.<extension>`` (``talk.thumbnail.jpg``).

        Args:
            kind: ``"thumbnail"``, ``"audio"`` or ``"video"``.
            extension: The output's extension without the dot.
        """
        if kind not in MEDIA_OUTPUT_KINDS:
            raise InvalidPathError(f"Unknown media output kind {kind!r}.")
        ext = extension.lower().lstrip(".")
        if not re.fullmatch(r"[a-z0-9]{1,8}", ext):
            raise InvalidPathError(f"Output extension {extension!r} must be 1-8 letters or digits.")
        recording = self.parse_recording(source_path)
        if recording is not None:
            return f"{self.recording_root(*recording)}/{kind}.{ext}"
        folder, _, name = source_path.rpartition("/")
        stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
        output = f"{stem}.{kind}.{ext}"
        return f"{folder}/{output}" if folder else output

    # ----------------------------------------------------------------- local scratch

    def local_temp_dir(self) -> Path:
        """The local ``temp/`` folder (created if missing)."""
        folder = self.base_path / TEMP
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def create_temp_file(self, suffix: str = "") -> Path:
        """Create an empty, uniquely named file in the local ``temp/`` folder and return it.

        The caller owns the file and must delete it (FFmpeg jobs do, even when cancelled).
        """
        if "/" in suffix or "\\" in suffix or "\x00" in suffix:
            raise InvalidPathError(f"Temp file suffix {suffix!r} may not contain a path separator.")
        fd, name = tempfile.mkstemp(suffix=suffix, prefix="leap-", dir=self.local_temp_dir())
        os.close(fd)
        return Path(name)
