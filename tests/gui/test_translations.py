"""Translations: the catalogues are complete, the language is chosen right, and the real window
and dialogs have no English left in Russian.

The Russian checks open the real MainWindow (media and sync features, a local store on
``tmp_path`` and the real SeaweedFS), with the compiled Russian catalogue and Qt's own installed
on the application, and read back every text a user can see. A text passes if it holds Cyrillic
letters, or if nothing but allowlisted tokens (product and format names, paths, sizes, numbers,
dates, user IDs) is left once those are removed.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import QLocale, QSettings, Qt, QTranslator
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QTreeView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app import i18n
from app.credentials import CredentialStore
from app.profiles import Profile, ProfileStore, profiles_file
from app.services.media import MediaService
from app.services.sync import SyncService
from app.services.transfers import JobQueue, JobState
from app.views.settings_dialog import SettingsDialog
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.media import MediaInfoCache
from tests.conftest import MakeS3
from tests.gui.helpers_window import Harness, opened_window, seed_every_state, wait_until

TRANSLATIONS = Path(__file__).resolve().parents[2] / "resources" / "translations"
USER = "users/user_000001"
REC = f"{USER}/recordings/rec-1"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%n")

#: What may stay as it is in a Russian text, and why.
ALLOWED = [
    re.compile(pattern)
    for pattern in (
        r"https?://\S+",  # links
        r"\S*/\S*",  # storage paths, endpoints, "user_NNNNNN/recording-id" (data, not words)
        r"\b[\w.-]+\.(txt|mp4|m4a|mp3|jpg|json)\b",  # file names
        r"\buser_\d{6}\b",  # user IDs of the store layout
        r"\b\d+(\.\d+)?\s?(B|KiB|MiB|GiB|TiB)\b",  # sizes (file_storage formats them)
        r"\b\d{4}-\d\d-\d\d( \d\d:\d\d)?\b",  # dates
        r"\b\d+p\b",  # transcode presets (1080p)
        # Product, format and component names, and a language named in itself:
        r"\b(Leap Sync|SeaweedFS|FFmpeg|Lucide|PySide6|Qt|S3|MP4|M4A|MP3|H\.264|AAC|HD)\b",
        r"\bEnglish\b",
    )
]


#: Whole texts that are example values of identifiers typed in Latin letters (the settings
#: form's placeholders for region, bucket and prefix: S3 names cannot be Cyrillic).
EXAMPLE_VALUES = frozenset({"us-east-1", "my-recordings", "storage"})


def untranslated(text: str) -> bool:
    """True when ``text`` is an English UI string: no Cyrillic, and words beyond the allowlist."""
    if text in EXAMPLE_VALUES:
        return False
    plain = re.sub(r"<[^>]+>|&\w+;", " ", text)
    if CYRILLIC.search(plain):
        return False
    for pattern in ALLOWED:
        plain = pattern.sub(" ", plain)
    return re.search(r"[A-Za-z]", plain) is not None


# --------------------------------------------------------------------------- the catalogues


def messages(path: Path) -> Iterator[tuple[str, ET.Element]]:
    root = ET.parse(path).getroot()  # noqa: S314 - the repository's own catalogues
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            yield name, message


@pytest.mark.parametrize("language", ["en", "ru"])
def test_catalogues_parse_and_are_finished(language: str) -> None:
    path = TRANSLATIONS / f"leap_sync_{language}.ts"
    found = list(messages(path))
    assert found, path
    for context, message in found:
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None, (context, source)
        assert translation.get("type") not in ("unfinished", "obsolete", "vanished"), (
            context,
            source,
        )
        if message.get("numerus") == "yes":
            forms = [form.text or "" for form in translation.iter("numerusform")]
            assert len(forms) == (3 if language == "ru" else 2), (context, source)
        else:
            forms = [translation.text or ""]
        for form in forms:
            assert form.strip(), (context, source)
            # The same {fields} and %n as the source: str.format and Qt fill them in.
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(source)), (
                context,
                source,
                form,
            )


def test_russian_catalogue_covers_every_string_of_the_app() -> None:
    """The Russian catalogue has a message for every string English has (plurals included)."""
    russian = {(c, m.findtext("source")) for c, m in messages(TRANSLATIONS / "leap_sync_ru.ts")}
    english = {(c, m.findtext("source")) for c, m in messages(TRANSLATIONS / "leap_sync_en.ts")}
    assert english <= russian
    assert len(russian) > 300


def test_russian_plurals_follow_the_number(qapp: QApplication) -> None:
    with installed("ru", qapp):
        forms = [JobQueue.tr("Delete %n files", "", n) for n in (1, 3, 5, 21)]
    assert forms == [
        "Удаление 1 файла",
        "Удаление 3 файлов",
        "Удаление 5 файлов",
        "Удаление 21 файла",
    ]
    with installed("en", qapp):
        assert JobQueue.tr("Delete %n files", "", 1) == "Delete 1 file"


# --------------------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    ("system", "setting", "environment", "expected"),
    [
        ("ru_RU", None, None, "ru"),
        ("ru_RU", "system", None, "ru"),
        ("en_US", None, None, "en"),
        ("de_DE", None, None, "en"),  # no German catalogue: English
        ("ru_RU", "en", None, "en"),  # the Settings override wins over the system
        ("en_US", "ru", None, "ru"),
        ("en_US", "bogus", None, "en"),
        ("ru_RU", "ru", "en", "en"),  # LEAP_SYNC_LANG wins over both
        ("en_US", "en", "ru_RU.UTF-8", "ru"),
    ],
)
def test_language_choice(
    system: str, setting: str | None, environment: str | None, expected: str
) -> None:
    chosen = i18n.choose_language(setting=setting, environment=environment, locale=QLocale(system))
    assert chosen == expected


def test_configured_language_reads_settings_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(i18n.SETTING_LANGUAGE, "ru")
    monkeypatch.delenv(i18n.ENV_LANGUAGE, raising=False)
    assert i18n.configured_language(settings) == "ru"
    monkeypatch.setenv(i18n.ENV_LANGUAGE, "en")
    assert i18n.configured_language(settings) == "en"


def test_tests_run_in_english() -> None:
    """tests/conftest.py pins the language, so English assertions hold on any machine."""
    assert i18n.configured_language() == "en"


# --------------------------------------------------------------------------- Russian window


@contextlib.contextmanager
def installed(language: str, app: QApplication) -> Iterator[list[QTranslator]]:
    """Install ``language``'s catalogues (the app's and Qt's) on ``app`` for the block."""
    translators = i18n.load_translators(language, app)
    assert translators, f"no catalogue for {language}: run python -m app.i18n --compile"
    for translator in translators:
        app.installTranslator(translator)
    try:
        yield translators
    finally:
        for translator in translators:
            app.removeTranslator(translator)
            translator.deleteLater()


