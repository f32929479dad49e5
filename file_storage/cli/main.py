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

from file_storage.backends.base import DownloadResult, ListPage, ObjectInfo, StorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.bandwidth import BandwidthLimiter, BandwidthSyntaxError
from file_storage.cli.folder_commands import (
    get_stream,
    get_tree,
    keep_local_mtime,
    put_stream,
    put_tree,
    rm_tree,
)
from file_storage.cli.folder_commands import register as register_folder_commands
from file_storage.cli.media_commands import register as register_media_commands
from file_storage.cli.options import (
    filter_options,
    is_stream,
    json_option,
    make_filter,
    resolve_paths,
)
from file_storage.cli.progress_bar import transfer_bar
from file_storage.cli.runner import CliState, fail, print_json, run_with_backend, say
from file_storage.cli.sync_commands import register as register_sync_commands
from file_storage.errors import NotSupportedError, StorageError
from file_storage.filters import relative_to
from file_storage.path_builder import StoragePathBuilder
from file_storage.redaction import configure_logging
from file_storage.units import human_size

EPILOG_MAIN = """\b
Examples:
  leap-storage ls users/ -r --include '*.mp4'
  leap-storage put -r ./lecture-5 users/user_000042/recordings/rec-5
  leap-storage get -r s3://media/storage/users/user_000042 ./backup
  leap-storage sync / --mode upload --json | jq .failed

Store paths or s3://BUCKET/PREFIX/path names; shell completion: docs/cli.md.
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG_MAIN)
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read settings from this file instead of ./.env.",
)
@click.option("-v", "--verbose", count=True, help="-v logs every S3 operation, -vv debug.")
@click.option(
    "--debug-botocore", is_flag=True, help="Also show botocore's debug log (secrets redacted)."
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress bars or summaries; data and errors only."
)
@click.option(
    "--bwlimit",
    metavar="RATE|UP:DOWN|TIMETABLE",
    help="Limit S3 transfers (all together), replacing STORAGE_BWLIMIT_*: 10M = 10 MiB/s, "
    "20Mbit/s, 10M:off (upload:download), or 'Mon-Fri 09:00-18:00 2M; otherwise off'.",
)
@click.version_option(package_name="leap-sync", prog_name="leap-storage")
@click.pass_context
def cli(
    ctx: click.Context,
    env_file: Path | None,
    verbose: int,
    debug_botocore: bool,
    quiet: bool,
    bwlimit: str | None,
) -> None:
    """Move recordings between this computer and the configured store (LOCAL or S3)."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    configure_logging(level, debug_botocore=debug_botocore)
    if bwlimit is not None:
        try:
            BandwidthLimiter.shared().apply_option(bwlimit)
        except BandwidthSyntaxError as exc:
            raise click.BadParameter(str(exc), param_hint="--bwlimit") from None
    ctx.obj = CliState(env_file, quiet=quiet)


@cli.command(
    "ls",
    epilog="""\b
Examples:
  leap-storage ls                                  # the root: folders and files
  leap-storage ls users/user_000042 -r --bytes     # everything below, sizes in bytes
  leap-storage ls -r --include '*.mp4' --json      # every video, as JSON
""",
)
@click.argument("prefix", default="")
@click.option("-r", "--recursive", is_flag=True, help="List every file below PREFIX.")
@click.option("--bytes", "raw_bytes", is_flag=True, help="Sizes in bytes.")
@filter_options
@json_option
@click.pass_obj
def ls_command(
    state: CliState,
    prefix: str,
    recursive: bool,
    raw_bytes: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    as_json: bool,
) -> None:
    """List the folder PREFIX (the store's root by default)."""
    (prefix,) = resolve_paths(state, prefix)
    rules = make_filter(include, exclude)
    listed: dict[str, list[Any]] = {"folders": [], "files": [], "skipped": []}

    async def action(backend: StorageBackend) -> tuple[int, int]:
        files = folders = 0
        async for page in backend.iter_pages(prefix, recursive=recursive):
            for folder in page.folders:
                if not rules.shows_folder(relative_to(folder, prefix)):
                    continue
                folders += 1
                if as_json:
                    listed["folders"].append(folder)
                else:
                    click.echo(f"{'DIR':>10}  {'':16}  {folder}/")
            for info in page.files:
                if not rules.includes(relative_to(info.path, prefix)):
                    continue
                files += 1
                if as_json:
                    listed["files"].append(file_json(info))
                    continue
                size = str(info.size) if raw_bytes else human_size(info.size)
                stamp = info.modified.astimezone().strftime("%Y-%m-%d %H:%M")
                click.echo(f"{size:>10}  {stamp:16}  {info.path}")
            listed["skipped"] += skipped_json(page)
            warn_skipped(page)
        return files, folders

    files, folders = run_with_backend(state, action)
    if as_json:
        print_json({"prefix": prefix, **listed})
    elif not files and not folders:
        say(f"(nothing under {prefix or 'the root'})", err=True)


