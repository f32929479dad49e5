"""Sync pairs: which folders of a store sync by themselves, which way, and how often.

A pair names one folder of the local store (``users/user_000042/recordings``); the same path
under the bucket's prefix is its other side, exactly as a manual sync of that folder compares
them. Pairs are kept per store in their own small JSON file, ``sync-pairs.json``, beside the sync
index (by default the app's data folder), keyed by the store's pair id
(:func:`~file_storage.sync.index.pair_id`: the local folder and the bucket/prefix), so each
connection profile has its own list and profiles that point at the same store share it.

The file is written atomically (temp file, fsync, rename); an unreadable file is reported, never
overwritten silently.
"""

from __future__ import annotations

import enum
import json
import os
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from file_storage.errors import StorageError
from file_storage.sync.compare import is_excluded
from file_storage.sync.plan import SyncMode

PAIRS_FILE_NAME = "sync-pairs.json"
FORMAT_VERSION = 1
#: Shortest interval between remote listings a pair may ask for (seconds).
MIN_INTERVAL_S = 1.0


class PairMode(enum.StrEnum):
    """The directions a pair may run (the engine's non-mirror modes)."""

    UPLOAD = "upload"
    TWO_WAY = "two-way"
    DOWNLOAD = "download"

    @property
    def sync_mode(self) -> SyncMode:
        return SyncMode(self.value)

    @property
    def watches_local(self) -> bool:
        """Local changes start a run (everything but download-only)."""
        return self is not PairMode.DOWNLOAD


class PairError(StorageError):
    """The pairs file cannot be read or written, or a pair is not valid."""


def clean_folder(folder: str) -> str:
    """``folder`` as a store path (no leading/trailing slashes), or raise ``PairError``."""
    cleaned = folder.strip().strip("/")
    parts = cleaned.split("/") if cleaned else []
    if any(part in ("", ".", "..") for part in parts):
        raise PairError(f"{folder!r} is not a folder path inside the store.")
    if cleaned and is_excluded(cleaned):
        raise PairError("temp/ is the store's scratch space and never syncs.")
    return cleaned


@dataclass(frozen=True)
class SyncPair:
    """One folder that syncs by itself.

    Attributes:
        folder: The folder inside the store ("" = the whole store); the same path in the bucket.
        mode: Which way files go.
        interval_s: Seconds between listings of the bucket (remote changes); local changes
            start a run as soon as the changed files are complete.
        media_after_upload: Make the thumbnail and the audio of each uploaded recording.
        enabled: A disabled pair keeps its settings but does not run.
        id: Stable identity (edits keep it).
    """

    folder: str
    mode: PairMode = PairMode.UPLOAD
    interval_s: float = 300.0
    media_after_upload: bool = True
    enabled: bool = True
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", clean_folder(self.folder))
        object.__setattr__(self, "mode", PairMode(self.mode))
        if not self.interval_s >= MIN_INTERVAL_S:
            raise PairError(f"The interval must be at least {MIN_INTERVAL_S:g} s.")

    @property
    def name(self) -> str:
        """How the pair is shown: its folder, ``/`` for the whole store."""
        return self.folder or "/"

    def contains(self, path: str) -> bool:
        """True when the store path ``path`` lies inside this pair's folder."""
        return not self.folder or path == self.folder or path.startswith(self.folder + "/")

    def edited(self, **changes: Any) -> SyncPair:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = self.mode.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncPair:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        try:
            return cls(**known)
        except (TypeError, ValueError) as exc:
            raise PairError(f"A sync pair in the pairs file is not valid: {exc}") from exc


def overlapping(pairs: list[SyncPair]) -> tuple[SyncPair, SyncPair] | None:
    """Two enabled pairs whose folders nest (the same file would sync twice), or None."""
    enabled = [pair for pair in pairs if pair.enabled]
    for i, first in enumerate(enabled):
        for second in enabled[i + 1 :]:
            if first.contains(second.folder) or second.contains(first.folder):
                return first, second
    return None


class PairStore:
    """The pairs of every store, in one JSON file.

    Args:
        path: The ``sync-pairs.json`` file (need not exist yet).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stores: dict[str, list[SyncPair]] = {}
        self._loaded = False

    @classmethod
    def beside(cls, index_path: Path) -> PairStore:
        """The pairs file in the folder of the sync index."""
        return cls(index_path.parent / PAIRS_FILE_NAME)

    def load(self) -> PairStore:
        """Read the file (a missing file is an empty list).

        Raises:
            PairError: The file exists but cannot be read or is not a pairs file.
        """
        self._stores = {}
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._loaded = True
            return self
        except OSError as exc:
            raise PairError(f"Cannot read the sync pairs file {self.path}: {exc}") from exc
        try:
            stores = json.loads(raw)["stores"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PairError(f"The sync pairs file {self.path} is not readable: {exc}") from exc
        if not isinstance(stores, dict):
            raise PairError(f"The sync pairs file {self.path} is not readable: no 'stores'.")
        for key, items in stores.items():
            self._stores[str(key)] = [SyncPair.from_json(item) for item in items]
        self._loaded = True
        return self

    def pairs(self, store: str) -> list[SyncPair]:
        """The pairs of ``store`` (a :func:`pair_id`), in the order they were added."""
        if not self._loaded:
            self.load()
        return list(self._stores.get(store, []))

    def set_pairs(self, store: str, pairs: list[SyncPair]) -> None:
        """Replace the pairs of ``store`` and save.

        Raises:
            PairError: Two enabled pairs overlap, or the file cannot be written.
        """
        clash = overlapping(pairs)
        if clash is not None:
            raise PairError(
                f"The folders {clash[0].name} and {clash[1].name} overlap; a file would sync "
                "twice. Disable one or choose folders side by side."
            )
        if not self._loaded:
            self.load()
        if pairs:
            self._stores[store] = list(pairs)
        else:
            self._stores.pop(store, None)
        self.save()

    def save(self) -> None:
        data = {
            "version": FORMAT_VERSION,
            "stores": {
                key: [pair.to_json() for pair in pairs] for key, pairs in self._stores.items()
            },
        }
        payload = json.dumps(data, indent=2, sort_keys=True).encode()
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise PairError(f"Cannot write the sync pairs file {self.path}: {exc}") from exc
