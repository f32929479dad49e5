"""A table model over :class:`app.services.transfers.JobQueue`: one row per job.

The model only reads jobs the queue already holds; it never awaits. Rows are inserted and removed
as the queue adds and clears jobs, and progress updates become ``dataChanged`` on one row, never a
model reset, so selection and scrolling survive a busy queue.

Jobs added in one turn of the event loop become rows together, in one ``beginInsertRows``: a
10,000-file upload inserted row by row kept the loop (and the sorting proxy) busy for ~4 s.
"""

# Qt's virtual methods keep their camelCase names.

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

from app.messages import format_rate, format_size
from app.services.transfers import UNIT_PERCENT, Job, JobKind, JobQueue, JobState, QueueTotals

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

#: 0..100, or -1 while the size is unknown (the delegate draws a busy bar).
ProgressRole = Qt.ItemDataRole.UserRole + 1
#: The job's id (a uuid string), for actions on selected rows.
JobIdRole = Qt.ItemDataRole.UserRole + 2
#: The job's :class:`JobState`.
StateRole = Qt.ItemDataRole.UserRole + 3
#: An int that orders rows as the panel shows them: running first, then failed, queued and
#: finished, each group in queue order (see :func:`display_rank`).
SortKeyRole = Qt.ItemDataRole.UserRole + 4

NO_VALUE = "—"


class Column(enum.IntEnum):
    """The table's columns, in order."""

    NAME = 0
    KIND = 1
    SIZE = 2
    PROGRESS = 3
    SPEED = 4
    ETA = 5
    STATE = 6


#: Column headers: English source texts, shown translated (context "TransferTableModel").
HEADERS = {
    Column.NAME: QT_TRANSLATE_NOOP("TransferTableModel", "Name"),
    Column.KIND: QT_TRANSLATE_NOOP("TransferTableModel", "Direction"),
    Column.SIZE: QT_TRANSLATE_NOOP("TransferTableModel", "Size"),
    Column.PROGRESS: QT_TRANSLATE_NOOP("TransferTableModel", "Progress"),
    Column.SPEED: QT_TRANSLATE_NOOP("TransferTableModel", "Speed"),
    Column.ETA: QT_TRANSLATE_NOOP("TransferTableModel", "ETA"),
    Column.STATE: QT_TRANSLATE_NOOP("TransferTableModel", "State"),
}
#: What the Direction and State columns show for each kind and state (the enum values are the
#: English texts and stay as they are: code compares them).
KIND_TEXT = {
    JobKind.UPLOAD: QT_TRANSLATE_NOOP("TransferTableModel", "Upload"),
    JobKind.DOWNLOAD: QT_TRANSLATE_NOOP("TransferTableModel", "Download"),
    JobKind.DELETE: QT_TRANSLATE_NOOP("TransferTableModel", "Delete"),
    JobKind.COPY: QT_TRANSLATE_NOOP("TransferTableModel", "Copy"),
    JobKind.MEDIA: QT_TRANSLATE_NOOP("TransferTableModel", "Media"),
}
STATE_TEXT = {
    JobState.QUEUED: QT_TRANSLATE_NOOP("TransferTableModel", "Queued"),
    JobState.RUNNING: QT_TRANSLATE_NOOP("TransferTableModel", "Running"),
    JobState.DONE: QT_TRANSLATE_NOOP("TransferTableModel", "Done"),
    JobState.FAILED: QT_TRANSLATE_NOOP("TransferTableModel", "Failed"),
    JobState.CANCELLED: QT_TRANSLATE_NOOP("TransferTableModel", "Cancelled"),
}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGNMENT = {Column.SIZE: _RIGHT, Column.SPEED: _RIGHT, Column.ETA: _RIGHT}


#: Display groups, top to bottom: what moves, what needs the user, what waits, what is over.
_RANKS = {
    JobState.RUNNING: 0,
    JobState.FAILED: 1,
    JobState.QUEUED: 2,
    JobState.CANCELLED: 3,
    JobState.DONE: 3,
}


_GROUP_SPAN = 100_000_000


def display_rank(job: Job) -> int:
    """The job's group in the panel: running 0, failed 1, queued 2, finished 3."""
    return _RANKS[job.state]


def format_duration(seconds: float | None) -> str:
    """``42`` -> ``'0:42'``, ``3725`` -> ``'1:02:05'``; ``None`` -> a dash."""
    if seconds is None:
        return NO_VALUE
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _tr(text: str) -> str:
    return QCoreApplication.translate("TransferTableModel", text)


def format_amount(amount: float, unit: str) -> str:
    """Bytes as ``'1.5 GiB'``; other units as a count (``'12 files'``)."""
    if unit == "B":
        return format_size(amount)
    if unit == "files":
        return TransferTableModel.tr("%n file(s)", "", int(amount))
    return f"{amount:g} {unit}"


