"""Help > About: the app's name, version and purpose, and the licences of what it ships with.

Everything shown comes from the running program: the version and summary from the ``leap-sync``
package metadata (one source: ``pyproject.toml``), each component's version, licence and home page
from the metadata of the distribution actually installed (or bundled), Qt's version from Qt itself.
A component that is not there (imageio-ffmpeg is left out of the bundle) is not listed.
"""

from __future__ import annotations

import platform
from dataclasses import astuple, dataclass
from importlib.metadata import PackageNotFoundError, metadata
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, qVersion
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.icons import app_icon

#: The distributions the app uses at run time (and the bundle carries), in the order shown.
DISTRIBUTIONS = (
    "PySide6_Essentials",
    "PySide6_Addons",
    "shiboken6",
    "qasync",
    "aioboto3",
    "aiobotocore",
    "boto3",
    "botocore",
    "aiohttp",
    "aiofiles",
    "keyring",
    "SecretStorage",
    "jeepney",
    "cryptography",
    "pydantic",
    "pydantic_core",
    "pydantic-settings",
    "python-dotenv",
    "imageio-ffmpeg",  # development installs only: its ffmpeg binary is not bundled
)
#: The icon set in resources/icons (see its README.md and LICENSE-lucide.txt).
LUCIDE_VERSION = "1.62.0"
QT_LICENSING = "https://www.qt.io/licensing/"
#: pyproject.toml's description, listed here so lupdate offers it for translation.
PACKAGE_SUMMARY = QT_TRANSLATE_NOOP(
    "AboutDialog",
    "Keep a video-recordings store in sync between a local disk and S3-compatible object storage.",
)


@dataclass(frozen=True)
class Component:
    """One row of the licences table."""

    name: str
    version: str
    license: str
    url: str


def _license(meta: Any) -> str:
    """The SPDX expression (PEP 639), else the short License field, else the classifiers."""
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 60:
        return str(field)
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    return " / ".join(classifiers) or QCoreApplication.translate(
        "AboutDialog", "see its licence file"
    )


def _url(meta: Any) -> str:
    """The home page: Home-page, else the first Project-URL named like a home or source."""
    home = meta.get("Home-page")
    if home:
        return str(home)
    urls = [u.split(",", 1) for u in meta.get_all("Project-URL") or []]
    for label, url in urls:
        if label.strip().lower() in {"homepage", "home", "source", "repository"}:
            return url.strip()
    return urls[0][1].strip() if urls else ""


def components() -> list[Component]:
    """The components of this program, with their licences (installed ones only)."""
    rows = [
        Component("Python", platform.python_version(), "PSF-2.0", "https://www.python.org"),
        Component("Qt", qVersion(), "LGPL-3.0-only", QT_LICENSING),
    ]
    for name in DISTRIBUTIONS:
        try:
            meta = metadata(name)
        except PackageNotFoundError:
            continue
        rows.append(Component(meta["Name"], meta["Version"], _license(meta), _url(meta)))
    lucide = QCoreApplication.translate("AboutDialog", "Lucide icons")
    rows.append(Component(lucide, LUCIDE_VERSION, "ISC", "https://lucide.dev"))
    return rows


def _summary() -> str:
    try:
        return str(metadata("leap-sync")["Summary"])
    except PackageNotFoundError:  # a source tree that was not installed
        return ""


class AboutDialog(QDialog):
    """Name, version, summary and the licences of the bundled components."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About Leap Sync"))
        self.components = components()

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        version = self.tr("Version {version}").format(version=__version__)
        self.title_label = QLabel(f"<h2>Leap Sync</h2>{version}")
        self.title_label.setObjectName("aboutTitle")
        self.summary_label = QLabel(self._summary())
        self.summary_label.setObjectName("aboutSummary")
        self.summary_label.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.addWidget(self.title_label)
        text.addWidget(self.summary_label)
        header.addLayout(text, 1)

        self.notice_label = QLabel(
            self.tr(
                "Leap Sync is free software under the MIT licence. It is built on the components "
                "below, each under its own licence; Qt and PySide6 are used under the "
                '<a href="{url}">GNU LGPL version 3</a>.'
            ).format(url=QT_LICENSING)
        )
        self.notice_label.setObjectName("aboutNotice")
        self.notice_label.setWordWrap(True)
        self.notice_label.setOpenExternalLinks(True)

        self.table = self._build_table()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        about_qt = buttons.addButton(self.tr("About Qt"), QDialogButtonBox.ButtonRole.HelpRole)
        about_qt.setObjectName("aboutQtButton")
        about_qt.clicked.connect(QApplication.aboutQt)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(860, 560)

    def _summary(self) -> str:
        """The package's one-line summary; in another language, its translation."""
        summary = _summary()
        if summary == PACKAGE_SUMMARY:  # the metadata's sentence, as in pyproject.toml
            return self.tr(PACKAGE_SUMMARY)
        return summary

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(len(self.components), 4)
        table.setObjectName("licenseTable")
        table.setHorizontalHeaderLabels(
            [self.tr("Component"), self.tr("Version"), self.tr("Licence"), self.tr("Home page")]
        )
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        for row, component in enumerate(self.components):
            for column, value in enumerate(astuple(component)[:3]):
                table.setItem(row, column, QTableWidgetItem(value))
            table.setItem(row, 3, QTableWidgetItem())  # for sorting and copying: the label shows it
            table.item(row, 3).setData(Qt.ItemDataRole.UserRole, component.url)
            link = QLabel(f'<a href="{component.url}">{component.url}</a>' if component.url else "")
            link.setOpenExternalLinks(True)
            link.setContentsMargins(4, 0, 4, 0)
            table.setCellWidget(row, 3, link)
        header = table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        return table