@pytest.fixture
def russian(qapp: QApplication) -> Iterator[None]:
    with installed("ru", qapp) as translators:
        assert len(translators) == 2, "the app's catalogue and Qt's qtbase_ru"
        yield


def action_texts(action: QAction, where: str) -> Iterator[tuple[str, str]]:
    if action.isSeparator():
        return
    yield f"{where}: action {action.objectName()!r} text", action.text()
    if action.toolTip() != action.text().replace("&", ""):
        yield f"{where}: action {action.objectName()!r} tooltip", action.toolTip()
    if action.statusTip():
        yield f"{where}: action {action.objectName()!r} status tip", action.statusTip()
    menu = action.menu()
    if isinstance(menu, QMenu):
        yield from menu_texts(menu, f"{where} > {menu.title()}")


def menu_texts(menu: QMenu, where: str) -> Iterator[tuple[str, str]]:
    yield f"{where}: menu title", menu.title()
    for action in menu.actions():
        yield from action_texts(action, where)


def view_texts(
    view: QAbstractItemView, name: str, columns: Iterable[int] | None
) -> Iterator[tuple[str, str]]:
    """Header texts, and the cell texts of ``columns`` for every loaded row."""
    model = view.model()
    for column in range(model.columnCount()):
        header = model.headerData(column, Qt.Orientation.Horizontal)
        if header:
            yield f"{name}: header {column}", str(header)
    pending = [view.rootIndex()]
    while pending and columns is not None:
        parent = pending.pop()
        for row in range(model.rowCount(parent)):
            for column in columns:
                text = model.index(row, column, parent).data()
                if text:
                    yield f"{name}: row {row} column {column}", str(text)
            if isinstance(view, QTreeView):
                pending.append(model.index(row, 0, parent))


def widget_texts(root: QWidget, skip_cells: tuple[QWidget, ...] = ()) -> list[tuple[str, str]]:
    """Every text a user can see on ``root`` and its visible children (not user data)."""
    found: list[tuple[str, str]] = [("window title", root.windowTitle())]
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        name = f"{type(widget).__name__} {widget.objectName()!r}"
        if widget.toolTip():
            found.append((f"{name} tooltip", widget.toolTip()))
        if isinstance(widget, QLabel | QAbstractButton | QAbstractSpinBox | QProgressBar):
            found.append((f"{name} text", widget.text()))
        elif isinstance(widget, QGroupBox):
            found.append((f"{name} title", widget.title()))
        elif isinstance(widget, QLineEdit):
            found.append((f"{name} placeholder", widget.placeholderText()))
        elif isinstance(widget, QComboBox):
            found += [(f"{name} item {i}", widget.itemText(i)) for i in range(widget.count())]
        elif isinstance(widget, QTabWidget):
            found += [(f"{name} tab {i}", widget.tabText(i)) for i in range(widget.count())]
        elif isinstance(widget, QChartView):
            chart = widget.chart()
            found.append((f"{name} title", chart.title()))
            for axis in chart.axes():
                found.append((f"{name} axis", axis.titleText()))
            for series in chart.series():
                for bar_set in getattr(series, "barSets", list)():
                    found.append((f"{name} legend", bar_set.label()))
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            found += view_texts(widget, name, None if widget in skip_cells else [])
        if isinstance(widget, QMenu):
            found += menu_texts(widget, name)
        for action in widget.actions():
            found += action_texts(action, name)
    return [(where, text) for where, text in found if text and text.strip()]