def file_json(info: ObjectInfo) -> dict[str, Any]:
    """One file in ``--json`` output."""
    return {
        "path": info.path,
        "size": info.size,
        "modified": info.modified.isoformat(),
        "etag": info.etag,
    }


def skipped_json(page: ListPage) -> list[dict[str, str]]:
    reasons = dict(getattr(page, "skipped", ()))
    return [
        {"path": key, "reason": reasons.get(key, "not a safe storage name")}
        for key in page.unsafe_keys
    ]


def warn_skipped(page: ListPage) -> None:
    """Name every entry a listing page passed over, with its reason, on stderr.

    A skipped path (an unsafe bucket key, a local folder deeper than the system allows) must not
    vanish silently from ``ls`` or a ``du`` total: the user is told which and why.
    """
    reasons = dict(getattr(page, "skipped", ()))
    for key in page.unsafe_keys:
        reason = reasons.get(key, "not a safe storage name")
        click.echo(f"leap-storage: warning: skipped {key!r}: {reason}", err=True)


@cli.command(
    "put",
    epilog="""\b
Examples:
  leap-storage put lecture.mp4 users/user_000042/recordings/rec-1/source.mp4
  leap-storage put lecture.mp4 users/user_000042/recordings/rec-1/    # keeps the name
  leap-storage put -r ./rec-1 users/user_000042/recordings/rec-1 --exclude '*.tmp'
  ffmpeg -i in.mov -f mp4 -movflags frag_keyframe - | leap-storage put - tmp/out.mp4
""",
)
@click.argument("local", type=click.Path(path_type=Path, exists=True, allow_dash=True))
@click.argument("key")
@click.option("-r", "--recursive", is_flag=True, help="Upload the folder LOCAL below KEY.")
@filter_options
@click.pass_obj
def put_command(
    state: CliState,
    local: Path,
    key: str,
    recursive: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Upload the file LOCAL to KEY (a KEY ending in / keeps the file's name).

    Stored under another name (``lecture 5.mp4`` as ``.../source.mp4``), the file keeps its
    original name as metadata; ``leap-storage stat KEY`` shows it. The file's modification
    time is recorded as ``mtime`` metadata, as rclone does. LOCAL ``-`` reads standard input
    (spooled to a temporary file, not memory); ``-r`` uploads a folder.
    """
    (key,) = resolve_paths(state, key)
    if is_stream(local):
        put_stream(state, key)
        return
    if local.is_dir():
        if not recursive:
            raise click.BadParameter(f"{local} is a folder; add -r to upload it.")
        put_tree(state, local, key, make_filter(include, exclude))
        return
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


@cli.command(
    "get",
    epilog="""\b
Examples:
  leap-storage get users/user_000042/recordings/rec-1/source.mp4 ./lecture.mp4
  leap-storage get -r users/user_000042/recordings ./backup --include '*.mp4'
  leap-storage get users/user_000042/recordings/rec-1/source.mp4 - | ffprobe -
""",
)
@click.argument("key")
@click.argument("local", type=click.Path(path_type=Path, allow_dash=True))
@click.option("-r", "--recursive", is_flag=True, help="Download every file below KEY.")
@filter_options
@click.pass_obj
def get_command(
    state: CliState,
    key: str,
    local: Path,
    recursive: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Download KEY to LOCAL (a folder keeps the object's name); verified and atomic.

    The local file gets the object's modification time (its ``mtime`` metadata, else its
    Last-Modified). LOCAL ``-`` writes to standard output; ``-r`` downloads a folder.
    """
    (key,) = resolve_paths(state, key)
    if recursive:
        get_tree(state, key, local, make_filter(include, exclude))
        return
    if is_stream(local):
        get_stream(state, key)
        return
    target = local / key.rsplit("/", 1)[-1] if local.is_dir() else local

    async def action(backend: StorageBackend) -> tuple[int, DownloadResult | None]:
        size = await backend.get_size(key)
        with transfer_bar(f"get {key.rsplit('/', 1)[-1]}", size) as progress:
            result = await backend.download_file(key, target, progress=progress)
        if result is None:
            keep_local_mtime(await backend.stat(key), target, True)
        return size, result

    started = time.monotonic()
    size, result = run_with_backend(state, action)
    report("downloaded", size, started, f"{key} -> {target}")
    if result is not None and result.resumed_bytes:
        click.echo(f"resumed: {human_size(result.resumed_bytes)} kept from an interrupted download")
    if result is not None and result.resume_note:
        click.echo(f"not resumed: {result.resume_note}")
    if result is not None and not result.verified:
        # Nothing could prove these bytes (an SSE-KMS ETag and no recorded SHA-256...): say so.
        click.echo(f"{key} -> {target} saved, NOT verified: {result.unverified_reason}")


@cli.command(
    "stat",
    epilog="""\b
Examples:
  leap-storage stat users/user_000042/recordings/rec-1/source.mp4
  leap-storage stat s3://media/storage/users/user_000042/recordings/rec-1/source.mp4 --json
""",
)
@click.argument("key")
@json_option
@click.pass_obj
def stat_command(state: CliState, key: str, as_json: bool) -> None:
    """Show size, modification time, ETag, SHA-256 and original name of KEY.

    The original name is shown decoded (S3 keeps it %-encoded UTF-8 in ``original-name``).
    """
    (key,) = resolve_paths(state, key)
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


@cli.command(
    "rm",
    epilog="""\b
Examples:
  leap-storage rm users/user_000042/recordings/rec-1/thumbnail.jpg
  leap-storage rm -r users/user_000042/recordings/rec-1 --dry-run
  leap-storage rm -r users/user_000042/recordings/rec-1 --yes
  leap-storage rm -r temp --include '*.part' --yes
""",
)
@click.argument("keys", nargs=-1, required=True)
@click.option("-r", "--recursive", is_flag=True, help="Delete every file below each KEY.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before deleting a folder.")
@click.option("--dry-run", is_flag=True, help="List what -r would delete; delete nothing.")
@filter_options
@click.pass_obj
def rm_command(
    state: CliState,
    keys: tuple[str, ...],
    recursive: bool,
    yes: bool,
    dry_run: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Delete one or more files (a missing file is not an error).

    A folder needs ``-r``; it is counted first and deleted only after a confirmation (or
    with ``--yes``; without a terminal, ``--yes`` is required).
    """
    keys = tuple(resolve_paths(state, *keys))
    if recursive:
        rm_tree(state, keys, make_filter(include, exclude), yes, dry_run)
        return

    async def action(backend: StorageBackend) -> list[str]:
        folders = []
        for key in keys:
            existed = await backend.exists(key)
            if not existed and await has_files_below(backend, key):
                folders.append(key)
                continue
            await backend.delete(key)
            say(f"removed {key}" if existed else f"absent  {key} (nothing to remove)")
        return folders

    folders = run_with_backend(state, action)
    if folders:
        fail(f"{', '.join(folders)}: a folder; nothing removed there (rm -r deletes a folder)")


async def has_files_below(backend: StorageBackend, key: str) -> bool:
    async for page in backend.iter_pages(key.strip("/"), recursive=False):
        if page.files or page.folders:
            return True
    return False


@cli.command(
    "du",
    epilog="""\b
Examples:
  leap-storage du                        # the whole store, per user, and the quota
  leap-storage du users/user_000042 --bytes --include '*.mp4'
  leap-storage du --json | jq .bytes
""",
)
@click.argument("prefix", default="")
@click.option("--bytes", "raw_bytes", is_flag=True, help="Sizes in bytes.")
@filter_options
@json_option
@click.pass_obj
def du_command(
    state: CliState,
    prefix: str,
    raw_bytes: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    as_json: bool,
) -> None:
    """Show the total size under PREFIX, and per user under users/."""
    (prefix,) = resolve_paths(state, prefix)
    rules = make_filter(include, exclude)
    fmt: Callable[[int], str] = str if raw_bytes else human_size

    async def action(backend: StorageBackend) -> None:
        total = files = 0
        per_user: dict[str, list[int]] = {}
        async for page in backend.iter_pages(prefix):
            warn_skipped(page)
            for info in page.files:
                if not rules.includes(relative_to(info.path, prefix)):
                    continue
                total += info.size
                files += 1
                slug = StoragePathBuilder.parse_user_slug(info.path)
                if slug:
                    entry = per_user.setdefault(slug, [0, 0])
                    entry[0] += info.size
                    entry[1] += 1
        limit = backend.quota.limit_bytes
        if as_json:
            print_json(
                {
                    "prefix": prefix,
                    "files": files,
                    "bytes": total,
                    "users": [
                        {"user": slug, "files": per_user[slug][1], "bytes": per_user[slug][0]}
                        for slug in sorted(per_user)
                    ],
                    "quota_bytes": limit if limit and not prefix else None,
                }
            )
            return
        for slug in sorted(per_user):
            size, count = per_user[slug]
            click.echo(f"{fmt(size):>12}  {count:>7} files  users/{slug}")
        click.echo(f"{fmt(total):>12}  {files:>7} files  {prefix or '(total)'}")
        if limit and not prefix:
            click.echo(f"quota: {fmt(total)} of {fmt(limit)} used ({100 * total / limit:.1f}%)")

    run_with_backend(state, action)


@cli.command(
    "presign",
    epilog="""\b
Examples:
  leap-storage presign users/user_000042/recordings/rec-1/video.mp4 --expires 600
  curl -T clip.mp4 "$(leap-storage presign tmp/clip.mp4 --method PUT)"
""",
)
@click.argument("key")
@click.option("--expires", default=3600, show_default=True, type=int, help="Seconds (1-604800).")
@click.option("--method", type=click.Choice(["GET", "PUT"], case_sensitive=False), default="GET")
@click.pass_obj
def presign_command(state: CliState, key: str, expires: int, method: str) -> None:
    """Print a time-limited URL for KEY (S3 only)."""
    url = run_with_backend(state, lambda b: b.get_presigned_url(key, expires, method.upper()))
    click.echo(url)


@cli.command(
    "check",
    epilog="""\b
Examples:
  leap-storage check
  leap-storage --env-file staging.env check
""",
)
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


@cli.command(
    "cleanup-uploads",
    epilog="""\b
Examples:
  leap-storage cleanup-uploads                  # abort orphans; list the other open uploads
  leap-storage cleanup-uploads --older-than 2   # also abort uploads older than two hours
  leap-storage cleanup-uploads --all            # abort every unfinished upload
""",
)
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

    async def action(
        backend: StorageBackend,
    ) -> tuple[int, list[tuple[str, str, float, str]], str | None]:
        if not isinstance(backend, S3StorageBackend):
            raise click.ClickException("cleanup-uploads needs STORAGE_TYPE=S3")
        # First what needs no listing: this machine's journal and remembered aborts.
        count = await backend.abort_orphaned_uploads()
        try:
            listed = await backend.list_multipart_uploads()
        except (NotSupportedError, StorageError) as exc:
            return count, [], str(exc)
        cutoff = time.time() - (0.0 if abort_all else older_than * 3600)
        stale = [item for item in listed if item[2] < cutoff]
        if stale:
            count += await backend.abort_orphaned_uploads(
                older_than_s=0.0 if abort_all else older_than * 3600
            )
        owners = {entry.upload_id: entry for entry in await backend.journal_entries()}
        still_open = []
        for key, upload_id, initiated in await backend.list_multipart_uploads():
            entry = owners.get(upload_id)
            owner = (
                f"process {entry.pid} on this machine"
                if entry is not None and entry.owner_alive()
                else f"an interrupted put of {entry.source.path} (its next put resumes it)"
                if entry is not None and entry.source is not None and entry.source.path
                else "another client or machine"
            )
            still_open.append((key, upload_id, initiated, owner))
        return count, still_open, None

    count, still_open, unlisted = run_with_backend(state, action)
    say(f"aborted {count} unfinished upload(s)")
    if unlisted is not None:
        fail(
            "this server does not list unfinished multipart uploads (ListMultipartUploads "
            f"refused: {unlisted}); only uploads this machine recorded were checked. Uploads "
            "left by other clients cannot be found here: use the provider's console or a "
            "bucket lifecycle rule (AbortIncompleteMultipartUpload)."
        )
    now = time.time()
    for key, upload_id, initiated, owner in still_open:
        hours = max(0.0, now - initiated) / 3600
        click.echo(f"open: {key} started {hours:.1f} h ago by {owner} (upload id {upload_id})")
    if still_open:
        click.echo("abort these with --older-than HOURS or --all")


def report(verb: str, size: int, started: float, detail: str) -> None:
    elapsed = max(time.monotonic() - started, 1e-6)
    say(f"{verb} {human_size(size)} in {elapsed:.1f}s ({human_size(size / elapsed)}/s): {detail}")


register_sync_commands(cli)
register_folder_commands(cli)
register_media_commands(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="leap-storage")


if __name__ == "__main__":
    main()
