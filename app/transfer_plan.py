"""What a drop or an action will transfer, decided before anything starts (no widgets; Qt
only translates its sentences).

Content managers drop files with any name; the store keeps its layout. A media file dropped on a
recording folder becomes that recording's ``source.<ext>``; dropped on a user folder it becomes a
new recording named after the file. Everything else keeps its name. The plan also carries the
bytes it adds, so the quota can be checked before a single byte moves.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.messages import describe, format_size
from file_storage.path_builder import SOURCE_EXTENSIONS, StoragePathBuilder
from file_storage.paths import validate_path

USER_FOLDER_RE = re.compile(r"^users/user_\d{6}$")
RECORDING_FOLDER_RE = re.compile(r"^users/user_\d{6}/recordings/[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class PlannedCopy:
    """One file to copy: from a local file to a storage path."""

    local_path: Path
    path: str
    size: int


@dataclass
class TransferPlan:
    """Files to copy into one store, and what they add to it."""

    copies: list[PlannedCopy] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(copy.size for copy in self.copies)


def recording_id_for(name: str) -> str:
    """An ASCII recording ID from a file name: ``"Лекция 5.mp4"`` -> ``"lekciya-5"``."""
    stem = Path(name).stem
    ascii_text = _transliterate(stem)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:64].strip("-")
    return slug or "recording"


def storage_path_for_drop(target_folder: str, file_name: str) -> str:
    """Where a file dropped on ``target_folder`` is stored."""
    ext = Path(file_name).suffix.lower().lstrip(".")
    paths = StoragePathBuilder()
    if ext in SOURCE_EXTENSIONS:
        if RECORDING_FOLDER_RE.match(target_folder):
            return f"{target_folder}/source.{ext}"
        if USER_FOLDER_RE.match(target_folder):
            slug = target_folder.split("/")[1]
            return paths.recording_source(slug, recording_id_for(file_name), ext)
    return f"{target_folder}/{file_name}" if target_folder else file_name


def plan_drop(target_folder: str, local_paths: list[Path]) -> TransferPlan:
    """Plan the copy of dropped files and folders (folders keep their inner structure)."""
    plan = TransferPlan()
    for item in local_paths:
        if item.is_dir():
            for folder, _dirs, files in os.walk(item):
                for name in sorted(files):
                    full = Path(folder) / name
                    rel = full.relative_to(item.parent).as_posix()
                    _add(plan, full, f"{target_folder}/{rel}" if target_folder else rel)
        elif item.is_file():
            _add(plan, item, storage_path_for_drop(target_folder, item.name))
        else:
            reason = QCoreApplication.translate("TransferPlan", "not a regular file")
            plan.skipped.append(f"{item}: {reason}")
    return plan


def _add(plan: TransferPlan, local: Path, path: str) -> None:
    try:
        plan.copies.append(PlannedCopy(local, validate_path(path), local.stat().st_size))
    except (ValueError, OSError) as exc:
        plan.skipped.append(f"{local.name}: {describe(exc)}")


def quota_verdict(used: int, limit: int | None, adding: int) -> tuple[str, str]:
    """Return ``("ok"|"warn"|"refuse", sentence)`` for adding ``adding`` bytes."""
    if limit is None:
        return "ok", ""
    projected = used + adding
    if projected > limit:
        return "refuse", QCoreApplication.translate(
            "TransferPlan",
            "Not started: this needs {needed}, but only {free} of the {quota} quota is free.",
        ).format(
            needed=format_size(adding),
            free=format_size(max(0, limit - used)),
            quota=format_size(limit),
        )
    if projected >= 0.8 * limit:
        return "warn", QCoreApplication.translate(
            "TransferPlan",
            "After this transfer the store will be {percent} full ({used} of {quota}).",
        ).format(
            percent=f"{projected / limit:.0%}",
            used=format_size(projected),
            quota=format_size(limit),
        )
    return "ok", ""


_CYRILLIC_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f h c ch sh sch - y - e yu ya".split()  # noqa: SIM905
_CYRILLIC = {
    letter: ("" if latin == "-" else latin)
    for letter, latin in zip(_CYRILLIC_LETTERS, _LATIN, strict=True)
}


def _transliterate(text: str) -> str:
    out = []
    for char in text:
        lower = char.lower()
        if lower in _CYRILLIC:
            out.append(_CYRILLIC[lower])
        else:
            out.append(char)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return decomposed.encode("ascii", "ignore").decode()
