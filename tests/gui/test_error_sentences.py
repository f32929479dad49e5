"""Issue 12, item 10: error sentences and sizes in the user's language, through one channel.

``app.messages.describe`` turns every error kind into a sentence: English keeps the storage
layer's specific message, a translated interface shows the kind's translated sentence (never a
half-English one). ``format_size`` uses translated unit names. The mechanism is checked with a
small catalogue compiled here; the last test checks the real Russian window and needs the
Russian catalogue to have the new strings (see its docstring).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt, QTranslator
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import i18n, messages
from app.errors import describe_error
from app.messages import describe, format_rate, format_size, sentence_for
from app.models.transfer_model import Column
from app.services.transfers import JobState
from file_storage import LocalStorageBackend, S3Tuning, errors
from file_storage.sandbox import PortInUseError, SeaweedSandbox
from tests.conftest import MakeS3
from tests.gui.helpers_window import REC, TcpRelay, opened_window, wait_until
from tests.gui.test_translations import installed, untranslated

NOT_FOUND = messages.SENTENCES[errors.ObjectNotFoundError]
RUSSIAN_NOT_FOUND = "Файл не найден: возможно, его переместили или удалили. Обновите и повторите."

MINI_CATALOGUE = f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context><name>Messages</name>
<message><source>{NOT_FOUND}</source><translation>{RUSSIAN_NOT_FOUND}</translation></message>
<message><source>{{sentence}} ({{path}})</source><translation>{{sentence}} ({{path}})</translation>
</message>
</context>
<context><name>Units</name>
<message><source>MiB</source><translation>МиБ</translation></message>
<message><source>B</source><translation>Б</translation></message>
<message><source>{{size}}/s</source><translation>{{size}}/с</translation></message>
</context>
</TS>
"""


