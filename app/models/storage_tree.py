"""``StorageTreeModel``: one side of the store (local or S3) as a lazily loaded tree.

The model holds data only. When a view expands a folder that was never listed, ``fetchMore`` emits
:attr:`StorageTreeModel.fetchRequested`; a loader service (``app.services.tree_loader``) lists the
folder and answers through :meth:`~StorageTreeModel.add_page` (once per listing page, so the first
rows appear while the rest is still arriving) and :meth:`~StorageTreeModel.finish_loading`.

The tree knows the recording layout (see ``file_storage.path_builder``): ``users/user_NNNNNN`` rows
are users, ``users/<u>/recordings/<id>`` rows are recordings and show the sum of their files.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractItemModel,
    QByteArray,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QIcon

from app.catalog import Catalog
from app.messages import format_size
from file_storage.backends.base import ObjectInfo
from file_storage.media.info import MediaInfo
from file_storage.path_builder import RECORDING_ID_RE, USER_SLUG_RE, USERS

logger = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

#: Drag payload between panes: JSON ``{"side": "local"|"s3", "paths": [...]}``.
MIME_TYPE = "application/x-leap-storage-paths"
URI_LIST = "text/uri-list"
SIDE_LOCAL = "local"
SIDE_S3 = "s3"
#: ``source_side`` of :attr:`StorageTreeModel.dropRequested` for files dropped from the OS.
SIDE_OS = "os"

#: Column headers (English source texts; shown translated, see ``headerData``).
COLUMNS = (
    QT_TRANSLATE_NOOP("StorageTreeModel", "Name"),
    QT_TRANSLATE_NOOP("StorageTreeModel", "Size"),
    QT_TRANSLATE_NOOP("StorageTreeModel", "Modified"),
    QT_TRANSLATE_NOOP("StorageTreeModel", "Status"),
)
_COLUMN_COUNT = len(COLUMNS)
NAME_COLUMN, SIZE_COLUMN, MODIFIED_COLUMN, STATUS_COLUMN = range(len(COLUMNS))

#: Raw values for sorting (numbers and timestamps), so "9 KiB" never sorts after "10 MiB".
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
#: The storage-relative path of a row (``""`` for the root).
PATH_ROLE = int(Qt.ItemDataRole.UserRole) + 2
#: The row's :class:`NodeKind` value as a string.
KIND_ROLE = int(Qt.ItemDataRole.UserRole) + 3
#: The row's :class:`Presence` value as a string.
PRESENCE_ROLE = int(Qt.ItemDataRole.UserRole) + 4

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

_ROOT_FLAGS = Qt.ItemFlag.ItemIsDropEnabled
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
)
_FOLDER_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemIsDropEnabled
# Files never have children: views then skip asking hasChildren() for each of them.
_FILE_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemNeverHasChildren
# The error row of a failed listing can be activated (Retry) but is no file to act on.
_ERROR_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren

LOADING_TEXT = QT_TRANSLATE_NOOP("StorageTreeModel", "Loading…")
FAILED_TEXT = QT_TRANSLATE_NOOP("StorageTreeModel", "Failed to load")
NOT_RESPONDING_TEXT = QT_TRANSLATE_NOOP("StorageTreeModel", "Not responding — Retry")
COULD_NOT_LIST_TEXT = QT_TRANSLATE_NOOP("StorageTreeModel", "Could not list — Retry")
RETRY_HINT = QT_TRANSLATE_NOOP("StorageTreeModel", "Double-click or press Enter to list again.")
ERROR_ICON = "error"


#: Root folders of the layout that are not content (PRODUCT.md: "temp/ ... never synced").
HIDDEN_ROOT_FOLDERS = frozenset({"temp"})


class NodeKind(enum.StrEnum):
    """What a row stands for in the recording layout."""

    ROOT = "root"
    FOLDER = "folder"
    USER = "user"
    RECORDING = "recording"
    FILE = "file"
    #: The row in a folder whose listing failed: activating it lists the folder again. Its
    #: path is the folder's; it is neither selectable nor dragged.
    ERROR = "error"


class Presence(enum.StrEnum):
    """Where a row exists, as far as the two listings tell.

    The values are the English status texts (roles and tests compare them); the Status column
    shows them translated.
    """

    UNKNOWN = "—"
    LOCAL_ONLY = "Local only"
    S3_ONLY = "S3 only"
    BOTH = "On both"


# lupdate reads these; the model translates Presence values in the "StorageTreeModel" context.
_PRESENCE_SOURCES = (
    QT_TRANSLATE_NOOP("StorageTreeModel", "Local only"),
    QT_TRANSLATE_NOOP("StorageTreeModel", "S3 only"),
    QT_TRANSLATE_NOOP("StorageTreeModel", "On both"),
)


#: The last comparison's verdict per path: a :class:`~file_storage.sync.FileState` value for
#: files, or one of these for folders (the worst state of the files below them).
FOLDER_IDENTICAL, FOLDER_DIFFERS, FOLDER_CONFLICT = (
    "folder-identical",
    "folder-differs",
    "folder-conflict",
)
#: The row's comparison state (a FileState value or a folder state), or ``None``.
SYNC_ROLE = int(Qt.ItemDataRole.UserRole) + 5

#: Status text per comparison state, on the local tree and on the bucket tree (English source
#: texts; the model translates them once, when it is built).
_SYNC_TEXT: dict[str, tuple[str, str]] = {
    "identical": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Identical"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Identical"),
    ),
    "different": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Differs"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Differs"),
    ),
    "changed-local": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Changed here"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Changed locally"),
    ),
    "changed-remote": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Changed in S3"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Changed here"),
    ),
    "conflict": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Conflict"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Conflict"),
    ),
    "only-local": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Local only"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Local only"),
    ),
    "only-remote": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "S3 only"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "S3 only"),
    ),
    "deleted-local": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Deleted here"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Deleted locally"),
    ),
    "deleted-remote": (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Deleted in S3"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Deleted here"),
    ),
    FOLDER_IDENTICAL: (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Identical"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Identical"),
    ),
    FOLDER_DIFFERS: (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Differs"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Differs"),
    ),
    FOLDER_CONFLICT: (
        QT_TRANSLATE_NOOP("StorageTreeModel", "Conflicts"),
        QT_TRANSLATE_NOOP("StorageTreeModel", "Conflicts"),
    ),
}
#: Which badge (an icon name the window provides) each state gets.
SYNC_BADGES = {
    "identical": "sync-ok",
    FOLDER_IDENTICAL: "sync-ok",
    "conflict": "sync-conflict",
    FOLDER_CONFLICT: "sync-conflict",
}
SYNC_BADGE_DEFAULT = "sync-differs"


#: Looked up once: an enum member read through its class costs a descriptor call, and flags()
#: and data() run for every row each time a view lays out an open folder.
_ERROR_KIND = NodeKind.ERROR


class LoadState(enum.Enum):
    UNLOADED = enum.auto()
    LOADING = enum.auto()
    LOADED = enum.auto()
    FAILED = enum.auto()


def _tr(text: str) -> str:
    return QCoreApplication.translate("StorageTreeModel", text)


def node_kind_for(path: str, *, is_folder: bool) -> NodeKind:
    """Classify a storage path by the recording layout."""
    if not is_folder:
        return NodeKind.FILE
    if not path:
        return NodeKind.ROOT
    parts = path.split("/")
    if parts[0] != USERS or len(parts) < 2 or not USER_SLUG_RE.match(parts[1]):
        return NodeKind.FOLDER
    if len(parts) == 2:
        return NodeKind.USER
    if len(parts) == 4 and parts[2] == "recordings" and RECORDING_ID_RE.match(parts[3]):
        return NodeKind.RECORDING
    return NodeKind.FOLDER


def is_recordings_folder(path: str) -> bool:
    """Tell whether ``path`` is a user's ``recordings`` folder (its children are recordings)."""
    parts = path.split("/")
    return (
        len(parts) == 3
        and parts[0] == USERS
        and USER_SLUG_RE.match(parts[1]) is not None
        and parts[2] == "recordings"
    )


