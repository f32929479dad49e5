"""Turn a comparison into a plan: what each mode would copy, replace and delete, and whether
that is safe.

Safety rules (checked here, enforced again by the executor):

* a mirror refuses to run when its source side is empty (an unreachable side already made the
  compare fail);
* no run deletes more than ``max_delete_percent`` of the files on a target side;
* in two-way mode a delete never beats a modification (RELIABILITY R9), and a file changed on
  both sides is kept in both versions (the older one renamed with a conflict suffix).
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from file_storage.errors import SyncSafetyError
from file_storage.sync.compare import CompareResult, Entry, FileState
from file_storage.units import human_size


class SyncMode(enum.StrEnum):
    """Which way files go."""

    UPLOAD = "upload"
    DOWNLOAD = "download"
    MIRROR_UP = "mirror-up"
    MIRROR_DOWN = "mirror-down"
    TWO_WAY = "two-way"


class ActionKind(enum.StrEnum):
    """One thing the executor does to one path."""

    UPLOAD = "upload"
    REPLACE_REMOTE = "replace-remote"
    DOWNLOAD = "download"
    REPLACE_LOCAL = "replace-local"
    DELETE_REMOTE = "delete-remote"
    DELETE_LOCAL = "delete-local"
    KEEP_BOTH = "keep-both"


#: Actions whose target side loses a version (it goes to the trash first).
DESTRUCTIVE = frozenset(
    {
        ActionKind.REPLACE_REMOTE,
        ActionKind.REPLACE_LOCAL,
        ActionKind.DELETE_REMOTE,
        ActionKind.DELETE_LOCAL,
    }
)


@dataclass(frozen=True, slots=True)
class Action:
    """One planned step.

    Attributes:
        entry: The comparison it came from (sizes, ETags, stat identity at compare time).
        nbytes: Bytes it moves (or deletes).
        winner: For ``KEEP_BOTH``: ``"local"`` or ``"remote"``, whose version keeps the name.
    """

    kind: ActionKind
    entry: Entry
    nbytes: int
    winner: str | None = None

    @property
    def path(self) -> str:
        return self.entry.path


@dataclass(slots=True)
class SyncPlan:
    """What a run would do, with counts and bytes per kind of action.

    Attributes:
        skipped: ``(path, reason)`` of files the mode leaves alone on purpose, and of names
            that could not be compared or are not safe local paths.
        blocked: Why the plan must not run (a safety rule), or ``None``.
    """

    mode: SyncMode
    comparison: CompareResult
    actions: list[Action] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    max_delete_percent: float = 50.0
    blocked: str | None = None

    @property
    def prefix(self) -> str:
        return self.comparison.prefix

    def counts(self) -> Counter[ActionKind]:
        return Counter(action.kind for action in self.actions)

    def bytes_by_kind(self) -> Counter[ActionKind]:
        totals: Counter[ActionKind] = Counter()
        for action in self.actions:
            totals[action.kind] += action.nbytes
        return totals

    @property
    def total_bytes(self) -> int:
        """Bytes to transfer (deletes move nothing)."""
        return sum(
            a.nbytes
            for a in self.actions
            if a.kind not in (ActionKind.DELETE_LOCAL, ActionKind.DELETE_REMOTE)
        )

    def ensure_safe(self) -> None:
        """Raise :class:`SyncSafetyError` if a safety rule blocks this plan."""
        if self.blocked:
            raise SyncSafetyError(self.blocked)

    def summary_lines(self) -> list[str]:
        """Human-readable lines: one per kind of action, then skipped and unchanged."""
        counts, sizes = self.counts(), self.bytes_by_kind()
        lines = [
            f"{kind.value:>15}: {counts[kind]:>6} files  {human_size(sizes[kind]):>10}"
            for kind in ActionKind
            if counts[kind]
        ]
        lines.append(f"{'unchanged':>15}: {self.unchanged:>6} files")
        if self.skipped:
            lines.append(f"{'skipped':>15}: {len(self.skipped):>6} files")
        return lines


def build_plan(
    comparison: CompareResult, mode: SyncMode | str, *, max_delete_percent: float = 50.0
) -> SyncPlan:
    """Plan ``mode`` for a comparison; the plan's ``blocked`` says if a safety rule stops it.

    Args:
        comparison: The result of :func:`~file_storage.sync.compare.compare`.
        mode: Which way files go.
        max_delete_percent: Block the plan if it deletes more than this share (0-100) of the
            files on a target side; 100 switches the rule off.
    """
    mode = SyncMode(mode)
    plan = SyncPlan(mode, comparison, max_delete_percent=max_delete_percent)
    plan.skipped.extend(comparison.skipped)
    choose = _CHOOSERS[mode]
    for entry in comparison.entries:
        if entry.state is FileState.IDENTICAL:
            plan.unchanged += 1
            continue
        decided = choose(entry)
        if isinstance(decided, str):
            plan.skipped.append((entry.path, decided))
        elif decided is None:
            plan.unchanged += 1
        else:
            plan.actions.append(decided)
    plan.blocked = _safety_problem(plan)
    return plan


def _safety_problem(plan: SyncPlan) -> str | None:
    stats = plan.comparison.stats
    where = plan.prefix or "the whole store"
    counts = plan.counts()
    deletes_any = counts[ActionKind.DELETE_REMOTE] or counts[ActionKind.DELETE_LOCAL]
    if plan.mode is SyncMode.MIRROR_UP and stats.local_files == 0 and deletes_any:
        return (
            f"The local side of {where} is empty; a mirror would delete everything on the "
            "remote side. Refusing to run."
        )
    if plan.mode is SyncMode.MIRROR_DOWN and stats.remote_files == 0 and deletes_any:
        return (
            f"The remote side of {where} is empty; a mirror would delete everything on the "
            "local side. Refusing to run."
        )
    for kind, side, total in (
        (ActionKind.DELETE_REMOTE, "remote", stats.remote_files),
        (ActionKind.DELETE_LOCAL, "local", stats.local_files),
    ):
        deletes = counts[kind]
        if deletes and total and 100.0 * deletes / total > plan.max_delete_percent:
            return (
                f"This run would delete {deletes} of {total} files "
                f"({100.0 * deletes / total:.0f}%) on the {side} side of {where}, more than "
                f"the {plan.max_delete_percent:g}% allowed. Check the plan, then raise the "
                "delete limit to allow it."
            )
    return None


_Decision = Action | str | None


def _upload(entry: Entry) -> _Decision:
    assert entry.local is not None
    kind = ActionKind.UPLOAD if entry.remote is None else ActionKind.REPLACE_REMOTE
    return Action(kind, entry, entry.local.size)


def _download(entry: Entry) -> _Decision:
    assert entry.remote is not None
    kind = ActionKind.DOWNLOAD if entry.local is None else ActionKind.REPLACE_LOCAL
    return Action(kind, entry, entry.remote.size)


def _delete_remote(entry: Entry) -> _Decision:
    assert entry.remote is not None
    return Action(ActionKind.DELETE_REMOTE, entry, entry.remote.size)


def _delete_local(entry: Entry) -> _Decision:
    assert entry.local is not None
    return Action(ActionKind.DELETE_LOCAL, entry, entry.local.size)


def _keep_both(entry: Entry) -> _Decision:
    assert entry.local is not None
    assert entry.remote is not None
    winner = "local" if entry.local.modified >= entry.remote.modified else "remote"
    return Action(ActionKind.KEEP_BOTH, entry, entry.local.size + entry.remote.size, winner)


def _choose_upload(entry: Entry) -> _Decision:
    if entry.local is None:
        return None
    if entry.state is FileState.CHANGED_REMOTE:
        return "changed on the remote side since the last sync; upload never overwrites that"
    if entry.state is FileState.CONFLICT:
        return "changed on both sides since the last sync; use two-way to keep both"
    return _upload(entry)


def _choose_download(entry: Entry) -> _Decision:
    if entry.remote is None:
        return None
    if entry.state is FileState.CHANGED_LOCAL:
        return "changed locally since the last sync; download never overwrites that"
    if entry.state is FileState.CONFLICT:
        return "changed on both sides since the last sync; use two-way to keep both"
    return _download(entry)


def _choose_mirror_up(entry: Entry) -> _Decision:
    return _upload(entry) if entry.local is not None else _delete_remote(entry)


def _choose_mirror_down(entry: Entry) -> _Decision:
    return _download(entry) if entry.remote is not None else _delete_local(entry)


def _choose_two_way(entry: Entry) -> _Decision:
    state = entry.state
    if state in (FileState.ONLY_LOCAL, FileState.CHANGED_LOCAL):
        return _upload(entry)
    if state in (FileState.ONLY_REMOTE, FileState.CHANGED_REMOTE):
        return _download(entry)  # also a remote edit of a file deleted here: the edit wins
    if state is FileState.DELETED_LOCAL:
        return _delete_remote(entry)
    if state is FileState.DELETED_REMOTE:
        return _delete_local(entry)
    return _keep_both(entry)  # CONFLICT, or DIFFERENT without history to tell who changed


_CHOOSERS = {
    SyncMode.UPLOAD: _choose_upload,
    SyncMode.DOWNLOAD: _choose_download,
    SyncMode.MIRROR_UP: _choose_mirror_up,
    SyncMode.MIRROR_DOWN: _choose_mirror_down,
    SyncMode.TWO_WAY: _choose_two_way,
}
