"""The run history of automatic syncs: one line per run, saying what it did.

The sync index keeps, per file, which version each side had after the last sync (that is what
makes the next compare cheap). This log is the other half of the history: *when* a background run
happened, why (a watched change, the interval, "Sync now"), and what it did: every file uploaded,
downloaded, moved to the trash or kept in both versions, and every failure with its reason.

It is a JSON Lines file, ``sync-runs.jsonl`` beside the sync index, appended to (one ``write``
per run) and cut back to the newest :data:`KEEP_RUNS` runs once it passes 4 MiB. A run that
found nothing to do is not written.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from file_storage.errors import StorageError

logger = logging.getLogger(__name__)

RUNS_FILE_NAME = "sync-runs.jsonl"
#: Runs kept when the file is cut back (once it is larger than TRIM_BYTES).
KEEP_RUNS = 1000
TRIM_BYTES = 4 * 1024 * 1024
#: File actions listed per run (the counts are always complete).
MAX_LISTED = 500


@dataclass
class RunRecord:
    """One automatic run.

    Attributes:
        started: UTC time the run started (ISO 8601).
        store: The store's pair id (local folder | bucket/prefix).
        folder: The sync pair's folder.
        mode: upload / two-way / download.
        trigger: ``watch`` (local files changed), ``interval`` (remote listing), ``manual``
            (Sync now) or ``start`` (the app started).
        actions: ``[kind, path]`` for each file action done (first :data:`MAX_LISTED`).
        failed: ``[path, reason]`` for each failed file.
        conflicts: ``[path, renamed_copy]`` kept in both versions.
        held: Files left for a later run because they were still being written.
        skipped: Files the mode leaves alone (``[path, reason]``).
        error: Why the whole run did not happen (delete limit, no connection), else None.
    """

    started: str
    store: str
    folder: str
    mode: str
    trigger: str
    seconds: float = 0.0
    uploaded: int = 0
    downloaded: int = 0
    deleted: int = 0
    bytes_copied: int = 0
    actions: list[list[str]] = field(default_factory=list)
    failed: list[list[str]] = field(default_factory=list)
    conflicts: list[list[str]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    skipped: list[list[str]] = field(default_factory=list)
    error: str | None = None

    @property
    def did_something(self) -> bool:
        return bool(self.actions or self.failed or self.conflicts or self.error)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> RunRecord:
        data: dict[str, Any] = json.loads(line)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


class RunLog:
    """Appends run records to ``path`` and reads them back.

    Args:
        path: The ``sync-runs.jsonl`` file (created on the first run).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, index_path: Path) -> RunLog:
        return cls(index_path.parent / RUNS_FILE_NAME)

    def append(self, record: RunRecord) -> None:
        """Write one run (a failure to write is logged: the run itself already happened)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(record.to_json() + "\n")
            if self.path.stat().st_size > TRIM_BYTES:
                self._trim()
        except OSError as exc:
            logger.warning("Could not write the sync run history %s: %s", self.path, exc)

    def runs(self, store: str | None = None) -> list[RunRecord]:
        """Every recorded run, oldest first (of ``store`` only when given).

        Raises:
            StorageError: The file exists but cannot be read.
        """
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"Cannot read the sync run history {self.path}: {exc}") from exc
        records = []
        for line in lines:
            try:
                record = RunRecord.from_json(line)
            except (ValueError, TypeError):
                continue  # a line cut by a crash mid-write
            if store is None or record.store == store:
                records.append(record)
        return records

    def _trim(self) -> None:
        lines = self.path.read_text(encoding="utf-8").splitlines()[-KEEP_RUNS:]
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        os.replace(temp, self.path)
