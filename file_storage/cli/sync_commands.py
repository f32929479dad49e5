"""``leap-storage diff``, ``sync``, ``migrate`` and ``rebuild-index``: the sync engine from a
shell.

These commands always work on the pair "local store (STORAGE_LOCAL_PATH) <-> S3 (STORAGE_S3_*)",
whatever ``STORAGE_TYPE`` says, and keep their history in the sync index
(``STORAGE_SYNC_INDEX_PATH``, by default in the app's data folder). A damaged index is one error
line that names the file and ``rebuild-index``, which moves it aside.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.cli.options import filter_options, json_option, make_filter, resolve_paths
from file_storage.cli.progress_bar import transfer_bar
from file_storage.cli.runner import CliState, fail, print_json, run_cli, say
from file_storage.errors import StorageError
from file_storage.factory import create_local_backend, create_s3_backend
from file_storage.filters import PathFilter, relative_to
from file_storage.progress import ProgressCallback
from file_storage.settings import StorageSettings
from file_storage.sync import (
    Action,
    FileState,
    MigrationProgress,
    SyncExecutor,
    SyncIndex,
    SyncMode,
    SyncPlan,
    build_plan,
    compare,
    default_index_path,
    migrate,
)
from file_storage.sync.compare import UNVERIFIED_NOTE, CompareResult
from file_storage.sync.execute import StepWork
from file_storage.sync.index import set_aside
from file_storage.units import human_size

T = TypeVar("T")
PairAction = Callable[
    [LocalStorageBackend, StorageBackend, SyncIndex, StorageSettings], Awaitable[T]
]


def run_with_pair(state: CliState, action: PairAction[T]) -> T:
    """Open the local store, S3 and the sync index, run ``action``, close them all."""

    async def main() -> T:
        settings = state.settings()
        local = create_local_backend(settings)
        remote = create_s3_backend(settings)
        index = SyncIndex(settings.sync_index_path or default_index_path())
        async with local, remote, index:
            return await action(local, remote, index, settings)

    return run_cli(
        main, interrupted="interrupted; verified files are recorded, run again to resume."
    )


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def identical_count(plan: SyncPlan) -> int:
    """Files already on both sides with the same content (what a migration need not copy)."""
    return sum(1 for entry in plan.comparison.entries if entry.state is FileState.IDENTICAL)


def _prefix(value: str) -> str:
    return "" if value.strip() in ("", "/", ".") else value


def _print_plan(plan: SyncPlan) -> None:
    where = plan.prefix or "(everything)"
    say(f"plan: {plan.mode.value} {where}")
    for line in plan.summary_lines():
        say(f"  {line}")
    say(f"  {'to transfer':>15}: {human_size(plan.total_bytes):>17}")
    for action in plan.actions:
        say(f"  {action.kind.value:<15} {action.path}")
    for path, reason in plan.skipped:
        click.echo(f"  {'skipped':<15} {path}: {reason}", err=True)


def apply_filter(result: CompareResult, rules: PathFilter, prefix: str) -> CompareResult:
    """Keep the entries (and skipped names) that ``--include``/``--exclude`` select."""
    if rules.active:
        result.entries = [e for e in result.entries if rules.includes(relative_to(e.path, prefix))]
        result.skipped = [
            (path, why) for path, why in result.skipped if rules.includes(relative_to(path, prefix))
        ]
    return result


def entry_json(entry: object) -> dict[str, object]:
    return {
        "path": getattr(entry, "path", None),
        "state": getattr(getattr(entry, "state", None), "value", None),
        "note": getattr(entry, "note", "") or None,
    }


def skipped_json(skipped: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"path": path, "reason": reason} for path, reason in skipped]


class ByteProgress:
    """Drives a bar with the bytes of finished files plus those moving now (a long video moves
    the bar while it transfers, not only when it ends)."""

    def __init__(self, update: Callable[[int], None]) -> None:
        self.update = update
        self.finished = 0
        self.moving: dict[str, int] = {}

    async def runner(self, action: Action, work: StepWork) -> None:
        """A :class:`SyncExecutor` runner that reports each transfer's bytes as they move."""

        def step(done: int) -> None:
            self.moving[action.path] = min(done, action.nbytes)
            self.update(self.finished + sum(self.moving.values()))

        progress: ProgressCallback = step
        try:
            await work(progress)
        finally:
            self.moving.pop(action.path, None)

    def done(self, action: Action, error: str | None) -> None:
        self.moving.pop(action.path, None)
        if error is None:
            self.finished += action.nbytes
        self.update(self.finished + sum(self.moving.values()))


