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
from file_storage.cli.progress_bar import transfer_bar
from file_storage.cli.runner import CliState, fail, run_cli
from file_storage.errors import StorageError
from file_storage.factory import create_local_backend, create_s3_backend
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
from file_storage.sync.compare import UNVERIFIED_NOTE
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
    click.echo(f"plan: {plan.mode.value} {where}")
    for line in plan.summary_lines():
        click.echo(f"  {line}")
    click.echo(f"  {'to transfer':>15}: {human_size(plan.total_bytes):>17}")
    for action in plan.actions:
        click.echo(f"  {action.kind.value:<15} {action.path}")
    for path, reason in plan.skipped:
        click.echo(f"  {'skipped':<15} {path}: {reason}")


def register(group: click.Group) -> None:
    """Add ``diff``, ``sync`` and ``migrate`` to the ``leap-storage`` group."""
    group.add_command(diff_command)
    group.add_command(sync_command)
    group.add_command(migrate_command)
    group.add_command(rebuild_index_command)


@click.command("diff")
@click.argument("prefix", default="")
@click.option("--all", "show_all", is_flag=True, help="Also list identical files.")
@click.pass_obj
def diff_command(state: CliState, prefix: str, show_all: bool) -> None:
    """Compare the local store with S3 under PREFIX (everything by default)."""

    async def action(
        local: LocalStorageBackend, remote: StorageBackend, index: SyncIndex, _s: StorageSettings
    ) -> None:
        result = await compare(local, remote, index, _prefix(prefix))
        unverified = sum(1 for entry in result.entries if entry.note == UNVERIFIED_NOTE)
        for entry in result.entries:
            # An identical file judged by metadata alone is a doubt, and doubts are shown.
            if show_all or entry.state is not FileState.IDENTICAL or entry.note:
                note = f"  ({entry.note})" if entry.note else ""
                click.echo(f"{entry.state.value:<15} {entry.path}{note}")
        for name, reason in result.skipped:
            click.echo(f"leap-storage: warning: {name!r}: {reason}", err=True)
        counts = result.counts()
        parts = [f"{counts[s]} {s.value}" for s in FileState if counts[s]]
        if unverified:
            parts.append(f"{unverified} of the identical unverified")
        summary = ", ".join(parts)
        stats = result.stats
        click.echo(
            f"{summary or 'nothing to compare'}; {stats.local_files} local, "
            f"{stats.remote_files} remote, {stats.files_hashed} files read "
            f"({human_size(stats.bytes_hashed)}), {len(result.skipped)} skipped, "
            f"{stats.seconds:.1f}s"
        )

    run_with_pair(state, action)


@click.command("sync")
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
@click.pass_obj
def sync_command(
    state: CliState,
    prefix: str,
    mode: str,
    dry_run: bool,
    max_delete: float | None,
    concurrency: int,
) -> None:
    """Sync PREFIX ("/" for everything) between the local store and S3."""

    async def action(
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex,
        settings: StorageSettings,
    ) -> int:
        result = await compare(local, remote, index, _prefix(prefix))
        limit = max_delete if max_delete is not None else settings.sync_max_delete_percent
        plan = build_plan(result, mode, max_delete_percent=limit)
        _print_plan(plan)
        if plan.blocked:
            hint = " (--max-delete PCT sets it)" if "delete limit" in plan.blocked else ""
            if dry_run:
                click.echo(f"dry run: a real run would refuse: {plan.blocked}{hint}")
                return 0
            fail(plan.blocked + hint)
        if dry_run:
            click.echo("dry run: nothing was changed.")
            return 0
        done_bytes = 0
        with transfer_bar(f"sync {mode}", plan.total_bytes) as update:

            def finished(step: Action, error: str | None) -> None:
                nonlocal done_bytes
                if error is None:
                    done_bytes += step.nbytes
                else:
                    click.echo(f"failed  {step.path}: {error}", err=True)
                update(done_bytes)

            executor = SyncExecutor(
                local,
                remote,
                index,
                concurrency=concurrency,
                trash_days=settings.sync_trash_days,
                on_action=finished,
            )
            report = await executor.execute(plan)
        click.echo(
            f"synced: {report.files_copied} copied ({human_size(report.bytes_copied)}), "
            f"{report.files_deleted} deleted, {len(report.trashed)} kept in temp/.trash, "
            f"{len(report.conflicts)} conflicts kept both, {len(report.failed)} failed, "
            f"{report.seconds:.1f}s"
        )
        for path, loser in report.conflicts:
            click.echo(f"conflict {path}: the other version is now {loser}")
        for path, reason in report.unverified:
            click.echo(f"saved, NOT verified: {path}: {reason}")
        return 1 if report.failed else 0

    sys.exit(run_with_pair(state, action))


@click.command("migrate")
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
@click.pass_obj
def migrate_command(
    state: CliState, target: str, delete_source: bool, dry_run: bool, concurrency: int
) -> None:
    """Copy the whole store to the other side: resumable, verified, with a report."""

    async def action(
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex,
        settings: StorageSettings,
    ) -> int:
        def show_plan(plan: SyncPlan) -> None:
            there = identical_count(plan)
            click.echo(
                f"migrate to {target}: {plural(len(plan.actions), 'file')} "
                f"({human_size(plan.total_bytes)}) to copy, {there} already there"
                + (
                    f", {len(plan.skipped)} cannot be migrated (listed below)"
                    if plan.skipped
                    else ""
                )
            )

        with transfer_bar(f"migrate to {target}", 0) as update:

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
            )
        for user, totals in sorted(report.per_user.items()):
            click.echo(
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
            click.echo("dry run: nothing was changed.")
            return 0
        click.echo(
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


@click.command("rebuild-index")
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