def assert_translated(found: list[tuple[str, str]]) -> None:
    english = [(where, text) for where, text in found if untranslated(text)]
    assert not english, "untranslated texts:\n" + "\n".join(f"  {w}: {t!r}" for w, t in english)


class MemoryKeyring(CredentialStore):
    """A working keyring in memory (the real one's error sentences are checked elsewhere)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    async def get_secret(self, ref: str) -> str | None:
        return self.secrets.get(ref)

    async def set_secret(self, ref: str, secret: str) -> None:
        self.secrets[ref] = secret

    async def delete_secret(self, ref: str) -> None:
        self.secrets.pop(ref, None)

    async def check(self) -> None:
        return None

    def describe(self) -> str:
        return "Secret Service (GNOME Keyring)"


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


OpenWindow = Callable[[S3StorageBackend], contextlib.AbstractAsyncContextManager[Harness]]


@pytest.fixture
def open_window(
    qtbot: QtBot, qapp: QApplication, local: LocalStorageBackend, tmp_path: Path
) -> OpenWindow:
    """The real window with the Media and Sync features, as app.main composes it."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )

    def media(queue: JobQueue) -> MediaService:
        return MediaService(
            queue,
            cache=MediaInfoCache(None),
            thumbnail_dir=tmp_path / "thumbs",
            temp_dir=local.base_path / "temp",
        )

    def sync(queue: JobQueue) -> SyncService:
        return SyncService(queue, tmp_path / "sync-index.sqlite3")

    return lambda remote: opened_window(qtbot.addWidget, local, remote, media=media, sync=sync)


async def seed(local: LocalStorageBackend, remote: S3StorageBackend) -> None:
    """Every status: identical, differing (a conflict card), local only, S3 only."""
    await seed_every_state(local, remote, REC)


async def window_texts(harness: Harness) -> list[tuple[str, str]]:
    window = harness.window
    found = widget_texts(window, skip_cells=())
    for pane in (harness.local_pane, harness.remote_pane):
        found += view_texts(pane.view, pane.view.objectName(), columns=[3])
        menu = window_context_menu(harness, pane)
        found += menu_texts(menu, f"{pane.view.objectName()} context menu")
    found += view_texts(window.transfer_panel.view, "transferQueue", columns=[1, 6])
    found.append(("transfer totals", window.transfer_panel.totals_label.text()))
    found += menu_texts(window.transfer_panel.build_context_menu(), "transfer context menu")
    found += [
        (f"status bar {w.objectName()}", w.text()) for w in window.statusBar().findChildren(QLabel)
    ]
    return found


def window_context_menu(harness: Harness, pane: Any) -> QMenu:
    """The tree's context menu as the window builds it (without running its event loop)."""
    menu = harness.window.build_context_menu(pane)
    menu.deleteLater()
    return menu


