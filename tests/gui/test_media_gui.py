"""Media jobs in the app: the queue, the Media menu, chaining, the preview and tree thumbnails.

Real ffmpeg, a real local store and the real SeaweedFS, on the qasync loop the app uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.models.storage_tree import SIDE_LOCAL, SIDE_S3
from app.services.media import AUDIO_M4A, THUMBNAIL, TRANSCODES, MediaService
from app.services.transfers import JobKind, JobQueue, JobState
from app.views.media_actions import MediaController, is_recording_source
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.media import MediaInfoCache
from file_storage.media.info import MediaInfo
from tests.conftest import MakeS3
from tests.gui.helpers_window import Harness, opened_window, wait_until
from tests.media.conftest import Clips, make_clip

USER = "users/user_000005"
REC = f"{USER}/recordings/talk-1"
OpenWindow = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    folder = tmp_path_factory.mktemp("gui-clips")
    av = make_clip(folder / "av.mp4")
    long = make_clip(folder / "long.mp4", seconds=40, size="640x360")
    return Clips(
        av=av, mkv=av, audio_only=av, video_only=av, hd=av, odd=av, long=long, not_media=av
    )


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def media_factory(tmp_path: Path, local: LocalStorageBackend) -> Callable[[JobQueue], MediaService]:
    def build(queue: JobQueue, **overrides: Any) -> MediaService:
        options: dict[str, Any] = {
            "cache": MediaInfoCache(None),
            "thumbnail_dir": tmp_path / "thumbs",
            "temp_dir": local.base_path / "temp",
        } | overrides
        return MediaService(queue, **options)

    return build


@pytest.fixture
def open_window(
    qtbot: QtBot,
    local: LocalStorageBackend,
    make_s3: MakeS3,
    media_factory: Callable[[JobQueue], MediaService],
    tmp_path: Path,
) -> OpenWindow:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )

    def opened(
        remote: S3StorageBackend | None = None,
        media: Callable[[JobQueue], MediaService] | None = None,
    ) -> contextlib.AbstractAsyncContextManager[Harness]:
        return opened_window(
            qtbot.addWidget, local, remote or make_s3(), media=media or media_factory
        )

    return opened


def controller(harness: Harness) -> MediaController:
    assert harness.window.media_controller is not None
    return harness.window.media_controller


async def finished(harness: Harness, job_ids: list[str], timeout: float = 60) -> None:
    await wait_until(
        lambda: all(
            harness.queue.job(i).state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
            for i in job_ids
        ),
        timeout,
        "media jobs to finish",
    )


async def test_menu_offers_every_job_and_the_window_has_a_preview(
    open_window: OpenWindow,
) -> None:
    async with open_window() as harness:
        media = controller(harness)
        names = {a.objectName() for a in media.menu.actions()}
        assert {"actionMediaInfo", "actionThumbnail", "actionExtractAudio"} <= names
        assert {"actionAfterUploadThumbnail", "actionAfterUploadAudio"} <= names
        presets = [a.text().split(" ")[0] for a in media.transcode_actions]
        assert presets == ["1080p", "720p", "480p", "source"]
        assert harness.window.preview_pane is not None
        assert harness.window.preview_pane.isVisible()
        assert media.menu_button.isVisible()


async def test_jobs_on_a_user_folder_run_in_the_queue_with_progress(
    open_window: OpenWindow, local: LocalStorageBackend, clips: Clips
) -> None:
    """A thumbnail for every recording under a selected user folder, through the one queue."""
    for rec in ("talk-1", "talk-2"):
        await local.upload_file(f"{USER}/recordings/{rec}/source.mp4", clips.av)
    await local.upload_file(f"{USER}/recordings/talk-2/notes.mp4", clips.av)  # not a source
    async with open_window() as harness:
        await harness.select(harness.local_pane, USER)
        jobs = await controller(harness).run_on_selection(THUMBNAIL)
        assert sorted(job.source for job in jobs) == [
            f"{USER}/recordings/talk-1/source.mp4",
            f"{USER}/recordings/talk-2/source.mp4",
        ]
        assert all(job.kind is JobKind.MEDIA and job.resource == "ffmpeg" for job in jobs)
        await finished(harness, [job.id for job in jobs])
        for job in jobs:
            assert job.state is JobState.DONE, job.error
            assert job.percent == 100
            assert job.destination.endswith("/thumbnail.jpg")
            assert await local.exists(job.destination)
        # The panel shows media jobs as a share done and their input's size.
        model = harness.window.transfer_panel.model
        row = model.row_of(jobs[0].id)
        assert row is not None
        assert model.index(row, 3).data() == "100 %"
        assert "KiB" in model.index(row, 2).data()


async def test_cancel_from_the_queue_leaves_nothing(
    open_window: OpenWindow, make_s3: MakeS3, clips: Clips, local: LocalStorageBackend
) -> None:
    """R7 in the app: cancel a transcode of an S3 recording mid-way from the queue."""
    remote = make_s3()
    await remote.upload_file(f"{REC}/source.mp4", clips.long)
    async with open_window(remote) as harness:
        assert harness.media is not None
        job = harness.media.add_job(SIDE_S3, remote, TRANSCODES[3], f"{REC}/source.mp4")
        await wait_until(lambda: job.detail == "encoding" and job.transferred > 40, 120, "encoding")
        harness.queue.cancel(job.id)
        await finished(harness, [job.id])
        assert job.state is JobState.CANCELLED
        assert not await remote.exists(f"{REC}/video.mp4")
        assert list((local.base_path / "temp").glob("leap-media-*")) == []


async def test_upload_then_thumbnail_then_audio_are_chained(
    open_window: OpenWindow, make_s3: MakeS3, clips: Clips, tmp_path: Path
) -> None:
    """Dropping a recording's source with both "after upload" toggles on queues three jobs
    that run in order: upload, thumbnail, extract audio."""
    remote = make_s3()
    dropped = tmp_path / "Лекция 1.mp4"
    dropped.write_bytes(clips.av.read_bytes())
    await remote.create_folder(f"{REC}")
    await remote.save(f"{REC}/transcription.json", b"{}")
    async with open_window(remote) as harness:
        media = controller(harness)
        media.action_auto_thumbnail.setChecked(True)
        media.action_auto_audio.setChecked(True)
        await harness.reveal(harness.remote_pane, REC)
        assert harness.drop_files(harness.remote_pane, REC, [dropped])
        await wait_until(lambda: len(harness.added) == 3, 15, "three jobs")
        jobs = [harness.queue.job(i) for i in harness.added]
        assert [j.kind for j in jobs] == [JobKind.UPLOAD, JobKind.MEDIA, JobKind.MEDIA]
        assert jobs[1].after == jobs[0].id
        assert jobs[2].after == jobs[1].id
        await finished(harness, harness.added)
        assert [j.state for j in jobs] == [JobState.DONE] * 3, [j.error for j in jobs]
        assert jobs[0].finished_at <= jobs[1].started_at  # type: ignore[operator]
        assert jobs[1].finished_at <= jobs[2].started_at  # type: ignore[operator]
        for name in ("source.mp4", "thumbnail.jpg", "audio.m4a"):
            assert await remote.exists(f"{REC}/{name}")
        # The toggles are remembered for the next session.
        assert QSettings().value("media/afterUploadAudio", type=bool) is True


async def test_preview_and_tree_show_the_thumbnail_and_probed_facts(
    open_window: OpenWindow, make_s3: MakeS3, clips: Clips
) -> None:
    remote = make_s3()
    await remote.upload_file(f"{REC}/source.mp4", clips.av, original_name="Лекция 1.mp4")
    async with open_window(remote) as harness:
        assert harness.media is not None
        done = harness.media.add_job(SIDE_S3, remote, THUMBNAIL, f"{REC}/source.mp4")
        await finished(harness, [done.id])
        assert done.state is JobState.DONE, done.error
        # The recordings folder lists the new thumbnail: the recording row shows it as its icon.
        await harness.reveal(harness.remote_pane, REC)
        model = harness.window.remote_model
        await wait_until(lambda: REC in model._thumbnails, 30, "the tree thumbnail")
        icon = model.index_for(REC).data(Qt.ItemDataRole.DecorationRole)
        assert icon.actualSize(controller(harness).window.remote_pane.view.iconSize()).width() == 28
        # Selecting the recording fills the preview: picture, duration and resolution.
        await harness.select(harness.remote_pane, REC)
        preview = harness.window.preview_pane
        assert preview is not None
        await wait_until(
            lambda: preview.has_image() and preview.values["Duration"].text() == "0:04",
            30,
            "the preview",
        )
        assert preview.values["Resolution"].text() == "320x240 at 25 fps"
        await wait_until(lambda: "Original name: Лекция 1.mp4" in preview.note.text(), 10, "name")
        assert preview.values["Video"].text() == "h264"
        # The probe is cached: the source row's tooltip carries it without probing again.
        await harness.reveal(harness.remote_pane, f"{REC}/source.mp4")
        source_index = model.index_for(f"{REC}/source.mp4")
        assert "0:04 · 320x240 · h264/aac" in source_index.data(Qt.ItemDataRole.ToolTipRole)
        assert "0:04" in model.index_for(REC).data(Qt.ItemDataRole.ToolTipRole)


async def test_a_missing_ffmpeg_is_one_clear_notice(
    open_window: OpenWindow,
    local: LocalStorageBackend,
    clips: Clips,
    media_factory: Callable[..., MediaService],
) -> None:
    await local.upload_file(f"{REC}/source.mp4", clips.av)
    broken = lambda queue: media_factory(queue, ffmpeg_path=Path("/opt/missing/ffmpeg"))  # noqa: E731
    async with open_window(media=broken) as harness:
        await harness.select(harness.local_pane, REC)
        controller(harness).action_audio.trigger()
        bar = harness.window.notifications
        await wait_until(lambda: "apt-get install ffmpeg" in bar.label.text(), 15, "the notice")
        assert harness.added == []  # no job per file failing one by one


def test_only_layout_sources_count_as_recording_sources() -> None:
    assert is_recording_source(f"{REC}/source.mkv")
    assert not is_recording_source(f"{REC}/video.mp4")
    assert not is_recording_source(f"{REC}/extra/source.mp4")
    assert not is_recording_source("shared/source.mp4")
    assert MediaInfo(duration=1.0, container="image2", video_codec="mjpeg").is_image
    assert AUDIO_M4A.label == "Extract audio (M4A)"
    assert SIDE_LOCAL == "local"
