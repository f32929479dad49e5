"""Issue 12, item 3: a frozen S3 server shows as "Not responding" within seconds, not "Connected".

The server is a SeaweedFS sandbox of this module's own (never the shared one): the tests freeze it
with SIGSTOP, as a hung server behaves (TCP still accepts, nothing answers), and thaw it with
SIGCONT. The status widget and the health service are the real ones.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar
from pytestqt.qtbot import QtBot

from app.services.health import ConnectionState, HealthService, TransferWatch
from app.services.transfers import JobQueue
from app.views.connection_status import ConnectionStatus
from file_storage import S3StorageBackend, S3Tuning
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import freezable_server
from tests.gui.helpers_window import wait_until

BUCKET = "health"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedSandbox]:
    yield from freezable_server(tmp_path_factory.mktemp("health-seaweedfs"), BUCKET)


@pytest.fixture
async def remote(own_server: SeaweedSandbox) -> AsyncIterator[S3StorageBackend]:
    backend = S3StorageBackend(
        BUCKET,
        prefix="probe",
        access_key_id=own_server.access_key,
        secret_access_key=own_server.secret_key,
        endpoint_url=own_server.endpoint_url,
    )
    yield backend
    await backend.aclose()


@pytest.fixture
async def health(remote: S3StorageBackend) -> AsyncIterator[HealthService]:
    """Probes every second with a 1.5 s deadline (started by the test, on its loop)."""
    service = HealthService(remote, interval=1.0, retry_interval=0.5, timeout=1.5)
    yield service
    await service.aclose()


def status_bar(qtbot: QtBot, health: HealthService) -> ConnectionStatus:
    bar = QStatusBar()
    qtbot.addWidget(bar)
    widget = ConnectionStatus(health)
    bar.addPermanentWidget(widget)
    bar.show()
    widget.bar = bar  # type: ignore[attr-defined]  # the bar must outlive this function
    health.start()
    return widget


def freeze(server: SeaweedSandbox) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)


def thaw(server: SeaweedSandbox) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGCONT)


async def test_a_frozen_server_shows_not_responding_then_connected_again(
    qtbot: QtBot, own_server: SeaweedSandbox, health: HealthService
) -> None:
    widget = status_bar(qtbot, health)
    await wait_until(lambda: widget.text() == "Connected", 15, "Connected")
    assert "can be listed" in widget.toolTip()
    freeze(own_server)
    try:
        await wait_until(
            lambda: "Not responding (since " in widget.text() or "no answer since" in widget.text(),
            10,
            "the status to say the server does not respond",
        )
        assert "did not answer within 1.5 s" in widget.toolTip()
        assert health.since is not None
    finally:
        thaw(own_server)
    await wait_until(lambda: widget.text() == "Connected", 15, "Connected after SIGCONT")
    assert "Last error: The server did not answer within 1.5 s." in widget.toolTip()


async def test_a_stalled_transfer_turns_the_status_at_once_and_a_probe_clears_it(
    qtbot: QtBot, health: HealthService
) -> None:
    """The transport's stall hook: shown before any probe could notice, confirmed by one."""
    widget = status_bar(qtbot, health)
    await wait_until(lambda: health.state is ConnectionState.CONNECTED, 15, "Connected")
    health.report_stall("No progress for 10 s on users/user_000001/recordings/r/source.mp4")
    assert widget.text().startswith("Not responding (since ")
    assert "No progress for 10 s" in widget.toolTip()
    # The server is fine: the probe the stall asked for brings "Connected" back.
    await wait_until(lambda: widget.text() == "Connected", 10, "the probe to clear the stall")


async def test_a_click_on_the_status_checks_at_once(
    qtbot: QtBot, own_server: SeaweedSandbox, remote: S3StorageBackend
) -> None:
    """With probes far apart, a click is what finds the frozen server."""
    service = HealthService(remote, interval=600, retry_interval=600, timeout=1.0)
    try:
        widget = status_bar(qtbot, service)
        await wait_until(lambda: widget.text() == "Connected", 15, "Connected")
        freeze(own_server)
        try:
            qtbot.mouseClick(widget.label, Qt.MouseButton.LeftButton)
            await wait_until(
                lambda: widget.text().startswith("Not responding"), 10, "the click's probe"
            )
        finally:
            thaw(own_server)
        qtbot.mouseClick(widget.label, Qt.MouseButton.LeftButton)
        await wait_until(lambda: widget.text() == "Connected", 15, "Connected after SIGCONT")
    finally:
        await service.aclose()


async def test_no_bucket_says_so(qtbot: QtBot) -> None:
    service = HealthService(None)
    widget = status_bar(qtbot, service)
    assert widget.text() == "No bucket"
    assert widget.toolTip() == "No bucket configured"


async def test_a_stalled_upload_turns_the_status_before_any_probe(
    qtbot: QtBot, own_server: SeaweedSandbox, tmp_path: Path
) -> None:
    """The queue's own stall signal (no byte for its stall time) reaches the status bar.

    While connected, probes are 10 minutes apart here, so only the transfer watch can notice
    the frozen server; once it is noticed, probes every second find the recovery.
    """
    remote = S3StorageBackend(
        BUCKET,
        prefix="stall",
        access_key_id=own_server.access_key,
        secret_access_key=own_server.secret_key,
        endpoint_url=own_server.endpoint_url,
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=1),
    )
    service = HealthService(remote, interval=600, retry_interval=1.0, timeout=2.0)
    queue = JobQueue()
    watch = TransferWatch(queue, service)
    source = tmp_path / "big.mp4"
    with open(source, "wb") as handle:
        for _ in range(40):
            handle.write(os.urandom(MiB))
    try:
        seen: list[str] = []  # every detail the status showed (a probe may replace it soon)
        service.stateChanged.connect(lambda _state: seen.append(service.detail))
        widget = status_bar(qtbot, service)
        watch.start()
        await wait_until(lambda: widget.text() == "Connected", 15, "Connected")
        job = queue.add_upload(remote, source, "users/user_000001/recordings/r/source.mp4")
        await wait_until(lambda: job.transferred > 0, 30, "the upload to move")
        freeze(own_server)
        try:
            await wait_until(
                lambda: widget.text().startswith("Not responding"), 30, "the stall to show"
            )
            assert any(detail.startswith("No progress on ") for detail in seen), seen
        finally:
            thaw(own_server)
        await wait_until(lambda: widget.text() == "Connected", 30, "Connected after SIGCONT")
    finally:
        watch.stop()
        await queue.shutdown(timeout=4.0)
        await service.aclose()
        await remote.aclose()
