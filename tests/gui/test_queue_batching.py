"""Issue 12: queueing thousands of files keeps the window answering.

Jobs added in one turn of the event loop become rows of the transfer table together (one
``beginInsertRows``), and a selection of thousands of files is queued a few hundred per turn, so
the loop runs in between (10,000 inserts froze it ~4 s). The lag itself is measured by
``bench/gui_queue_lag.py`` (bench/GUI_QUEUE_LAG.md); these tests check the mechanism.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QModelIndex, QTimer

from app.models.storage_tree import SIDE_LOCAL, SIDE_S3
from app.models.transfer_model import Column, TransferTableModel
from app.services.transfers import Job, JobKind, JobQueue
from app.views.main_window import JOBS_PER_TURN
from file_storage import LocalStorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import OpenWindow, wait_until

BULK = "users/user_000005/recordings/bulk"


async def test_jobs_added_in_one_turn_become_rows_in_one_insertion() -> None:
    queue = JobQueue()
    queue.pause()  # nothing starts: only rows are looked at
    model = TransferTableModel(queue)
    insertions: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: insertions.append((first, last)))
    jobs = [queue.add(Job(f"clip {i}", JobKind.UPLOAD, total=10)) for i in range(1500)]
    gone = jobs[7]
    queue.cancel(gone.id)
    assert queue.clear_finished() == 1  # removed before it was ever shown
    assert model.rowCount() == 0  # still the same turn
    await wait_until(lambda: model.rowCount() == 1499, 5, "the rows")
    assert insertions == [(0, 1498)]
    assert model.row_of(gone.id) is None
    assert model.index(7, Column.NAME).data() == "clip 8"
    # The next turn's jobs are the next insertion; row_of() shows a job added just now.
    late = queue.add(Job("late", JobKind.UPLOAD, total=1))
    assert model.row_of(late.id) == 1499
    assert insertions == [(0, 1498), (1499, 1499)]
    assert model.rowCount(QModelIndex()) == 1500
    queue.cancel_all()


async def test_a_folder_of_thousands_is_queued_a_few_hundred_per_turn(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, tmp_path: Path
) -> None:
    """Dragging a 1,000-file folder to the bucket pane queues it while the loop keeps
    turning: a 0 ms timer fires between the batches, and the table grows batch by batch."""
    files = 5 * JOBS_PER_TURN
    folder = local.base_path / BULK
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f"note-{i:04d}.txt").write_bytes(b"n")
    async with open_window(make_s3()) as h:
        h.queue.pause()  # queued, not sent: this is about queueing
        model = h.window.transfer_panel.model
        insertions: list[int] = []
        model.rowsInserted.connect(lambda _p, first, last: insertions.append(last - first + 1))
        ticks: list[int] = []
        timer = QTimer()
        timer.setInterval(0)
        timer.timeout.connect(lambda: ticks.append(len(h.added)))
        timer.start()
        try:
            h.window.run_task(h.window.handle_drop(SIDE_S3, [BULK], "users", SIDE_LOCAL))
            await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 60)
            await wait_until(lambda: model.rowCount() == files, 10, "every row")
        finally:
            timer.stop()
        assert len(h.added) == files
        # The loop ran while the jobs were being added, not only before and after.
        assert any(0 < added < files for added in ticks), sorted(set(ticks))[:10]
        assert len(insertions) >= files // JOBS_PER_TURN, insertions
        assert max(insertions) <= JOBS_PER_TURN, insertions
        h.queue.cancel_all()