def register(group: click.Group) -> None:
    """Add ``diff``, ``sync`` and ``migrate`` to the ``leap-storage`` group."""
    group.add_command(diff_command)
    group.add_command(sync_command)
    group.add_command(migrate_command)
    group.add_command(rebuild_index_command)


@click.command(
    "diff",
    epilog="""\b
Examples:
  leap-storage diff                                   # everything
  leap-storage diff users/user_000042 --all           # also the identical files
  leap-storage diff --include '*.mp4' --json | jq '.counts'
  leap-storage -q diff || echo "the stores differ"    # exit 1 when they differ
""",
)
@click.argument("prefix", default="")
@click.option("--all", "show_all", is_flag=True, help="Also list identical files.")
@filter_options
@json_option
@click.pass_obj
def diff_command(
    state: CliState,
    prefix: str,
    show_all: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    as_json: bool,
) -> None:
    """Compare the local store with S3 under PREFIX (everything by default).

    Exit status as diff(1): 0 when both sides hold the same files, 1 when they differ, 2 on
    an error.
    """
    (prefix,) = resolve_paths(state, prefix)
    rules = make_filter(include, exclude)

    async def action(
        local: LocalStorageBackend, remote: StorageBackend, index: SyncIndex, _s: StorageSettings
    ) -> int:
        result = apply_filter(
            await compare(local, remote, index, _prefix(prefix)), rules, _prefix(prefix)
        )
        counts = result.counts()
        differ = any(counts[s] for s in FileState if s is not FileState.IDENTICAL)
        if as_json:
            stats = result.stats
            print_json(
                {
                    "prefix": _prefix(prefix),
                    "differ": differ,
                    "counts": {s.value: counts[s] for s in FileState},
                    "entries": [
                        entry_json(e)
                        for e in result.entries
                        if show_all or e.state is not FileState.IDENTICAL or e.note
                    ],
                    "skipped": skipped_json(result.skipped),
                    "stats": {
                        "local_files": stats.local_files,
                        "remote_files": stats.remote_files,
                        "files_hashed": stats.files_hashed,
                        "bytes_hashed": stats.bytes_hashed,
                        "seconds": round(stats.seconds, 3),
                    },
                }
            )
            return 1 if differ else 0
        unverified = sum(1 for entry in result.entries if entry.note == UNVERIFIED_NOTE)
        for entry in result.entries:
            # An identical file judged by metadata alone is a doubt, and doubts are shown.
            if show_all or entry.state is not FileState.IDENTICAL or entry.note:
                note = f"  ({entry.note})" if entry.note else ""
                click.echo(f"{entry.state.value:<15} {entry.path}{note}")
        for name, reason in result.skipped:
            click.echo(f"leap-storage: warning: {name!r}: {reason}", err=True)
        parts = [f"{counts[s]} {s.value}" for s in FileState if counts[s]]
        if unverified:
            parts.append(f"{unverified} of the identical unverified")
        summary = ", ".join(parts)
        stats = result.stats
        say(
            f"{summary or 'nothing to compare'}; {stats.local_files} local, "
            f"{stats.remote_files} remote, {stats.files_hashed} files read "
            f"({human_size(stats.bytes_hashed)}), {len(result.skipped)} skipped, "
            f"{stats.seconds:.1f}s"
        )
        return 1 if differ else 0

    sys.exit(run_with_pair(state, action))


