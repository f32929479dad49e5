"""The main window: the local store and the S3 bucket side by side.

This is the skeleton the storage-core issue asks for (two empty panes); the recording trees,
transfers and quota panels arrive with the desktop-app issue.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Name", "Size", "Modified")


def _pane(title: str, tree_name: str, subtitle: str) -> tuple[QWidget, QTreeView]:
    pane = QWidget()
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(6, 6, 6, 6)
    heading = QLabel(f"<b>{title}</b><br><small>{subtitle}</small>")
    heading.setTextFormat(Qt.TextFormat.RichText)
    layout.addWidget(heading)
    tree = QTreeView()
    tree.setObjectName(tree_name)
    model = QStandardItemModel(0, len(COLUMNS), tree)
    model.setHorizontalHeaderLabels(list(COLUMNS))
    tree.setModel(model)
    tree.setAlternatingRowColors(True)
    layout.addWidget(tree)
    return pane, tree


class MainWindow(QMainWindow):
    """Two panes in a splitter: ``localTree`` on the left, ``remoteTree`` on the right."""

    def __init__(self, local_description: str, remote_description: str) -> None:
        super().__init__()
        self.setWindowTitle("Leap Sync")
        self.resize(1100, 640)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        local_pane, self.local_tree = _pane("Local store", "localTree", local_description)
        remote_pane, self.remote_tree = _pane("S3 bucket", "remoteTree", remote_description)
        splitter.addWidget(local_pane)
        splitter.addWidget(remote_pane)
        splitter.setSizes([550, 550])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage("Ready")
