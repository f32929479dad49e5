"""``leap-storage``: the storage library from a shell, on whatever backend the settings select.

Every command reads the same settings as the library (``STORAGE_*`` variables, ``.env`` in the
current folder, or ``--env-file``). Failures print one line on stderr and exit with status 1.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from file_storage.backends.base import DownloadResult, ListPage, StorageBackend
from file_storage.backends.s3 import S3StorageBackend
from file_storage.cli.media_commands import register as register_media_commands
from file_storage.cli.progress_bar import transfer_bar
from file_storage.cli.runner import CliState, fail, run_with_backend
from file_storage.cli.sync_commands import register as register_sync_commands
from file_storage.path_builder import StoragePathBuilder
from file_storage.redaction import configure_logging
from file_storage.units import human_size


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read settings from this file instead of ./.env.",
)
@click.option("-v", "--verbose", count=True, help="-v logs every S3 operation, -vv debug.")
@click.option(
    "--debug-botocore", is_flag=True, help="Also show botocore's debug log (secrets redacted)."
)
@click.version_option(package_name="leap-sync", prog_name="leap-storage")
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None, verbose: int, debug_botocore: bool) -> None:
    """Move recordings between this computer and the configured store (LOCAL or S3)."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    configure_logging(level, debug_botocore=debug_botocore)
    ctx.obj = CliState(env_file)


@cli.command("ls")
@click.argument("prefix", default="")
@click.option("-r", "--recursive", is_flag=True, help="List every file below PREFIX.")
@click.option("--bytes", "raw_bytes", is_flag=True, help="Sizes in bytes.")
@click.pass_obj
def ls_command(state: CliState, prefix: str, recursive: bool, raw_bytes: bool) -> None:
    """List the folder PREFIX (the store's root by default)."""

    async def action(backend: StorageBackend) -> tuple[int, int]:
        files = folders = 0
        async for page in backend.iter_pages(prefix, recursive=recursive):
            for folder in page.folders:
                click.echo(f"{'DIR':>10}  {'':16}  {folder}/")
                folders += 1
            for info in page.files:
                size = str(info.size) if raw_bytes else human_size(info.size)
                stamp = info.modified.astimezone().strftime("%Y-%m-%d %H:%M")
                click.echo(f"{size:>10}  {stamp:16}  {info.path}")
                files += 1
            warn_skipped(page)
        return files, folders

    files, folders = run_with_backend(state, action)
    if not files and not folders:
        click.echo(f"(nothing under {prefix or 'the root'})", err=True)


def warn_skipped(page: ListPage) -> None:
    """Name every entry a listing page passed over, with its reason, on stderr.

    A skipped path (an unsafe bucket key, a local folder deeper than the system allows) must not
    vanish silently from ``ls`` or a ``du`` total: the user is told which and why.
    """
    reasons = dict(getattr(page, "skipped", ()))
    for key in page.unsafe_keys:
        reason = reasons.get(key, "not a safe storage name")
        click.echo(f"leap-storage: warning: skipped {key!r}: {reason}", err=True)


