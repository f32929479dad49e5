"""A process that queues uploads, stops in the middle of the first, and waits to be killed.

``python -m tests.gui.queue_child DB LOCAL_DIR N`` with ``CHILD_S3_*`` variables naming the
bucket: it records its queue in ``DB`` (as the app does), uploads ``N`` files from ``LOCAL_DIR``,
pauses once the first upload sent a part, prints ``HELD`` and sleeps. The test then kills it with
SIGKILL, as a crash or a power cut would, and checks that the queue comes back.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QCoreApplication

from app.services.queue_store import QueueStore
from app.services.transfers import JobQueue, JobState
from file_storage import S3StorageBackend, S3Tuning

MiB = 1024 * 1024


def remote_from_env() -> S3StorageBackend:
    """The bucket the test chose."""
    env = os.environ
    return S3StorageBackend(
        env["CHILD_S3_BUCKET"],
        prefix=env["CHILD_S3_PREFIX"],
        access_key_id=env["CHILD_S3_KEY"],
        secret_access_key=env["CHILD_S3_SECRET"],
        endpoint_url=env["CHILD_S3_ENDPOINT"],
        tuning=S3Tuning(
            part_size=5 * MiB,
            multipart_threshold=5 * MiB,
            max_concurrency=1,
            upload_journal=Path(env["CHILD_JOURNAL"]),  # as the app's factory sets it
        ),
    )


async def main(db: Path, folder: Path, count: int) -> None:
    remote = remote_from_env()
    queue = JobQueue()
    queue.attach_store(QueueStore(db), os.environ["CHILD_SCOPE"])
    queue.set_limit("transfer", 1)
    jobs = [
        queue.add_upload(remote, folder / f"clip-{n}.bin", f"users/u/recordings/r{n}/source.mp4")
        for n in range(count)
    ]
    first = jobs[0]
    while not (first.state is JobState.RUNNING and first.transferred >= 5 * MiB):
        await asyncio.sleep(0.005)
    queue.pause()
    while first.hold != "paused":
        await asyncio.sleep(0.005)
    queue.persist_now()
    print("HELD", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    app = QCoreApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])))