@click.command(
    "sync",
    epilog="""\b
Examples:
  leap-storage sync / --mode upload --dry-run          # the plan only
  leap-storage sync users/user_000042 --mode download
  leap-storage sync / --mode mirror-up --max-delete 10 --exclude 'temp/'
  leap-storage -q sync / --mode two-way --json > report.json

Exit status: 0 all done; 1 a file failed or was skipped for safety, or a safety rule
stopped the run.
""",
)
@click.argument("prefix")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in SyncMode]),
    required=True,
    help="upload/download copy one way; mirror-* also delete on the target; two-way merges.",
)
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option(
    "--max-delete",
    type=click.FloatRange(0, 100),
    default=None,
    help="Stop if more than this percent of the target would be deleted "
    "(default STORAGE_SYNC_MAX_DELETE_PERCENT, 50).",
)
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
@filter_options
@json_option
@click.pass_obj
def sync_command(
    state: CliState,
    prefix: str,
    mode: str,
    dry_run: bool,
    max_delete: float | None,
    concurrency: int,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    as_json: bool,
) -> None:
    """Sync PREFIX ("/" for everything) between the local store and S3."""
    (prefix,) = resolve_paths(state, prefix)
    rules = make_filter(include, exclude)
    outcome: dict[str, object] = {"prefix": _prefix(prefix), "mode": mode, "dry_run": dry_run}

    async def action(
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex,
        settings: StorageSettings,
    ) -> int:
        result = apply_filter(
            await compare(local, remote, index, _prefix(prefix)), rules, _prefix(prefix)
        )
        limit = max_delete if max_delete is not None else settings.sync_max_delete_percent
        plan = build_plan(result, mode, max_delete_percent=limit)
        outcome.update(
            blocked=plan.blocked,
            actions=[
                {"kind": a.kind.value, "path": a.path, "bytes": a.nbytes} for a in plan.actions
            ],
            skipped=skipped_json(plan.skipped),
        )
        code = 1 if plan.skipped else 0
        if not as_json:
            _print_plan(plan)
        if plan.blocked:
            hint = " (--max-delete PCT sets it)" if "delete limit" in plan.blocked else ""
            if dry_run:
                say(f"dry run: a real run would refuse: {plan.blocked}{hint}")
                return code
            if as_json:
                print_json(outcome)
            fail(plan.blocked + hint)
        if dry_run:
            say("dry run: nothing was changed.")
            return code
        with transfer_bar(f"sync {mode}", plan.total_bytes, quiet=None) as update:
            bytes_moved = ByteProgress(update)

            def finished(step: Action, error: str | None) -> None:
                if error is not None:
                    click.echo(f"failed  {step.path}: {error}", err=True)
                bytes_moved.done(step, error)

            executor = SyncExecutor(
                local,
                remote,
                index,
                runner=bytes_moved.runner,
                concurrency=concurrency,
                trash_days=settings.sync_trash_days,
                on_action=finished,
            )
            report = await executor.execute(plan)
        outcome.update(
            copied=report.files_copied,
            bytes_copied=report.bytes_copied,
            deleted=report.files_deleted,
            trashed=len(report.trashed),
            conflicts=[{"path": p, "other_version": o} for p, o in report.conflicts],
            failed=[{"path": a.path, "error": m} for a, m in report.failed],
            unverified=skipped_json(report.unverified),
            seconds=round(report.seconds, 3),
        )
        if not as_json:
            say(
                f"synced: {report.files_copied} copied ({human_size(report.bytes_copied)}), "
                f"{report.files_deleted} deleted, {len(report.trashed)} kept in temp/.trash, "
                f"{len(report.conflicts)} conflicts kept both, {len(report.failed)} failed, "
                f"{len(plan.skipped)} skipped, {report.seconds:.1f}s"
            )
            for path, loser in report.conflicts:
                click.echo(f"conflict {path}: the other version is now {loser}")
            for path, reason in report.unverified:
                click.echo(f"saved, NOT verified: {path}: {reason}")
        return 1 if report.failed else code

    code = run_with_pair(state, action)
    if as_json:
        print_json({**outcome, "exit_code": code})
    if code and plan_skipped(outcome):
        click.echo(
            "leap-storage: some files were skipped for safety (listed above); exit status 1.",
            err=True,
        )
    sys.exit(code)


def plan_skipped(outcome: dict[str, object]) -> bool:
    skipped = outcome.get("skipped")
    return isinstance(skipped, list) and bool(skipped)


