"""``TreePane``: one side of the window: a title, a filter box and a sortable tree.

The pane owns only presentation: a ``QSortFilterProxyModel`` over the caller's
:class:`~app.models.storage_tree.StorageTreeModel`, and the ``QTreeView``. Loading, drops and
transfers are wired by the integrator through the model's signals.

Typing in the filter box searches the whole store, not only the rows loaded so far: once the
typing pauses (:data:`FILTER_DELAY_MS`), the pane filters its rows and asks the model for a search
(``request_search``), which the loader answers by listing the store; each match comes into the
tree with the folders above it, and the pane opens those folders. Beside the box the pane says
"Searching…", then how many rows matched, or why the search failed with a Retry button. Clearing
the box puts back the folders that were open and the row that was current before the search.

A folder whose listing failed shows an error row ("Not responding — Retry"); activating it
(double-click, or Enter) lists the folder again.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.models.storage_tree import (
    ERROR_ICON,
    MODIFIED_COLUMN,
    NAME_COLUMN,
    PATH_ROLE,
    SIZE_COLUMN,
    SORT_ROLE,
    STATUS_COLUMN,
    NodeKind,
    StorageTreeModel,
)
from app.views.elided_label import ElidedLabel

#: Initial widths of the fixed columns; Name takes the rest.
COLUMN_WIDTHS = {SIZE_COLUMN: 90, MODIFIED_COLUMN: 130, STATUS_COLUMN: 90}
#: The pause in typing after which the filter applies and the store is searched (ms).
FILTER_DELAY_MS = 250


def standard_icons(style: QStyle) -> dict[str, QIcon]:
    """The platform style's icons for each node kind, as the model's ``icons`` argument."""
    pixmaps = {
        NodeKind.ROOT.value: QStyle.StandardPixmap.SP_DirIcon,
        NodeKind.FOLDER.value: QStyle.StandardPixmap.SP_DirIcon,
        NodeKind.USER.value: QStyle.StandardPixmap.SP_DirHomeIcon,
        NodeKind.RECORDING.value: QStyle.StandardPixmap.SP_MediaPlay,
        NodeKind.FILE.value: QStyle.StandardPixmap.SP_FileIcon,
        ERROR_ICON: QStyle.StandardPixmap.SP_MessageBoxWarning,
    }
    return {key: style.standardIcon(pixmap) for key, pixmap in pixmaps.items()}


class SourceSortingProxy(QSortFilterProxyModel):
    """Filters like any ``QSortFilterProxyModel`` but lets the tree model do the sorting.

    The proxy's own sort calls the model's Python ``data()`` twice per comparison: 2.5-5 s of
    frozen window for a 20,000-row folder on a header click, and up to 0.4 s per arriving page.
    The model sorts with precomputed keys instead (10-40 ms for 20,000 rows) and this proxy
    keeps its order.
    """

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


def make_proxy(model: StorageTreeModel, parent: QObject | None = None) -> SourceSortingProxy:
    """The pane's filter proxy: case-insensitive on names, keeping the way to every match."""
    proxy = SourceSortingProxy(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)  # for anyone who calls the base class's sort
    proxy.setFilterKeyColumn(NAME_COLUMN)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    # Keep the folders that lead to a match, and show what is inside a matching folder.
    proxy.setRecursiveFilteringEnabled(True)
    proxy.setAutoAcceptChildRows(True)
    return proxy