async def test_main_window_in_russian_has_no_english_left(
    russian: None, open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as harness:
        window = harness.window
        window.set_profile_label("Лекции")
        await harness.settle()
        for pane in (harness.local_pane, harness.remote_pane):
            await harness.reveal(pane, f"{REC}/identical.txt")
        # Presence first (Local only / S3 only / On both)...
        await wait_until(
            lambda: (
                harness.local_pane.model.index_for(f"{REC}/here.txt", 3).data() == "Только локально"
            ),
            15,
            "the presence column",
        )
        found = await window_texts(harness)
        # ... then a comparison's states, and one real upload in the transfer table.
        await harness.select(harness.local_pane, USER)
        await harness.run_action("actionCompare")
        await harness.select(harness.local_pane, f"{REC}/here.txt")
        await harness.run_action("actionUpload")
        await harness.wait_jobs(1)
        assert harness.queue.jobs()[0].state is JobState.DONE
        await harness.select(harness.local_pane, f"{REC}/changed.txt")
        found += await window_texts(harness)
        statuses = {text for where, text in found if "column 3" in where}
        assert {"Совпадает", "Отличается", "Только в S3"} <= statuses, statuses
        transfers = {text for where, text in found if where.startswith("transferQueue: row")}
        assert {"Загрузка", "Готово"} <= transfers, transfers
        texts = {text for _where, text in found}
        assert "Загрузить" in texts  # the toolbar's Upload
        assert "Перекодировать в MP4" in texts  # the Media submenu
        assert window.notifications.label.text().startswith("Сравнение users/user_000001")
        found.append(("notification", window.notifications.label.text()))
        preview = window.preview_pane
        assert preview is not None
        await wait_until(lambda: preview.path == f"{REC}/changed.txt", 10, "the preview")
        found += widget_texts(preview)
        assert_translated(found)

        # The delete confirmation: our question, and Qt's own Cancel button in Russian.
        task = window.run_task(window.delete_selected())
        await wait_until(lambda: window.findChild(QMessageBox, "confirmDelete") is not None)
        box = window.findChild(QMessageBox, "confirmDelete")
        texts = widget_texts(box)
        assert "Отмена" in {text for _where, text in texts}
        assert_translated(texts)
        box.reject()
        await wait_until(task.done, 10, "the confirmation to close")


async def test_dialogs_in_russian_have_no_english_left(
    russian: None, open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as harness:
        window = harness.window
        sync = window.sync_controller
        assert sync is not None
        await harness.settle()
        await harness.select(harness.local_pane, USER)

        task = window.run_task(sync.sync_selected())
        await wait_until(lambda: getattr(sync, "plan_dialog", None) is not None, 30, "the plan")
        plan = sync.plan_dialog
        found = widget_texts(plan, skip_cells=(plan.table,))
        found += view_texts(plan.table, "planTable", columns=[0])
        plan.reject()
        await wait_until(task.done, 10)

        task = window.run_task(sync.resolve_conflicts())
        await wait_until(lambda: getattr(sync, "conflict_dialog", None) is not None, 30)
        conflicts = sync.conflict_dialog
        assert conflicts.cards, "changed.txt differs on both sides"
        found += widget_texts(conflicts)
        conflicts.reject()
        await wait_until(task.done, 10)

        task = window.run_task(sync.open_migration())
        await wait_until(lambda: sync.migration_dialog is not None, 10)
        migration = sync.migration_dialog
        assert migration is not None
        migration.plan_button.click()
        await wait_until(lambda: migration.users.topLevelItemCount() > 0, 30, "the plan")
        found += widget_texts(migration)
        migration.reject()
        await wait_until(task.done, 10)

        task = window.run_task(window.show_about())
        await wait_until(lambda: getattr(window, "about_dialog", None) is not None, 10)
        about = window.about_dialog
        # The licence table's cells are the components' own metadata (names, versions,
        # licences, URLs): only its headers are ours.
        found += widget_texts(about)
        about.reject()
        await wait_until(task.done, 10)
        assert_translated(found)


async def test_settings_dialog_in_russian_and_the_language_choice(
    russian: None, qtbot: QtBot, tmp_path: Path
) -> None:
    store = ProfileStore(profiles_file(tmp_path / "config")).load()
    store.add(Profile(name="Лекции", bucket="lectures"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = SettingsDialog(store, MemoryKeyring(), settings=settings)
    qtbot.addWidget(dialog)
    dialog.show()
    await dialog.wait_idle()
    assert_translated(widget_texts(dialog))

    combo = dialog.findChild(QComboBox, "languageCombo")
    note = dialog.findChild(QLabel, "languageNoteLabel")
    assert [combo.itemData(i) for i in range(combo.count())] == ["system", "en", "ru"]
    assert combo.currentData() == "system"
    assert not note.isVisible()
    combo.setCurrentIndex(combo.findData("en"))
    combo.activated.emit(combo.currentIndex())
    assert settings.value(i18n.SETTING_LANGUAGE) == "en"
    assert note.isVisible()
    assert "после перезапуска" in note.text()
    combo.setCurrentIndex(combo.findData("system"))
    combo.activated.emit(combo.currentIndex())
    assert settings.value(i18n.SETTING_LANGUAGE) == "system"
    assert not note.isVisible()
    # The stored choice is what the next start reads.
    combo.setCurrentIndex(combo.findData("ru"))
    combo.activated.emit(combo.currentIndex())
    reread = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert i18n.choose_language(setting=reread.value(i18n.SETTING_LANGUAGE)) == "ru"
    dialog.reject()


def test_untranslated_detector() -> None:
    """The check is real: English is caught, and allowlisted tokens alone are not."""
    assert untranslated("Upload")
    assert untranslated("1 day")
    assert untranslated("Local only")
    assert not untranslated("Загрузить")
    assert not untranslated("S3")
    assert not untranslated("Leap Sync")
    assert not untranslated("users/user_000001/recordings/rec-1")
    assert not untranslated("1.5 MiB")
    assert not untranslated("1080p — Full HD, для основного плеера")
    assert not untranslated("12 %")