def _is_under(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


class _Node:
    """One row; ``row`` is its place in ``parent.children``, renumbered whenever rows move."""

    __slots__ = (
        "by_key", "children", "error", "found", "info", "is_folder", "kind", "name", "parent",
        "path", "row", "staged", "state",
    )  # fmt: skip

    def __init__(
        self, kind: NodeKind, path: str, parent: _Node | None, row: int, info: ObjectInfo | None
    ) -> None:
        self.kind = kind
        self.is_folder = kind is not NodeKind.FILE
        self.path = path
        self.name = path.rpartition("/")[2]
        self.parent = parent
        self.row = row
        self.info = info
        # Files share one empty list and dict: a 20,000-file folder then costs two objects per
        # row for the garbage collector to walk, not four.
        self.children: list[_Node] = [] if self.is_folder else _NO_CHILDREN
        self.by_key: dict[str, _Node] = {} if self.is_folder else _NO_KEYS
        self.state = LoadState.UNLOADED
        self.error: str | None = None
        # Added by a whole-store search into a folder not listed since: confirmed (or dropped)
        # by that folder's next listing.
        self.found = False
        # Rows of a running listing built but not shown yet, by key (see stage_page).
        self.staged: dict[str, _Node] | None = None

    @property
    def key(self) -> str:
        """The lookup key in the parent: ``"name/"`` for folders, so a file may share a name."""
        return self.name + "/" if self.is_folder else self.name

    def reset(self) -> None:
        self.children.clear()
        self.by_key.clear()
        self.staged = None
        self.state = LoadState.UNLOADED
        self.error = None


_NO_CHILDREN: list[_Node] = []
_NO_KEYS: dict[str, _Node] = {}


def _name_key(node: _Node) -> str:
    return node.name.casefold()


def _file_rank(node: _Node) -> int:
    # The error row of a failed listing stays on top; then folders, then files.
    return -1 if node.kind is _ERROR_KIND else int(not node.is_folder)


@dataclass
class SearchState:
    """Where the whole-store search for ``text`` stands (the pane shows it under the filter).

    ``matches`` counts the rows found in the store whose names contain the text; ``truncated``
    says the search stopped at its cap; ``error`` is the sentence to show when it failed.
    """

    text: str
    running: bool = True
    matches: int = 0
    truncated: bool = False
    error: str | None = None
    not_responding: bool = False


class StorageTreeModel(QAbstractItemModel):
    """A lazily loaded tree of one store: Name, Size, Modified, Status.

    Args:
        side: ``"local"`` or ``"s3"``: which store this tree shows (drives the status labels
            and the drag payload).
        parent: The owning QObject.
        local_root: For the local side, the store's folder; drags then also carry ``file://``
            URLs so files can be dropped into the OS file manager.
        icons: Decorations keyed by :class:`NodeKind` value, plus ``"error"`` for folders whose
            listing failed. The pane passes QStyle icons; without them rows have no icon.
        catalog: What is known of this side; the model records its own listings there.
        peer_catalog: What is known of the other side; the Status column reads it. The window
            shares the two catalogs between its trees, so their statuses always agree; by
            default each model has private ones.

    Signals:
        fetchRequested(str): A folder must be listed; answer with ``add_page``/``finish_loading``.
        dropRequested(list, str, str): Paths were dropped on the folder ``target`` (second
            argument); the third says where they came from: ``"local"``, ``"s3"`` (storage
            paths from a pane) or ``"os"`` (local file-system paths from the desktop).
        searchRequested(str): Search the whole store for names containing the text (``""``:
            stop any search); a loader answers with ``search_started``, ``add_found`` and
            ``finish_search``.
        searchChanged(): :meth:`search_state` changed (started, more matches, ended).
        matchesFound(list): Paths of rows the search found (now in the model), so a view can
            open their folders.
    """

    fetchRequested = Signal(str)
    dropRequested = Signal(list, str, str)
    searchRequested = Signal(str)
    searchChanged = Signal()
    matchesFound = Signal(list)

    def __init__(
        self,
        side: str,
        parent: QObject | None = None,
        *,
        local_root: Path | None = None,
        icons: Mapping[str, QIcon] | None = None,
        catalog: Catalog | None = None,
        peer_catalog: Catalog | None = None,
    ) -> None:
        super().__init__(parent)
        if side not in (SIDE_LOCAL, SIDE_S3):
            raise ValueError(f"side must be {SIDE_LOCAL!r} or {SIDE_S3!r}, not {side!r}")
        self.side = side
        peer_side = SIDE_S3 if side == SIDE_LOCAL else SIDE_LOCAL
        self.catalog = catalog or Catalog(side, keeps_empty_folders=side == SIDE_LOCAL, parent=self)
        self.peer_catalog = peer_catalog or Catalog(
            peer_side, keeps_empty_folders=peer_side == SIDE_LOCAL, parent=self
        )
        self.peer_catalog.changed.connect(self._peer_changed)
        self.local_root = local_root
        self._icons: dict[str, QIcon] = dict(icons or {})
        self._root = _Node(NodeKind.ROOT, "", None, 0, None)
        self._totals: dict[str, int] = {}
        self._recording_media: dict[str, dict[str, ObjectInfo]] = {}
        self._sync: dict[str, str] = {}
        self._thumbnails: dict[str, QIcon] = {}
        self._media_lookup: Callable[[ObjectInfo], MediaInfo | None] | None = None
        self._missing = Presence.LOCAL_ONLY if side == SIDE_LOCAL else Presence.S3_ONLY
        # Translated once: the Status column is drawn and sorted for every row.
        self._presence_text = {presence: _tr(presence.value) for presence in Presence}
        remote = side != SIDE_LOCAL
        self._sync_text = {state: _tr(texts[remote]) for state, texts in _SYNC_TEXT.items()}
        self._headers = tuple(_tr(text) for text in COLUMNS)
        self._loading_text, self._failed_text = _tr(LOADING_TEXT), _tr(FAILED_TEXT)
        self._sort_column = -1  # listing order until a view asks for a sort
        self._descending = False
        self._search: SearchState | None = None
        # While a filter is shown, folders that hold only rows a search found are not listed
        # when a view opens them to show those rows (the search knows what is in them).
        self._filtering = False

    def status_texts(self) -> list[str]:
        """Every text the Status column can show (translated), for sizing it."""
        texts = [self._loading_text, self._failed_text, *self._presence_text.values()]
        return texts + list(self._sync_text.values())

    # ----------------------------------------------------------------- structure

    # index(), parent(), flags() and rowCount() run for every row each time a view lays out an
    # open folder (20,000 times for a big prefix), so they avoid helpers and enum arithmetic.

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        children = parent.internalPointer().children if parent.isValid() else self._root.children
        if 0 <= row < len(children) and 0 <= column < _COLUMN_COUNT and parent.column() <= 0:
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, child: ModelIndex | None = None) -> Any:  # type: ignore[override]
        if child is None:
            return super().parent()  # QObject.parent(), for Python callers
        if not child.isValid():
            return QModelIndex()
        up = child.internalPointer().parent
        if up is None or up is self._root:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._root.children)
        return 0 if parent.column() > 0 else len(parent.internalPointer().children)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return _COLUMN_COUNT

    def hasChildren(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        # Unlisted folders claim children so the view draws an expander and asks for them.
        if parent.column() > 0:
            return False
        node = self._node(parent)
        if not node.is_folder:
            return False
        return bool(node.children) or node.state in (LoadState.UNLOADED, LoadState.LOADING)

    def canFetchMore(self, parent: ModelIndex) -> bool:
        node = self._node(parent)
        if not node.is_folder or node.state is not LoadState.UNLOADED or parent.column() > 0:
            return False
        return not (self._filtering and node.children)

    def fetchMore(self, parent: ModelIndex) -> None:
        """Mark the folder as loading and ask the loader for it (no I/O here)."""
        node = self._node(parent)
        if not node.is_folder or node.state is not LoadState.UNLOADED:
            return
        node.state = LoadState.LOADING
        self._emit_row_changed(node)
        self.fetchRequested.emit(node.path)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section] if 0 <= section < len(COLUMNS) else None
        return None

    # ----------------------------------------------------------------- data

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: _Node = index.internalPointer()
        column = index.column()
        if node.kind is _ERROR_KIND:
            return self._error_row_data(node, column, role)
        if role == _DISPLAY:
            return self._display(node, column)
        if role == SORT_ROLE:
            return self._sort_value(node, column)
        if role == PATH_ROLE:
            return node.path
        if role == KIND_ROLE:
            return node.kind.value
        if role == PRESENCE_ROLE:
            return self._presence(node).value
        if role == _TOOLTIP:
            return self._tooltip(node)
        if role == SYNC_ROLE:
            return self._sync.get(node.path) if self._sync else None
        if role == _DECORATION and column == STATUS_COLUMN and self._sync:
            state = self._sync.get(node.path)
            return (
                None
                if state is None
                else self._icons.get(SYNC_BADGES.get(state, SYNC_BADGE_DEFAULT))
            )
        if role == _DECORATION and column == NAME_COLUMN:
            thumbnail = self._thumbnails.get(node.path) if self._thumbnails else None
            if thumbnail is not None and node.state is not LoadState.FAILED:
                return thumbnail
            key = ERROR_ICON if node.state is LoadState.FAILED else node.kind.value
            return self._icons.get(key)
        if role == _ALIGNMENT and column == SIZE_COLUMN:
            return _RIGHT
        return None

    def _error_row_data(self, node: _Node, column: int, role: int) -> Any:
        if role in (_DISPLAY, SORT_ROLE):
            return node.name if column == NAME_COLUMN else ""
        if role == PATH_ROLE:
            return node.path
        if role == KIND_ROLE:
            return node.kind.value
        if role == _TOOLTIP:
            return f"{node.error}\n{_tr(RETRY_HINT)}"
        if role == _DECORATION and column == NAME_COLUMN:
            return self._icons.get(ERROR_ICON)
        return None

    def _display(self, node: _Node, column: int) -> str:
        if column == NAME_COLUMN:
            return node.name
        if column == SIZE_COLUMN:
            size = self._size(node)
            return "" if size is None else format_size(size)
        if column == MODIFIED_COLUMN:
            return node.info.modified.astimezone().strftime("%Y-%m-%d %H:%M") if node.info else ""
        if node.state is LoadState.LOADING:
            return self._loading_text
        if node.state is LoadState.FAILED:
            return self._failed_text
        state = self._sync.get(node.path) if self._sync else None
        if state is not None:
            return self._sync_text.get(state, state)
        return self._presence_text[self._presence(node)]

    def _sort_value(self, node: _Node, column: int) -> str | int | float:
        if column == NAME_COLUMN:
            # Folders first when ascending; casefold so "B" and "a" sort as people expect.
            return ("0" if node.is_folder else "1") + node.name.casefold()
        if column == SIZE_COLUMN:
            size = self._size(node)
            return -1 if size is None else size
        if column == MODIFIED_COLUMN:
            return node.info.modified.timestamp() if node.info else 0.0
        return self._display(node, column)

    def _size(self, node: _Node) -> int | None:
        if node.info is not None:
            return node.info.size
        if node.kind is NodeKind.RECORDING:
            return self._totals.get(node.path)
        return None

    def _presence(self, node: _Node) -> Presence:
        if node.parent is None:
            return Presence.UNKNOWN
        there = self.peer_catalog.exists(node.path, is_folder=node.is_folder)
        if there is None:
            return Presence.UNKNOWN
        return Presence.BOTH if there else self._missing

    def _tooltip(self, node: _Node) -> str:
        lines = [node.path]
        if node.info is not None:
            info = node.info
            lines.append(
                self.tr("{size} bytes, modified {modified}").format(
                    size=f"{info.size:,}", modified=f"{info.modified.astimezone():%Y-%m-%d %H:%M}"
                )
            )
            if info.sha256:
                lines.append(f"SHA-256 {info.sha256}")
            media = self._media_lookup(info) if self._media_lookup is not None else None
            if media is not None:
                lines.append(media.summary())
        elif node.kind is NodeKind.RECORDING:
            if node.path in self._totals:
                lines.append(
                    self.tr("Recording total {size} bytes").format(
                        size=f"{self._totals[node.path]:,}"
                    )
                )
            source = self._recording_media.get(node.path, {}).get("source")
            media = self._media_lookup(source) if source and self._media_lookup else None
            if media is not None:
                lines.append(f"{source.path.rpartition('/')[2]}: {media.summary()}")
        if node.state is LoadState.LOADING:
            lines.append(self._loading_text)
        elif node.state is LoadState.FAILED:
            lines.append(f"{self._failed_text}: {node.error}")
        return "\n".join(lines)

    # ----------------------------------------------------------------- loader answers

    def add_page(self, path: str, folders: Sequence[str], files: Sequence[ObjectInfo]) -> None:
        """Add one listing page under the folder ``path`` (one insert batch per page).

        Pages for a folder that is not loading any more (refreshed, or dropped with its parent)
        are ignored, so a late answer can never land in the wrong place.
        """
        self.stage_page(path, folders, files)
        self.show_staged(path)

    def stage_page(self, path: str, folders: Sequence[str], files: Sequence[ObjectInfo]) -> int:
        """Build the rows of one listing page of ``path`` without showing them; return how many.

        :meth:`show_staged` shows them. Every insert under an open folder makes ``QTreeView`` lay
        out the whole folder again (some 8 µs a row through PySide and the filter proxy), so a
        loader builds rows page by page, which keeps each step short, and shows them in a few
        large inserts. Late pages (the folder is not loading any more) are ignored.
        """
        node = self._find(path)
        if node is None or node.state is not LoadState.LOADING:
            return 0
        if not path:
            # temp/ is scratch space for processing: never synced, so never shown.
            folders = [folder for folder in folders if folder not in HIDDEN_ROOT_FOLDERS]
        return len(self._new_children(node, folders, files))

    def show_staged(self, path: str) -> int:
        """Insert the rows staged for ``path`` (one insert); return how many were shown."""
        node = self._find(path)
        if node is None or not node.staged or node.state is not LoadState.LOADING:
            return 0
        fresh: list[_Node] = []
        for key, child in node.staged.items():
            known = node.by_key.get(key)
            if known is None:
                node.by_key[key] = child
                fresh.append(child)
            elif known.found:  # a search put it there meanwhile: the listing confirms it
                known.found = False
                known.info = child.info or known.info
        node.staged = {}
        if not fresh:
            return 0
        start = len(node.children)
        if self._sort_column >= 0:
            self._order(fresh)
        for offset, child in enumerate(fresh):
            child.row = start + offset
        self.beginInsertRows(self._index_of(node), start, start + len(fresh) - 1)
        node.children.extend(fresh)
        self.endInsertRows()
        # Listings arrive in name order, so with the default sort the page simply follows the
        # rows before it; otherwise one layout change puts the new rows in their places.
        if (
            self._sort_column >= 0
            and start
            and not self._in_order(node.children[start - 1], fresh[0])
        ):
            self._relayout([node])
        return len(fresh)

    def _new_children(
        self, node: _Node, folders: Sequence[str], files: Sequence[ObjectInfo]
    ) -> list[_Node]:
        """Build ``node``'s new rows of a listing page into ``node.staged``; return them."""
        fresh: list[_Node] = []
        if node.staged is None:
            node.staged = {}
        staged = node.staged
        entries = [(folder, True, None) for folder in folders]
        entries += [(info.path, False, info) for info in files]
        for child_path, is_folder, info in entries:
            if child_path.rpartition("/")[0] != node.path:
                logger.warning("Listing of %r returned %r; skipping it", node.path, child_path)
                continue
            child = _Node(node_kind_for(child_path, is_folder=is_folder), child_path, node, 0, info)
            known = node.by_key.get(child.key)
            if known is None:  # S3 may repeat a common prefix across pages
                if child.key not in staged:
                    staged[child.key] = child
                    fresh.append(child)
            elif known.found:  # a search put it there: the listing confirms it
                known.found = False
                if info is not None:
                    known.info = info
        return fresh

    def finish_loading(
        self, path: str, error: str | None = None, *, not_responding: bool = False
    ) -> None:
        """End the listing of ``path``; ``error`` is the human message when it failed.

        A failed folder gets an error row on top ("Not responding — Retry" when the store gave
        no answer in time, ``not_responding``); activating it lists the folder again.
        """
        node = self._find(path)
        if node is None or node.state is not LoadState.LOADING:
            return
        if not error:
            self.show_staged(path)
        node.staged = None
        node.state = LoadState.FAILED if error else LoadState.LOADED
        node.error = error
        self._emit_row_changed(node)
        if error:
            self._add_error_row(node, error, not_responding)
        else:
            self._drop_unconfirmed(node)
            files = [child.path for child in node.children if not child.is_folder]
            folders = [child.path for child in node.children if child.is_folder]
            self.catalog.record_listing(path, files, folders)
        if node.parent is not None:
            self._resort([node.parent], STATUS_COLUMN)

    def _add_error_row(self, node: _Node, error: str, not_responding: bool) -> None:
        row = _Node(NodeKind.ERROR, node.path, node, 0, None)
        row.name = _tr(NOT_RESPONDING_TEXT if not_responding else COULD_NOT_LIST_TEXT)
        row.error = error
        self.beginInsertRows(self._index_of(node), 0, 0)
        node.children.insert(0, row)
        for number, child in enumerate(node.children):
            child.row = number
        self.endInsertRows()

    def _drop_unconfirmed(self, node: _Node) -> None:
        """Remove the rows a search put in ``node`` that its listing did not return."""
        for child in reversed(list(node.children)):
            if child.found:
                parent = self._index_of(node)
                self.beginRemoveRows(parent, child.row, child.row)
                del node.children[child.row]
                del node.by_key[child.key]
                for number in range(child.row, len(node.children)):
                    node.children[number].row = number
                self.endRemoveRows()

    def set_presence(
        self, folder_path: str, peer_files: Iterable[str], peer_folders: Iterable[str]
    ) -> None:
        """Record what the other store holds in ``folder_path`` (its direct children), in the
        peer catalog that the Status column reads."""
        self.peer_catalog.record_listing(folder_path, peer_files, peer_folders)
        node = self._find(folder_path)
        if node is not None and node.is_folder:
            self._resort([node], STATUS_COLUMN)

    def set_recording_totals(self, totals: Mapping[str, int]) -> None:
        """Record recordings' total sizes, keyed by recording path (rows may come later)."""
        self._totals.update(totals)
        folders = [self._find(path) for path in {path.rpartition("/")[0] for path in totals}]
        loaded = [folder for folder in folders if folder is not None]
        for folder in loaded:
            self._emit_column_changed(folder, SIZE_COLUMN)
        self._resort(loaded, SIZE_COLUMN)

    def set_sync_states(self, prefix: str, states: Mapping[str, str]) -> None:
        """Show a comparison of ``prefix``: its states replace any older ones under it."""
        stale = [p for p in self._sync if _is_under(p, prefix)]
        for path in stale:
            del self._sync[path]
        self._sync.update(states)
        self._status_changed_under(prefix)

    def clear_sync_states(self) -> None:
        """Forget every comparison (for example when another bucket is shown)."""
        self._sync.clear()
        self._status_changed_under("")

    def forget_sync_state(self, path: str) -> None:
        """``path`` changed since the comparison: drop its state and its folders' (they summed
        it up); those rows show presence again until the next Compare."""
        folder = path
        while True:
            if self._sync.pop(folder, None) is not None:
                node = self._find(folder)
                if node is not None and node is not self._root:
                    cell = self._index_of(node, STATUS_COLUMN)
                    self.dataChanged.emit(cell, cell)
            if not folder:
                break
            folder = folder.rpartition("/")[0]

    def sync_state(self, path: str) -> str | None:
        return self._sync.get(path)

    @Slot(str)
    def _peer_changed(self, folder: str) -> None:
        """The other side's catalog learned something about ``folder``'s children: their
        statuses (and those of loaded rows below them, whose folders may be gone) are redrawn."""
        node = self._find(folder)
        if node is None or not node.is_folder:
            return
        stack = [node]
        while stack:
            current = stack.pop()
            if current.children:
                self._emit_column_changed(current, STATUS_COLUMN)
                stack.extend(child for child in current.children if child.children)

    def _status_changed_under(self, prefix: str) -> None:
        top = self._find(prefix) or self._root
        stack = [top.parent or top] if top is not self._root else [top]
        while stack:
            node = stack.pop()
            if node.children:
                self._emit_column_changed(node, STATUS_COLUMN)
                stack.extend(child for child in node.children if child.is_folder)

    def set_recording_media(self, media: Mapping[str, Mapping[str, ObjectInfo]]) -> None:
        """Record each recording's ``"source"`` and ``"thumbnail"`` files (from a listing)."""
        for path, files in media.items():
            self._recording_media[path] = dict(files)

    def recording_media(self, path: str) -> Mapping[str, ObjectInfo]:
        """The ``"source"``/``"thumbnail"`` files last listed for the recording ``path``."""
        return self._recording_media.get(path, {})

    def set_recording_icon(self, path: str, thumbnail: QIcon | None) -> None:
        """Show ``thumbnail`` as the recording row's icon (``None``: back to the usual icon)."""
        if thumbnail is None:
            self._thumbnails.pop(path, None)
        else:
            self._thumbnails[path] = thumbnail
        node = self._find(path)
        if node is not None and node is not self._root:
            index = self._index_of(node)
            self.dataChanged.emit(index, index, [_DECORATION])

    def set_media_lookup(self, lookup: Callable[[ObjectInfo], MediaInfo | None] | None) -> None:
        """Where tooltips find probed facts (a cache lookup; it must not do I/O beyond that)."""
        self._media_lookup = lookup

    @Slot(str)
    def refresh(self, path: str) -> None:
        """Drop what is known under the folder ``path`` and ask for it again."""
        node = self._find(path)
        if node is not None and not node.is_folder:
            node = node.parent
        if node is None:
            return
        parent = self._index_of(node)
        if node.children:
            self.beginRemoveRows(parent, 0, len(node.children) - 1)
            node.reset()
            self.endRemoveRows()
        else:
            node.reset()
        self._totals = {p: s for p, s in self._totals.items() if not _is_under(p, node.path)}
        self.fetchMore(parent)

    # ----------------------------------------------------------------- whole-store search

    def request_search(self, text: str) -> None:
        """The filter shows ``text``: search the whole store for it (``""``: the filter is
        cleared, stop searching)."""
        self._filtering = bool(text)
        self._search = None
        self.searchRequested.emit(text)
        self.searchChanged.emit()

    def cancel_search(self) -> None:
        """Stop the running search (the filter text is changing); the rows it found stay."""
        self._search = None
        self.searchRequested.emit("")
        self.searchChanged.emit()

    def search_state(self) -> SearchState | None:
        """The last search's progress, or ``None`` when none runs or ran for the filter."""
        return self._search

    def search_started(self, text: str) -> None:
        """A loader began listing the store for ``text``."""
        self._search = SearchState(text)
        self.searchChanged.emit()

    def add_found(self, text: str, folders: Sequence[str], files: Sequence[ObjectInfo]) -> None:
        """Rows of the store whose names contain ``text``: each is put in the tree with the
        folders above it (folders not listed yet hold just the found rows until they are)."""
        state = self._search
        if state is None or state.text != text or not state.running:
            return  # a late answer for a search that was cancelled or replaced
        paths = self._insert_found(folders, files)
        state.matches += len(paths)
        if paths:
            self.matchesFound.emit(paths)
        self.searchChanged.emit()

    def finish_search(
        self,
        text: str,
        error: str | None = None,
        *,
        not_responding: bool = False,
        truncated: bool = False,
    ) -> None:
        """The search for ``text`` ended (``error``: the sentence to show when it failed)."""
        state = self._search
        if state is None or state.text != text or not state.running:
            return
        state.running = False
        state.error = error
        state.not_responding = not_responding
        state.truncated = truncated
        self.searchChanged.emit()

    def _insert_found(self, folders: Sequence[str], files: Sequence[ObjectInfo]) -> list[str]:
        """Put found paths (and the folders above them) in the tree; return the paths shown.

        New rows under folders already in the tree go in with one insert per folder; rows
        under folders made here come with them.
        """
        groups: dict[int, tuple[_Node, list[_Node]]] = {}
        made: list[_Node] = []
        made_ids: set[int] = set()
        shown: list[str] = []
        entries: list[tuple[str, bool, ObjectInfo | None]]
        entries = [(folder, True, None) for folder in folders]
        entries += [(info.path, False, info) for info in files]
        for path, is_folder, info in entries:
            parts = path.split("/")
            if not path or parts[0] in HIDDEN_ROOT_FOLDERS:
                continue
            node = self._root
            for depth, part in enumerate(parts):
                last = depth == len(parts) - 1
                folder = is_folder or not last
                key = part + "/" if folder else part
                child = node.by_key.get(key)
                if child is None:
                    sub = "/".join(parts[: depth + 1])
                    child = _Node(
                        node_kind_for(sub, is_folder=folder), sub, node, 0, None if folder else info
                    )
                    child.found = True
                    node.by_key[key] = child
                    if id(node) in made_ids:  # goes into the tree with its new folder
                        child.row = len(node.children)
                        node.children.append(child)
                    else:
                        groups.setdefault(id(node), (node, []))[1].append(child)
                    made.append(child)
                    made_ids.add(id(child))
                node = child
            shown.append(path)
        sorting = self._sort_column >= 0
        if sorting:
            for node in made:
                if len(node.children) > 1:
                    self._order(node.children)
                    for number, child in enumerate(node.children):
                        child.row = number
        unordered: list[_Node] = []
        for node, fresh in groups.values():
            if sorting:
                self._order(fresh)
            start = len(node.children)
            for offset, child in enumerate(fresh):
                child.row = start + offset
            self.beginInsertRows(self._index_of(node), start, start + len(fresh) - 1)
            node.children.extend(fresh)
            self.endInsertRows()
            if sorting and start and not self._in_order(node.children[start - 1], fresh[0]):
                unordered.append(node)
        self._relayout(unordered)
        return shown

    # ----------------------------------------------------------------- sorting

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort every loaded folder by ``column``, folders first; new pages keep the order.

        The model sorts, not a ``QSortFilterProxyModel``: a proxy compares rows by calling
        ``data()`` twice per comparison, some 600,000 Python calls (seconds of frozen window)
        for a 20,000-row folder, where a key sort here takes milliseconds.
        """
        self._sort_column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        if column < 0:
            return
        folders, pending = [], [self._root]
        while pending:
            folder = pending.pop()
            folders.append(folder)
            pending.extend(child for child in folder.children if child.children)
        self._relayout(folders)

    def sort_order(self) -> tuple[int, Qt.SortOrder]:
        """The column and order rows are kept in (column ``-1``: listing order)."""
        order = Qt.SortOrder.DescendingOrder if self._descending else Qt.SortOrder.AscendingOrder
        return self._sort_column, order

    def _primary(self, node: _Node) -> str | int | float:
        if self._sort_column == NAME_COLUMN:
            return node.name.casefold()
        if self._sort_column == SIZE_COLUMN:
            size = self._size(node)
            return -1 if size is None else size
        if self._sort_column == MODIFIED_COLUMN:
            return node.info.modified.timestamp() if node.info else 0.0
        return self._display(node, STATUS_COLUMN)

    def _order(self, nodes: list[_Node]) -> None:
        """Sort in place: folders first, then the sort column, ties by name (stable passes)."""
        nodes.sort(key=_name_key)
        nodes.sort(key=self._primary, reverse=self._descending)
        nodes.sort(key=_file_rank)

    def _in_order(self, first: _Node, second: _Node) -> bool:
        """Whether ``first`` may stand before ``second`` under the current sort."""
        if first.is_folder != second.is_folder:
            return first.is_folder
        a, b = self._primary(first), self._primary(second)
        if a != b:
            return (a < b) != self._descending  # type: ignore[operator]
        return _name_key(first) <= _name_key(second)

    def _resort(self, folders: Iterable[_Node], column: int) -> None:
        """Re-sort ``folders`` after values in ``column`` changed, if rows are sorted by it."""
        if self._sort_column == column:
            self._relayout([folder for folder in folders if len(folder.children) > 1])

    def _relayout(self, folders: list[_Node]) -> None:
        # A whole-model layout change: PySide's emit() takes no parents/hint arguments, and
        # the proxy only re-maps the folders a view has opened.
        if not folders:
            return
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        for folder in folders:
            self._order(folder.children)
            for row, child in enumerate(folder.children):
                child.row = row
        self.changePersistentIndexList(before, [self._moved(index) for index in before])
        self.layoutChanged.emit()

    def _moved(self, index: QModelIndex) -> QModelIndex:
        node: _Node = index.internalPointer()
        return self.createIndex(node.row, index.column(), node)

    # ----------------------------------------------------------------- lookups

    def path_for(self, index: ModelIndex) -> str:
        """The storage path of ``index`` (this model's or a proxy's); ``""`` for the root."""
        if not index.isValid():
            return ""
        if index.model() is not self:
            return str(index.data(PATH_ROLE) or "")
        return self._node(index).path

    def index_for(self, path: str, column: int = 0) -> QModelIndex:
        """The index of a loaded row, or an invalid index (also for the root)."""
        node = self._find(path)
        return QModelIndex() if node is None else self._index_of(node, column)

    def kind_for(self, index: ModelIndex) -> NodeKind:
        """The :class:`NodeKind` of ``index`` (this model's or a proxy's)."""
        if index.isValid() and index.model() is not self:
            return NodeKind(index.data(KIND_ROLE))
        return self._node(index).kind

    def shows_listing(self, folder: str, files: set[str], folders: set[str]) -> bool:
        """Whether the rows of ``folder`` are these file and folder names (``True`` too when
        the folder is not shown listed, so there is nothing to correct)."""
        node = self._find(folder)
        if node is None or not node.is_folder or node.state is not LoadState.LOADED:
            return True
        if not folder:
            folders = folders - HIDDEN_ROOT_FOLDERS
        shown_files = {child.name for child in node.children if not child.is_folder}
        shown_folders = {child.name for child in node.children if child.is_folder}
        return shown_files == files and shown_folders == folders

    def is_loading(self, path: str) -> bool:
        node = self._find(path)
        return node is not None and node.state is LoadState.LOADING

    def error_for(self, path: str) -> str | None:
        """The listing error of the folder ``path``, if its last listing failed."""
        node = self._find(path)
        return node.error if node is not None else None

    def set_icons(self, icons: Mapping[str, QIcon]) -> None:
        self._icons = dict(icons)
        if self._root.children:
            last = len(self._root.children) - 1
            self.dataChanged.emit(self.index(0, 0), self.index(last, 0))

    def _node(self, index: ModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def _find(self, path: str) -> _Node | None:
        node = self._root
        if not path:
            return node
        parts = path.split("/")
        for depth, part in enumerate(parts):
            child = node.by_key.get(part + "/")
            if child is None and depth == len(parts) - 1:
                child = node.by_key.get(part)
            if child is None:
                return None
            node = child
        return node

    def _index_of(self, node: _Node, column: int = 0) -> QModelIndex:
        if node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, column, node)

    def _emit_row_changed(self, node: _Node) -> None:
        if node is not self._root:
            first, last = self._index_of(node, 0), self._index_of(node, len(COLUMNS) - 1)
            self.dataChanged.emit(first, last)

    def _emit_column_changed(self, node: _Node, column: int) -> None:
        if node.children:
            first = self.createIndex(0, column, node.children[0])
            last = self.createIndex(len(node.children) - 1, column, node.children[-1])
            self.dataChanged.emit(first, last)

    # ----------------------------------------------------------------- drag and drop

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return _ROOT_FLAGS
        node: _Node = index.internalPointer()
        if node.is_folder:
            return _FOLDER_FLAGS
        return _ERROR_ROW_FLAGS if node.kind is _ERROR_KIND else _FILE_FLAGS

    def supportedDropActions(self) -> Qt.DropAction:
        # Copy only: a "move" drop would make the view remove the dragged rows itself; whether a
        # transfer moves or copies is the integrator's decision, not the drag's.
        return Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE, URI_LIST]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        paths = list(dict.fromkeys(self.path_for(i) for i in indexes if i.isValid()))
        data = QMimeData()
        payload = json.dumps({"side": self.side, "paths": paths}).encode()
        data.setData(MIME_TYPE, QByteArray(payload))
        data.setText("\n".join(paths))
        if self.side == SIDE_LOCAL and self.local_root is not None:
            root = self.local_root
            data.setUrls([QUrl.fromLocalFile(str(root / p)) for p in paths])
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: ModelIndex
    ) -> bool:
        decoded = self._decode_drop(data)
        if decoded is None or self._drop_target(parent) is None:
            return False
        paths, side = decoded
        target = self._drop_target(parent)
        # Dropping items back into the folder they came from would do nothing.
        return not (side == self.side and all(p.rpartition("/")[0] == target for p in paths))

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: ModelIndex
    ) -> bool:
        """Turn a drop into :attr:`dropRequested`; the integrator does the transfer."""
        if action == Qt.DropAction.IgnoreAction:
            return True
        decoded = self._decode_drop(data)
        target = self._drop_target(parent)
        if decoded is None or target is None:
            return False
        paths, side = decoded
        self.dropRequested.emit(paths, target, side)
        return True

    def _drop_target(self, parent: ModelIndex) -> str | None:
        node = self._node(parent)
        if not node.is_folder:
            node = node.parent or self._root  # dropped on a file: into its folder
        return node.path

    @staticmethod
    def _decode_drop(data: QMimeData) -> tuple[list[str], str] | None:
        if data.hasFormat(MIME_TYPE):
            try:
                payload = json.loads(bytes(data.data(MIME_TYPE).data()).decode())
                paths, side = payload["paths"], payload["side"]
            except (ValueError, KeyError, TypeError):
                return None
            if isinstance(paths, list) and all(isinstance(p, str) for p in paths) and paths:
                return paths, str(side)
            return None
        local = [url.toLocalFile() for url in data.urls() if url.isLocalFile()]
        return (local, SIDE_OS) if local else None
