"""``Catalog``: what the app knows of one store, folder by folder.

Both trees read the two catalogs for their Status column (the local tree asks the bucket's
catalog whether a row exists there, the bucket tree asks the local one), so the two panes can
never disagree about a path. Catalogs learn from every listing (a tree's own rows, the peer
listing behind its statuses) and from every job's result (an upload adds a file to the bucket's
catalog at once, a delete removes it), so a status changes when the job ends, not at the next
listing.

No I/O and no Qt widgets here: a catalog is data plus one signal.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal


class _Listing:
    """The direct children of one listed folder, by name."""

    __slots__ = ("files", "folders")

    def __init__(self, files: Iterable[str], folders: Iterable[str]) -> None:
        self.files = set(files)
        self.folders = set(folders)


def _name(path: str) -> str:
    return path.rpartition("/")[2]


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _ancestors(path: str) -> list[str]:
    """The folders above ``path``, from the root (``""``) down to its parent."""
    parts = path.split("/")[:-1]
    return [""] + ["/".join(parts[: depth + 1]) for depth in range(len(parts))]


class Catalog(QObject):
    """Files and folders known to exist on one side, from listings and job results.

    Args:
        side: ``"local"`` or ``"s3"``.
        keeps_empty_folders: Whether a folder outlives its last file (a disk: yes; a bucket,
            whose folders are only key prefixes: no).
        parent: The owning QObject.

    Signals:
        changed(str): What is known of the direct children of this folder changed.
    """

    changed = Signal(str)

    def __init__(
        self, side: str, *, keeps_empty_folders: bool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.side = side
        self.keeps_empty_folders = keeps_empty_folders
        self._listings: dict[str, _Listing] = {}

    # ----------------------------------------------------------------- learning

    def record_listing(self, folder: str, files: Iterable[str], folders: Iterable[str]) -> None:
        """A complete listing of ``folder``'s direct children (full paths)."""
        new = _Listing((_name(p) for p in files), (_name(p) for p in folders))
        old = self._listings.get(folder)
        self._listings[folder] = new
        parent = self._listings.get(_parent(folder)) if folder else None
        if parent is not None:
            # A listed folder exists, except an empty prefix of a bucket (no key, no folder).
            exists = bool(new.files or new.folders) or self.keeps_empty_folders
            if exists != (_name(folder) in parent.folders):
                if exists:
                    parent.folders.add(_name(folder))
                else:
                    parent.folders.discard(_name(folder))
                self.changed.emit(_parent(folder))
        if old is None or old.files != new.files or old.folders != new.folders:
            self.changed.emit(folder)

    def add_file(self, path: str) -> None:
        """A job stored ``path``: it and every folder above it exist now."""
        name, is_file = _name(path), True
        for folder in reversed(_ancestors(path)):
            listing = self._listings.get(folder)
            if listing is not None:
                children = listing.files if is_file else listing.folders
                if name not in children:
                    children.add(name)
                    self.changed.emit(folder)
            name, is_file = _name(folder), False

    def remove(self, path: str) -> None:
        """A job deleted ``path`` (a file, or a folder with everything in it)."""
        for folder in [f for f in self._listings if f == path or f.startswith(path + "/")]:
            del self._listings[folder]
        folder = _parent(path)
        listing = self._listings.get(folder)
        if listing is None:
            return
        name = _name(path)
        if name in listing.files or name in listing.folders:
            listing.files.discard(name)
            listing.folders.discard(name)
            self.changed.emit(folder)
        # On a bucket a folder is only its keys' prefix: with its last file it is gone too.
        while folder and not self.keeps_empty_folders and not (listing.files or listing.folders):
            del self._listings[folder]
            folder, name = _parent(folder), _name(folder)
            listing = self._listings.get(folder)
            if listing is None or name not in listing.folders:
                return
            listing.folders.discard(name)
            self.changed.emit(folder)

    def clear(self) -> None:
        """Forget everything (another bucket is shown)."""
        folders = list(self._listings)
        self._listings.clear()
        for folder in folders:
            self.changed.emit(folder)

    # ----------------------------------------------------------------- reading

    def exists(self, path: str, *, is_folder: bool) -> bool | None:
        """Whether ``path`` exists on this side: ``None`` when no listing tells."""
        for folder in _ancestors(path)[1:]:
            listing = self._listings.get(_parent(folder))
            if listing is not None and _name(folder) not in listing.folders:
                return False  # a folder above it is known to be missing
        listing = self._listings.get(_parent(path))
        if listing is None:
            return None
        return _name(path) in (listing.folders if is_folder else listing.files)

    def children(self, folder: str) -> tuple[set[str], set[str]] | None:
        """``(file names, folder names)`` last known in ``folder``, or ``None`` if unlisted."""
        listing = self._listings.get(folder)
        return None if listing is None else (set(listing.files), set(listing.folders))