def format_speed(rate: float, unit: str) -> str:
    """``'48.0 MiB/s'``, or ``'2.5 files/s'``."""
    if unit == "B":
        return format_rate(rate)
    if unit == "files":
        return QCoreApplication.translate("TransferTableModel", "{rate} files/s").format(
            rate=f"{rate:.1f}"
        )
    return f"{rate:.1f} {unit}/s"


def state_text(job: Job) -> str:
    """The State column: the state, or what is happening to it right now."""
    if job.cancel_requested:
        return QCoreApplication.translate("TransferTableModel", "Cancelling…")
    if job.state is JobState.RUNNING and job.hold == "paused":
        return QCoreApplication.translate("TransferTableModel", "Paused")
    if job.state is JobState.RUNNING and job.hold:
        return QCoreApplication.translate("TransferTableModel", "Pausing…")
    if job.state is JobState.QUEUED and job.error:
        return QCoreApplication.translate("TransferTableModel", "Queued (stopped)")
    if job.state is JobState.QUEUED and job.restored:
        return QCoreApplication.translate("TransferTableModel", "Queued (from last session)")
    return _tr(STATE_TEXT[job.state])


def describe_totals(totals: QueueTotals) -> str:
    """Sum the queue up in one line.

    For example ``3 running · 5 queued · 1 failed — 1.2 GiB of 4.0 GiB · 48.0 MiB/s``.
    """
    paused = (
        [_tr(QT_TRANSLATE_NOOP("TransferTableModel", "{count} paused")).format(count=totals.held)]
        if totals.held
        else []
    )
    labels = (
        (JobState.RUNNING, QT_TRANSLATE_NOOP("TransferTableModel", "{count} running")),
        (JobState.QUEUED, QT_TRANSLATE_NOOP("TransferTableModel", "{count} queued")),
        (JobState.DONE, QT_TRANSLATE_NOOP("TransferTableModel", "{count} done")),
        (JobState.FAILED, QT_TRANSLATE_NOOP("TransferTableModel", "{count} failed")),
        (JobState.CANCELLED, QT_TRANSLATE_NOOP("TransferTableModel", "{count} cancelled")),
    )

    def number(state: JobState) -> int:
        return totals.count(state) - (totals.held if state is JobState.RUNNING else 0)

    counts = paused + [
        _tr(label).format(count=number(state)) for state, label in labels if number(state)
    ]
    if not counts:
        return QCoreApplication.translate("TransferTableModel", "No transfers")
    text = " · ".join(counts)
    if totals.bytes_total:
        text += " — " + QCoreApplication.translate(
            "TransferTableModel", "{done} of {total}"
        ).format(done=format_size(totals.bytes_done), total=format_size(totals.bytes_total))
    if totals.speed > 0:
        text += f" · {format_speed(totals.speed, 'B')}"
    return text