@click.command(
    "migrate",
    epilog="""\b
Examples:
  leap-storage migrate --to s3 --dry-run
  leap-storage migrate --to s3 --exclude 'temp/'
  leap-storage migrate --to local --delete-source --json > migration.json

Exit status: 0 everything migrated; 1 a file failed or could not be migrated.
""",
)
@click.option(
    "--to",
    "target",
    type=click.Choice(["s3", "local"], case_sensitive=False),
    required=True,
    help="s3: copy the local store to S3; local: copy S3 to the local store.",
)
@click.option(
    "--delete-source",
    is_flag=True,
    help="Delete each source file once its copy is proven equal from bytes read just before.",
)
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
@filter_options
@json_option
@click.pass_obj
def migrate_command(
    state: CliState,
    target: str,
    delete_source: bool,
    dry_run: bool,
    concurrency: int,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    as_json: bool,
) -> None:
    """Copy the whole store to the other side: resumable, verified, with a report."""
    rules = make_filter(include, exclude)

    async def action(
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex,
        settings: StorageSettings,
    ) -> int:
        def show_plan(plan: SyncPlan) -> None:
            there = identical_count(plan)
            if as_json:
                return
            say(
                f"migrate to {target}: {plural(len(plan.actions), 'file')} "
                f"({human_size(plan.total_bytes)}) to copy, {there} already there"
                + (
                    f", {len(plan.skipped)} cannot be migrated (listed below)"
                    if plan.skipped
                    else ""
                )
            )

        with transfer_bar(f"migrate to {target}", 0, quiet=None) as update:

            def progress(p: MigrationProgress) -> None:
                update(
                    p.bytes_done,
                    description=f"{p.user} {p.user_files_done}/{p.user_files_total}",
                    total=p.bytes_total,
                )

            report = await migrate(
                local,
                remote,
                index,
                to="remote" if target.lower() == "s3" else "local",
                delete_source=delete_source,
                dry_run=dry_run,
                concurrency=concurrency,
                trash_days=settings.sync_trash_days,
                on_progress=progress,
                on_plan=show_plan,
                keep=rules.includes if rules.active else None,
            )
        code = 1 if (report.failed or report.skipped) and not dry_run else 0
        if as_json:
            print_json(
                {
                    "to": target.lower(),
                    "dry_run": dry_run,
                    "copied": report.files_copied,
                    "bytes_copied": report.bytes_copied,
                    "already_present": report.already_present,
                    "sources_deleted": report.sources_deleted,
                    "deleted": list(report.deleted),
                    "skipped": skipped_json(list(report.skipped)),
                    "failed": [{"path": p, "error": m} for p, m in report.failed],
                    "per_user": {
                        user: {
                            "files_done": t.files_done,
                            "files_total": t.files_total,
                            "bytes_done": t.bytes_done,
                            "bytes_total": t.bytes_total,
                            "failed": t.failed,
                        }
                        for user, t in sorted(report.per_user.items())
                    },
                    "seconds": round(report.seconds, 3),
                    "exit_code": code,
                }
            )
            return code
        for user, totals in sorted(report.per_user.items()):
            say(
                f"  {user:<14} {totals.files_done:>6}/{totals.files_total:<6} files "
                f"{human_size(totals.bytes_done):>10} of {human_size(totals.bytes_total)}"
                + (f"  {totals.failed} failed" if totals.failed else "")
            )
        for path in report.deleted:
            click.echo(f"deleted source {path} (proven equal on the other side)")
        for path, reason in report.skipped:
            click.echo(f"skipped {path}: {reason}", err=True)
        for path, reason in report.failed:
            click.echo(f"failed  {path}: {reason}", err=True)
        if dry_run:
            say("dry run: nothing was changed.")
            return 0
        say(
            f"migrated: {plural(report.files_copied, 'file')} ({human_size(report.bytes_copied)}) "
            f"copied and verified, {report.already_present} already there, "
            f"{len(report.skipped)} skipped, {len(report.failed)} failed, "
            f"{plural(report.sources_deleted, 'source copy', 'source copies')} deleted, "
            f"{report.seconds:.1f}s"
        )
        if report.failed or report.skipped:
            click.echo(
                f"leap-storage: {plural(len(report.failed) + len(report.skipped), 'file')} "
                "not migrated (see above); fix them and run again to finish.",
                err=True,
            )
            return 1
        return 0

    sys.exit(run_with_pair(state, action))


@click.command(
    "rebuild-index",
    epilog="""\b
Examples:
  leap-storage rebuild-index && leap-storage diff
""",
)
@click.pass_obj
def rebuild_index_command(state: CliState) -> None:
    """Move the sync index aside (kept, renamed) and start a fresh, empty one.

    For a damaged index. No file of either store is touched: the index only holds hints. The
    next compare reads each file once; without history, a file missing on one side counts as
    new on the other (copied, never deleted) until the next sync records it again.
    """

    async def main() -> tuple[Path, Path | None]:
        settings = state.settings()
        path = Path(settings.sync_index_path or default_index_path())
        try:
            moved = set_aside(path)
        except OSError as exc:
            raise StorageError(
                f"Cannot move the sync index {path} aside: {exc.strerror or exc}.", path=str(path)
            ) from exc
        async with SyncIndex(path):
            pass
        return path, moved

    path, moved = run_cli(main)
    if moved is None:
        click.echo(f"no sync index at {path}; created an empty one.")
    else:
        click.echo(f"moved the old sync index to {moved}; a fresh one is at {path}.")