@pytest.fixture
def mini_russian(qapp: QApplication, tmp_path: Path) -> Iterator[None]:
    """A catalogue with a few of the new sentences in Russian, compiled and installed."""
    ts = tmp_path / "mini_ru.ts"
    ts.write_text(MINI_CATALOGUE, encoding="utf-8")
    qm = tmp_path / "mini_ru.qm"
    subprocess.run([i18n._tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
    translator = QTranslator()
    assert translator.load(str(qm))
    qapp.installTranslator(translator)
    try:
        yield
    finally:
        qapp.removeTranslator(translator)


def test_english_shows_the_specific_message_of_the_storage_layer() -> None:
    exc = errors.EndpointUnreachableError(
        "Cannot reach http://127.0.0.1:9 for get_object: connection refused."
    )
    assert describe(exc) == "Cannot reach http://127.0.0.1:9 for get_object: connection refused."
    assert describe_error(exc) == describe(exc)  # the old entry point is the same channel


def test_an_unexpected_error_names_its_class_only() -> None:
    assert describe(KeyError("secret-ish detail")) == (
        "Unexpected error (KeyError); the details are in the log."
    )


def test_every_error_kind_has_a_sentence_and_children_inherit_it() -> None:
    kinds = [
        getattr(errors, name)
        for name in errors.__all__
        if isinstance(getattr(errors, name), type)
        and issubclass(getattr(errors, name), errors.StorageError)
    ]
    assert len(kinds) > 20
    for kind in kinds:
        assert sentence_for(kind("x")) is not None, kind
    # A class appended later (here: the sandbox's) gets its parent's sentence.
    assert sentence_for(PortInUseError("x")) == messages.SENTENCES[errors.EndpointUnreachableError]


def test_a_translated_interface_shows_the_kind_sentence_and_translated_units(
    mini_russian: None,
) -> None:
    exc = errors.ObjectNotFoundError(
        "File not found: users/user_000001/recordings/rec-1/a.mp4",
        path="users/user_000001/recordings/rec-1/a.mp4",
    )
    assert describe(exc) == f"{RUSSIAN_NOT_FOUND} (users/user_000001/recordings/rec-1/a.mp4)"
    assert format_size(1536 * 1024) == "1.5 МиБ"
    assert format_size(12) == "12 Б"
    assert format_rate(48 * 1024 * 1024) == "48.0 МиБ/с"
    # A kind the catalogue does not have yet keeps the English message (never a mix).
    unreachable = errors.EndpointUnreachableError("Cannot reach http://h for put_object.")
    assert describe(unreachable) == "Cannot reach http://h for put_object."


def test_sizes_in_english(qapp: QApplication) -> None:
    assert format_size(0) == "0 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_rate(3 * 1024**3) == "3.0 GiB/s"


# --------------------------------------------------------------------------- the Russian window


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


async def test_russian_window_shows_storage_errors_without_english(
    qtbot: QtBot,
    qapp: QApplication,
    local: LocalStorageBackend,
    make_s3: MakeS3,
    s3_server: SeaweedSandbox,
) -> None:
    """Needs the coordinator's Russian catalogue update (the new app/messages.py strings).

    Until ``resources/translations/leap_sync_ru.ts`` translates the "Messages" context, the
    window falls back to the English storage messages and this test fails on them, by design.

    The link to the server goes away after the tree was listed: Download (Ctrl+D) fails in the
    banner, and an Upload (Ctrl+U) fails in the transfer queue. Both show Russian sentences.
    """
    url = urlsplit(s3_server.endpoint_url)
    relay = TcpRelay(url.hostname or "127.0.0.1", url.port or 80)
    await relay.start()
    remote = make_s3(
        endpoint_url=f"http://127.0.0.1:{relay.port}",
        tuning=S3Tuning(max_attempts=1, connect_timeout=2, read_timeout=2),
    )
    await remote.save(f"{REC}/source.mp4", b"v" * 1000)
    await local.save(f"{REC}/notes.txt", b"keep me")
    seen: dict[str, Any] = {}
    try:
        with installed("ru", qapp):
            async with opened_window(qtbot.addWidget, local, remote) as h:
                window = h.window
                await h.select(h.remote_pane, f"{REC}/source.mp4")
                await h.settle()
                await relay.cut()

                before = len(h.action_tasks)
                QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
                assert len(h.action_tasks) == before + 1
                await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 15)
                visible, level, _text = h.banner()
                label = window.notifications.label
                seen["banner"] = label.toolTip() or label.text()
                assert visible
                assert level == "error"

                await h.select(h.local_pane, f"{REC}/notes.txt")
                before = len(h.action_tasks)
                QTest.keyClick(window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
                assert len(h.action_tasks) == before + 1
                await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 15)
                [job_id] = await h.wait_jobs(1, timeout=30)
                assert h.queue.job(job_id).state is JobState.FAILED
                panel = window.transfer_panel
                row = panel.row_of(job_id)
                assert row is not None
                shown = panel.view.model()
                seen["row reason"] = shown.index(row, Column.PROGRESS).data()
                seen["row state"] = shown.index(row, Column.STATE).data()
                tooltip = shown.index(row, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
                seen["row tooltip's reason"] = tooltip.splitlines()[-1]
    finally:
        with contextlib.suppress(Exception):
            await relay.cut()
    assert all(seen.values()), seen
    english = {where: text for where, text in seen.items() if untranslated(text)}
    assert not english, english


async def test_russian_window_preview_usage_and_connection_check_speak_russian(
    qtbot: QtBot,
    qapp: QApplication,
    local: LocalStorageBackend,
    make_s3: MakeS3,
    s3_server: SeaweedSandbox,
    tmp_path: Path,
) -> None:
    """The bucket goes away after it was listed: the preview of a bucket file (a click on its
    row), the usage recount of F5 and the status bar's connection check each say so in
    Russian, with Russian sizes; nothing of the storage layer's English reaches the window.

    Like the test above, the connection check's answer needs the coordinator's catalogue update
    (the new "Messages" strings "The bucket answered in {ms} ms." and "The bucket answered.");
    until then it shows the backend's English detail and this test fails on it, by design."""
    from app.services.media import MediaService
    from file_storage.backends.base import CheckResult
    from file_storage.media import MediaInfoCache
    from tests.gui.test_pointing import click_row

    url = urlsplit(s3_server.endpoint_url)
    relay = TcpRelay(url.hostname or "127.0.0.1", url.port or 80)
    await relay.start()
    remote = make_s3(
        endpoint_url=f"http://127.0.0.1:{relay.port}",
        tuning=S3Tuning(max_attempts=1, connect_timeout=2, read_timeout=2),
    )
    await remote.save(f"{REC}/notes.txt", b"n" * 3000)
    await local.save(f"{REC}/local.txt", b"keep me")

    def media(queue: Any) -> MediaService:
        return MediaService(
            queue,
            cache=MediaInfoCache(None),
            thumbnail_dir=tmp_path / "thumbs",
            temp_dir=local.base_path / "temp",
        )

    seen: dict[str, str] = {}
    try:
        with installed("ru", qapp):
            async with opened_window(qtbot.addWidget, local, remote, media=media) as h:
                window = h.window
                preview = window.preview_pane
                assert preview is not None
                await h.reveal(h.remote_pane, f"{REC}/notes.txt")
                await h.settle()
                seen["quota bar"] = window.quota_panel.s3_bar.label.text()
                await relay.cut()

                await click_row(h, h.remote_pane, f"{REC}/notes.txt")
                await wait_until(lambda: bool(preview.note.text()), 20, "the preview's note")
                seen["preview note"] = preview.note.text()

                notices_before = len(window.notifications.notices())
                QTest.keyClick(window, Qt.Key.Key_F5)
                await wait_until(
                    lambda: any(n.level.value == "warning" for n in window.notifications.notices()),
                    20,
                    "the usage warning",
                )
                assert len(window.notifications.notices()) > notices_before
                for number, notice in enumerate(window.notifications.notices()):
                    seen[f"notice {number} ({notice.level.value})"] = notice.text

                failure = CheckResult(
                    False,
                    "s3",
                    "Cannot reach http://127.0.0.1:9 for head_bucket.",
                    error=errors.EndpointUnreachableError(
                        "Cannot reach http://127.0.0.1:9 for head_bucket."
                    ),
                )
                seen["connection check"] = messages.check_detail(failure)
                answered = CheckResult(True, "s3", "Connected: bucket 'b' (12 ms).", 12.0)
                seen["connection answer"] = messages.check_detail(answered)
    finally:
        with contextlib.suppress(Exception):
            await relay.cut()
    assert "КиБ" in seen["quota bar"], seen
    assert all(seen.values()), seen
    english = {where: text for where, text in seen.items() if untranslated(text)}
    assert not english, english