class TransferTableModel(QAbstractTableModel):
    """Rows are the queue's jobs in queue order; columns are :class:`Column`.

    Args:
        queue: The queue to show; the model follows its signals.
        parent: Usual QObject parent.
    """

    def __init__(self, queue: JobQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue = queue
        # The model keeps its own list of the (shared) Job objects, so a row stays readable
        # while the views process its removal.
        self._jobs: list[Job] = queue.jobs()
        self._rows: dict[str, int] = {job.id: row for row, job in enumerate(self._jobs)}
        #: Jobs added since the last flush, in order (they become rows together).
        self._pending: dict[str, None] = {}
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)  # the next turn of the event loop
        self._flush_timer.timeout.connect(self.flush)
        queue.jobAdded.connect(self._on_job_added)
        queue.jobChanged.connect(self._on_job_changed)
        queue.jobRemoved.connect(self._on_job_removed)

    # ----------------------------------------------------------------- lookups

    def job_at(self, row: int) -> Job:
        """The job shown on ``row``."""
        return self._jobs[row]

    def row_of(self, job_id: str) -> int | None:
        """The row showing ``job_id``, or ``None`` (a job added just now is shown first)."""
        if job_id in self._pending:
            self.flush()
        return self._rows.get(job_id)

    def flush(self) -> None:
        """Insert the rows of the jobs added since the last flush, in one insertion."""
        self._flush_timer.stop()
        if not self._pending:
            return
        jobs = []
        for job_id in self._pending:
            try:
                jobs.append(self._queue.job(job_id))
            except KeyError:  # removed from the queue before it was shown
                continue
        self._pending.clear()
        if not jobs:
            return
        first = len(self._jobs)
        self.beginInsertRows(_ROOT, first, first + len(jobs) - 1)
        for row, job in enumerate(jobs, start=first):
            self._jobs.append(job)
            self._rows[job.id] = row
        self.endInsertRows()

    # ----------------------------------------------------------------- Qt model API

    def rowCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(Column)
        ):
            return _tr(HEADERS[Column(section)])
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        # Called tens of times per row by the view and the sorting proxy: plain int roles and
        # no checkIndex() (a slow call from Python), so a 10,000-file queue fills quickly.
        handler = _ROLE_HANDLERS.get(int(role))
        if handler is None or not index.isValid():
            return None
        row = index.row()
        if row >= len(self._jobs):
            return None
        return handler(self, self._jobs[row], row, Column(index.column()))

    def _role_display(self, job: Job, _row: int, column: Column) -> object:
        return self._display(job, column)

    def _role_progress(self, job: Job, _row: int, _column: Column) -> object:
        return job.percent

    def _role_id(self, job: Job, _row: int, _column: Column) -> object:
        return job.id

    def _role_state(self, job: Job, _row: int, _column: Column) -> object:
        return job.state

    def _role_sort_key(self, job: Job, row: int, _column: Column) -> object:
        # Within a C int (Qt compares it natively): up to 100 million rows per group.
        return display_rank(job) * _GROUP_SPAN + row

    def _role_tooltip(self, job: Job, _row: int, _column: Column) -> object:
        return self._tooltip(job)

    def _role_alignment(self, _job: Job, _row: int, column: Column) -> object:
        alignment = _ALIGNMENT.get(column)
        return int(alignment.value) if alignment is not None else None

    # ----------------------------------------------------------------- cell text

    @staticmethod
    def _display(job: Job, column: Column) -> str:
        running = job.state is JobState.RUNNING
        if column is Column.NAME:
            return job.title
        if column is Column.KIND:
            return _tr(KIND_TEXT[job.kind])
        if column is Column.SIZE:
            if job.unit == UNIT_PERCENT:
                return format_size(job.input_size) if job.input_size > 0 else NO_VALUE
            return format_amount(job.total, job.unit) if job.total > 0 else NO_VALUE
        if column is Column.PROGRESS:
            if job.state is JobState.FAILED:
                return job.error  # why, where the bar would be (the delegate writes it)
            if job.state is JobState.DONE and job.unverified:
                return QCoreApplication.translate("TransferTableModel", "Saved, NOT verified")
            return f"{job.percent} %" if job.percent >= 0 else ""
        if column is Column.SPEED:
            if not running or job.hold:
                return ""
            if job.unit == UNIT_PERCENT:
                return job.detail
            if job.stalled:
                return QCoreApplication.translate("TransferTableModel", "Stalled")
            return format_speed(job.speed, job.unit)
        if column is Column.ETA:
            return format_duration(job.eta) if running and not job.hold else ""
        return state_text(job)

    def _tooltip(self, job: Job) -> str:
        """Kind and name, the full paths, what it does now and why it failed."""
        lines = [f"{_tr(KIND_TEXT[job.kind])}: {job.title}"]
        if job.source:
            lines.append(self.tr("From: {source}").format(source=job.source))
        if job.destination:
            lines.append(self.tr("To: {destination}").format(destination=job.destination))
        if job.detail and job.state is JobState.RUNNING:
            lines.append(job.detail)
        if job.error:
            lines.append(job.error)
        if job.restored:
            lines.append(job.restored)
        if job.unverified and job.state is JobState.DONE:
            lines.append(self.tr("Saved, NOT verified: {reason}").format(reason=job.unverified))
        return "\n".join(lines)

    # ----------------------------------------------------------------- queue signals

    def _on_job_added(self, job_id: str) -> None:
        if job_id in self._rows or job_id in self._pending:
            return
        self._pending[job_id] = None
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _on_job_changed(self, job_id: str) -> None:
        row = self._rows.get(job_id)  # a job still pending is inserted as it is then
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def _on_job_removed(self, job_id: str) -> None:
        if self._pending.pop(job_id, 0) is None:
            return  # never shown
        row = self._rows.get(job_id)
        if row is None:
            return
        self.beginRemoveRows(_ROOT, row, row)
        del self._jobs[row]
        self._rows = {job.id: index for index, job in enumerate(self._jobs)}
        self.endRemoveRows()


#: The roles :meth:`TransferTableModel.data` answers, as plain ints.
_ROLE_HANDLERS: dict[int, Callable[[TransferTableModel, Job, int, Column], object]] = {
    int(Qt.ItemDataRole.DisplayRole.value): TransferTableModel._role_display,
    int(ProgressRole): TransferTableModel._role_progress,
    int(JobIdRole): TransferTableModel._role_id,
    int(StateRole): TransferTableModel._role_state,
    int(SortKeyRole): TransferTableModel._role_sort_key,
    int(Qt.ItemDataRole.ToolTipRole.value): TransferTableModel._role_tooltip,
    int(Qt.ItemDataRole.TextAlignmentRole.value): TransferTableModel._role_alignment,
}