@cli.command("put")
@click.argument("local", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("key")
@click.pass_obj
def put_command(state: CliState, local: Path, key: str) -> None:
    """Upload the file LOCAL to KEY (a KEY ending in / keeps the file's name).

    Stored under another name (``lecture 5.mp4`` as ``.../source.mp4``), the file keeps its
    original name as metadata; ``leap-storage stat KEY`` shows it.
    """
    if key.endswith("/") or not key:
        key = f"{key}{local.name}"
    original_name = local.name if local.name != key.rsplit("/", 1)[-1] else None

    size = local.stat().st_size

    async def action(backend: StorageBackend) -> str:
        with transfer_bar(f"put {local.name}", size) as progress:
            return await backend.upload_file(
                key, local, progress=progress, original_name=original_name
            )

    started = time.monotonic()
    where = run_with_backend(state, action)
    report("uploaded", size, started, f"{local} -> {where}")


@cli.command("get")
@click.argument("key")
@click.argument("local", type=click.Path(path_type=Path))
@click.pass_obj
def get_command(state: CliState, key: str, local: Path) -> None:
    """Download KEY to LOCAL (a folder keeps the object's name); verified and atomic."""
    target = local / key.rsplit("/", 1)[-1] if local.is_dir() else local

    async def action(backend: StorageBackend) -> tuple[int, DownloadResult | None]:
        size = await backend.get_size(key)
        with transfer_bar(f"get {key.rsplit('/', 1)[-1]}", size) as progress:
            result = await backend.download_file(key, target, progress=progress)
        return size, result

    started = time.monotonic()
    size, result = run_with_backend(state, action)
    report("downloaded", size, started, f"{key} -> {target}")
    if result is not None and not result.verified:
        # Nothing could prove these bytes (an SSE-KMS ETag and no recorded SHA-256...): say so.
        click.echo(f"{key} -> {target} saved, NOT verified: {result.unverified_reason}")


@cli.command("stat")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stat_command(state: CliState, key: str, as_json: bool) -> None:
    """Show size, modification time, ETag, SHA-256 and original name of KEY."""
    info = run_with_backend(state, lambda backend: backend.stat(key))
    fields = {
        "path": info.path,
        "size": info.size,
        "modified": info.modified.isoformat(),
        "etag": info.etag,
        "sha256": info.sha256,
        "original_name": info.original_name,
    }
    if as_json:
        click.echo(json.dumps(fields, indent=2, ensure_ascii=False))
        return
    for name, value in fields.items():
        if value is not None:
            click.echo(f"{name.replace('_', ' '):<14} {value}")


@cli.command("rm")
@click.argument("keys", nargs=-1, required=True)
@click.pass_obj
def rm_command(state: CliState, keys: tuple[str, ...]) -> None:
    """Delete one or more files (a missing file is not an error)."""

    async def action(backend: StorageBackend) -> None:
        for key in keys:
            existed = await backend.exists(key)
            await backend.delete(key)
            click.echo(f"removed {key}" if existed else f"absent  {key} (nothing to remove)")

    run_with_backend(state, action)


@cli.command("du")
@click.argument("prefix", default="")
@click.option("--bytes", "raw_bytes", is_flag=True, help="Sizes in bytes.")
@click.pass_obj
def du_command(state: CliState, prefix: str, raw_bytes: bool) -> None:
    """Show the total size under PREFIX, and per user under users/."""
    fmt: Callable[[int], str] = str if raw_bytes else human_size

    async def action(backend: StorageBackend) -> None:
        total = files = 0
        per_user: dict[str, list[int]] = {}
        async for page in backend.iter_pages(prefix):
            warn_skipped(page)
            for info in page.files:
                total += info.size
                files += 1
                slug = StoragePathBuilder.parse_user_slug(info.path)
                if slug:
                    entry = per_user.setdefault(slug, [0, 0])
                    entry[0] += info.size
                    entry[1] += 1
        for slug in sorted(per_user):
            size, count = per_user[slug]
            click.echo(f"{fmt(size):>12}  {count:>7} files  users/{slug}")
        click.echo(f"{fmt(total):>12}  {files:>7} files  {prefix or '(total)'}")
        limit = backend.quota.limit_bytes
        if limit and not prefix:
            click.echo(f"quota: {fmt(total)} of {fmt(limit)} used ({100 * total / limit:.1f}%)")

    run_with_backend(state, action)


@cli.command("presign")
@click.argument("key")
@click.option("--expires", default=3600, show_default=True, type=int, help="Seconds (1-604800).")
@click.option("--method", type=click.Choice(["GET", "PUT"], case_sensitive=False), default="GET")
@click.pass_obj
def presign_command(state: CliState, key: str, expires: int, method: str) -> None:
    """Print a time-limited URL for KEY (S3 only)."""
    url = run_with_backend(state, lambda b: b.get_presigned_url(key, expires, method.upper()))
    click.echo(url)


@cli.command("check")
@click.pass_obj
def check_command(state: CliState) -> None:
    """Test the connection and permissions of the configured store."""

    async def action(backend: StorageBackend) -> Any:
        result = await backend.check()
        click.echo(f"{backend.describe()}")
        return result

    result = run_with_backend(state, action)
    if not result.ok:
        fail(result.detail)
    click.echo(f"ok: {result.detail}")


@cli.command("cleanup-uploads")
@click.option(
    "--older-than",
    default=24.0,
    show_default=True,
    help="Hours: also abort unfinished uploads of any client started longer ago.",
)
@click.option(
    "--all",
    "abort_all",
    is_flag=True,
    help="Abort every unfinished upload under the prefix, running ones included.",
)
@click.pass_obj
def cleanup_command(state: CliState, older_than: float, abort_all: bool) -> None:
    """Abort unfinished multipart uploads under the prefix (S3 only).

    Always aborted: uploads this machine started whose process has ended (killed, crashed) and
    uploads an earlier abort could not reach. Then the others still open are listed with their
    age; ``--older-than`` or ``--all`` aborts them too.
    """

    async def action(backend: StorageBackend) -> tuple[int, list[tuple[str, str, float, str]]]:
        if not isinstance(backend, S3StorageBackend):
            raise click.ClickException("cleanup-uploads needs STORAGE_TYPE=S3")
        count = await backend.abort_orphaned_uploads(
            older_than_s=0.0 if abort_all else older_than * 3600
        )
        owners = {entry.upload_id: entry for entry in await backend.journal_entries()}
        still_open = []
        for key, upload_id, initiated in await backend.list_multipart_uploads():
            entry = owners.get(upload_id)
            owner = (
                f"process {entry.pid} on this machine"
                if entry is not None and entry.owner_alive()
                else "another client or machine"
            )
            still_open.append((key, upload_id, initiated, owner))
        return count, still_open

    count, still_open = run_with_backend(state, action)
    click.echo(f"aborted {count} unfinished upload(s)")
    now = time.time()
    for key, upload_id, initiated, owner in still_open:
        hours = max(0.0, now - initiated) / 3600
        click.echo(f"open: {key} started {hours:.1f} h ago by {owner} (upload id {upload_id})")
    if still_open:
        click.echo("abort these with --older-than HOURS or --all")


def report(verb: str, size: int, started: float, detail: str) -> None:
    elapsed = max(time.monotonic() - started, 1e-6)
    click.echo(
        f"{verb} {human_size(size)} in {elapsed:.1f}s ({human_size(size / elapsed)}/s): {detail}"
    )


register_sync_commands(cli)
register_media_commands(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="leap-storage")


if __name__ == "__main__":
    main()