class TreePane(QWidget):
    """A titled, filterable, sortable view of one store.

    Signals:
        focused(): The tree or the filter box got the keyboard focus (the window remembers the
            pane the user worked in last, for toolbar actions).

    Args:
        model: The tree to show; the pane gives it the style's icons.
        tree_name: Object name of the tree view (``localTree`` / ``remoteTree``); the filter box
            is ``<tree_name>Filter``.
        title: Heading above the tree.
        parent: The owning widget.
    """

    focused = Signal()

    def __init__(
        self,
        model: StorageTreeModel,
        tree_name: str,
        title: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.title_label = QLabel(title)
        bold = QFont(self.title_label.font())
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label = QLabel()
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setVisible(False)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName(f"{tree_name}Filter")
        self.filter_edit.setPlaceholderText(self.tr("Filter…"))
        self.filter_edit.setClearButtonEnabled(True)
        # Elided: a long error sentence must not widen the pane (its tooltip shows it all).
        self.search_label = ElidedLabel()
        self.search_label.setObjectName(f"{tree_name}SearchStatus")
        self.search_retry = QPushButton(self.tr("Retry"))
        self.search_retry.setObjectName(f"{tree_name}SearchRetry")
        self.search_retry.setVisible(False)
        self.search_retry.clicked.connect(self._retry_search)
        self.proxy = make_proxy(model, self)
        self.view = self._make_view(tree_name)
        self._reopen: set[str] = set()
        self._reselect: str | None = None
        # The filter applied (and searched for) last; what was open before a search began.
        self._applied = ""
        self._saved_open: set[str] = set()
        self._saved_current: str | None = None
        self._opened_for_search: set[str] = set()
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(FILTER_DELAY_MS)
        self._delay.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._filter_edited)
        model.searchChanged.connect(self._show_search_state)
        model.matchesFound.connect(self._open_to)
        self.view.activated.connect(self._activated)
        model.set_icons(standard_icons(self.style()))
        self.view.installEventFilter(self)
        self.filter_edit.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        # The search status sits beside the box, so showing it never moves the tree.
        filter_row = QHBoxLayout()
        filter_row.setContentsMargins(0, 0, 0, 0)
        filter_row.addWidget(self.filter_edit, 3)
        filter_row.addWidget(self.search_label, 2)
        filter_row.addWidget(self.search_retry)
        layout.addWidget(self.title_label)
        layout.addWidget(self.detail_label)
        layout.addLayout(filter_row)
        layout.addWidget(self.view)

    def _make_view(self, tree_name: str) -> QTreeView:
        view = QTreeView(self)
        view.setObjectName(tree_name)
        view.setModel(self.proxy)
        view.setUniformRowHeights(True)  # lets the view skip measuring 20,000 rows
        view.setAlternatingRowColors(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        view.setDragEnabled(True)
        view.setAcceptDrops(True)
        view.setDropIndicatorShown(True)
        view.setDefaultDropAction(Qt.DropAction.CopyAction)
        view.setSortingEnabled(True)
        view.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
        header = view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column, width in COLUMN_WIDTHS.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        return view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self.focused.emit()
        return False

    def set_title(self, text: str, detail: str = "") -> None:
        """Set the heading and an optional smaller line under it (where the store is)."""
        self.title_label.setText(text)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))

    def selected_paths(self) -> list[str]:
        """Storage paths of the selected rows, each once, in the order they were selected."""
        rows = self.view.selectionModel().selectedRows(NAME_COLUMN)
        return list(dict.fromkeys(str(index.data(PATH_ROLE)) for index in rows))

    def current_folder(self) -> str:
        """The folder the user is "in": the current folder row, a file's folder, or the root."""
        index = self.view.currentIndex()
        if not index.isValid():
            return ""
        path = self.model.path_for(index)
        if self.model.kind_for(index) is NodeKind.FILE:
            return path.rpartition("/")[0]
        return path

    def refresh_keeping_view(self, folder: str) -> None:
        """Reload ``folder``; the folders open below it open again as their rows come back
        (see :meth:`reopen`), and the current row is made current again."""
        self._reopen.update(self.expanded_paths_under(folder))
        current = self.view.currentIndex()
        if current.isValid():
            self._reselect = self.model.path_for(self.proxy.mapToSource(current))
        self.model.refresh(folder)

    def expanded_paths_under(self, folder: str) -> set[str]:
        """Paths of the folders shown open below ``folder``."""
        top = self.model.index_for(folder)
        start = self.proxy.mapFromSource(top) if top.isValid() else QModelIndex()
        found: set[str] = set()
        stack = [start]
        while stack:
            parent = stack.pop()
            for row in range(self.proxy.rowCount(parent)):
                index = self.proxy.index(row, 0, parent)
                if self.view.isExpanded(index):
                    found.add(self.model.path_for(self.proxy.mapToSource(index)))
                    stack.append(index)
        return found

    def reopen(self, loaded_folder: str) -> None:
        """A folder finished loading: open again the sub-folders that were open before."""
        for path in [p for p in self._reopen if p.rpartition("/")[0] == loaded_folder]:
            self._reopen.discard(path)
            index = self.model.index_for(path)
            if index.isValid():
                self.view.expand(self.proxy.mapFromSource(index))
        if self._reselect and self._reselect.rpartition("/")[0] == loaded_folder:
            index = self.model.index_for(self._reselect)
            if index.isValid():
                self.view.setCurrentIndex(self.proxy.mapFromSource(index))
            self._reselect = None

    def refresh_current(self) -> None:
        """Reload the current folder (the window binds it to a key; the pane binds none)."""
        self.model.refresh(self.current_folder())

    # ----------------------------------------------------------------- errors

    def _activated(self, index: QModelIndex) -> None:
        """Double-click or Enter on a failed listing's error row lists the folder again."""
        if index.isValid() and self.model.kind_for(index) is NodeKind.ERROR:
            self.refresh_keeping_view(self.model.path_for(index))

    # ----------------------------------------------------------------- search

    def _filter_edited(self, text: str) -> None:
        """Each keystroke: stop the search for the old text; filter once typing pauses."""
        if self.model.search_state() is not None:
            self.model.cancel_search()
        if text.strip():
            self._delay.start()
            self._show_search_state()
        else:
            self._delay.stop()
            self.apply_filter()  # clearing is not worth a wait

    def apply_filter(self) -> None:
        """Filter and search for the typed text now (what a pause in typing does)."""
        text = self.filter_edit.text().strip()
        if text == self._applied:
            self._show_search_state()
            return
        if text and not self._applied:
            self._remember_view()
        self._opened_for_search = set()
        self.proxy.setFilterFixedString(text)
        previous, self._applied = self._applied, text
        self.model.request_search(text)
        if previous and not text:
            self._restore_view()

    def _retry_search(self) -> None:
        if self._applied:
            self.model.request_search(self._applied)

    def _remember_view(self) -> None:
        self._saved_open = self.expanded_paths_under("")
        current = self.view.currentIndex()
        self._saved_current = self.model.path_for(current) if current.isValid() else None

    def _restore_view(self) -> None:
        """Put back the folders open and the row current before the search began."""
        self.view.collapseAll()
        for path in sorted(self._saved_open, key=lambda p: p.count("/")):
            index = self.model.index_for(path)
            if index.isValid():
                self.view.expand(self.proxy.mapFromSource(index))
        if self._saved_current is not None:
            index = self.model.index_for(self._saved_current)
            if index.isValid():
                proxy_index = self.proxy.mapFromSource(index)
                self.view.setCurrentIndex(proxy_index)
                self.view.scrollTo(proxy_index)
        self._saved_open, self._saved_current = set(), None

    def _open_to(self, paths: list[str]) -> None:
        """Open the folders above each found row, so every match shows."""
        if not self._applied:
            return
        opened = self._opened_for_search
        for path in paths:
            chain: list[str] = []
            folder = path.rpartition("/")[0]
            while folder and folder not in opened:
                chain.append(folder)
                folder = folder.rpartition("/")[0]
            for folder in reversed(chain):
                opened.add(folder)
                index = self.model.index_for(folder)
                if index.isValid():
                    self.view.expand(self.proxy.mapFromSource(index))

    def _show_search_state(self) -> None:
        state = self.model.search_state()
        retry = False
        if not self.filter_edit.text().strip():
            text = ""
        elif self._delay.isActive():
            text = self.tr("Searching…")
        elif state is None:
            text = ""  # nothing answers searches (no store on this side)
        elif state.running:
            text = self.tr("Searching… %n match(es) so far", "", state.matches)
        elif state.error is not None:
            text, retry = state.error, True
        elif state.truncated:
            text = self.tr("More than %n matches: type more of the name", "", state.matches)
        else:
            text = self.tr("%n match(es) in the store", "", state.matches)
        self.search_label.setText(text)
        self.search_label.setVisible(bool(text))
        self.search_retry.setVisible(retry)
