"""Folders and streams for ``leap-storage``: ``put -r``, ``get -r``, ``put -``, ``get KEY -``,
``rm -r``, and ``cp``/``mv`` inside the store (server-side on S3).

Each file of a folder transfer is its own verified, atomic transfer; a failure is named and the
others go on; the command exits 1 if any file failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import BinaryIO

import click

from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.cli.options import filter_options, make_filter, resolve_paths
from file_storage.cli.progress_bar import transfer_bar
from file_storage.cli.runner import CliState, fail, is_quiet, run_with_backend, say, warn
from file_storage.errors import ChecksumMismatchError, ObjectNotFoundError, StorageError
from file_storage.filters import PathFilter, relative_to
from file_storage.units import human_size

#: Files moved at once by a folder transfer (each file also moves in parallel parts).
FOLDER_CONCURRENCY = 4
STREAM_CHUNK = 8 * 1024 * 1024


def join(prefix: str, relative: str) -> str:
    """``prefix/relative`` without doubled or leading slashes."""
    prefix = prefix.strip("/")
    return f"{prefix}/{relative}" if prefix else relative


async def list_files(
    backend: StorageBackend, prefix: str, rules: PathFilter | None = None
) -> list[ObjectInfo]:
    """Every file below the folder ``prefix`` that the filter includes; skipped names warned."""
    found: list[ObjectInfo] = []
    async for page in backend.iter_pages(prefix.strip("/"), recursive=True):
        for key in page.unsafe_keys:
            warn(f"skipped {key!r}: not a safe storage name")
        for info in page.files:
            if rules is None or rules.includes(relative_to(info.path, prefix)):
                found.append(info)
    return found


async def run_each(
    items: list[tuple[str, Callable[[], Awaitable[int]]]], label: str, total: int
) -> tuple[int, int, list[tuple[str, str]]]:
    """Run the jobs ``FOLDER_CONCURRENCY`` at a time; return files done, bytes, failures."""
    limit = asyncio.Semaphore(FOLDER_CONCURRENCY)
    failures: list[tuple[str, str]] = []
    done = moved = 0
    with transfer_bar(label, total) as bar:

        async def one(name: str, job: Callable[[], Awaitable[int]]) -> None:
            nonlocal done, moved
            async with limit:
                try:
                    moved += await job()
                    done += 1
                except (StorageError, OSError) as exc:
                    failures.append((name, str(exc)))
                    click.echo(f"failed  {name}: {exc}", err=True)
                bar(moved)

        await asyncio.gather(*(one(name, job) for name, job in items))
    return done, moved, failures


def finish(verb: str, done: int, moved: int, failures: list[tuple[str, str]]) -> None:
    """One summary line; exit 1 when any file failed."""
    say(f"{verb} {done} file(s), {human_size(moved)}; {len(failures)} failed")
    if failures:
        sys.exit(1)


# ----------------------------------------------------------------- put -r / put -


def put_tree(state: CliState, folder: Path, prefix: str, rules: PathFilter) -> None:
    """Upload every file below ``folder`` to ``prefix/<relative path>``."""
    files: list[tuple[str, Path, int]] = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = Path(root) / name
            relative = full.relative_to(folder).as_posix()
            if full.is_file() and not full.is_symlink() and rules.includes(relative):
                files.append((relative, full, full.stat().st_size))
    total = sum(size for _, _, size in files)

    async def action(backend: StorageBackend) -> tuple[int, int, list[tuple[str, str]]]:
        def job(relative: str, full: Path, size: int) -> Callable[[], Awaitable[int]]:
            async def upload() -> int:
                await backend.upload_file(join(prefix, relative), full)
                say(f"put {full} -> {join(prefix, relative)}")
                return size

            return upload

        return await run_each(
            [(str(full), job(rel, full, size)) for rel, full, size in files],
            f"put {folder.name}/",
            total,
        )

    finish("uploaded", *run_with_backend(state, action))


def put_stream(state: CliState, key: str) -> None:
    """Upload standard input to ``key``, spooled to a temporary file (never held in memory).

    The SHA-256 recorded with every upload needs the whole content before the write, so the
    bytes go to disk first (in ``STREAM_CHUNK`` pieces), then up as any file does.
    """
    if not key or key.endswith("/"):
        raise click.BadParameter("put - needs a full KEY (standard input has no name).")
    stdin = sys.stdin.buffer

    async def action(backend: StorageBackend) -> tuple[str, int]:
        with tempfile.TemporaryDirectory(prefix="leap-stdin-") as folder:
            spool = Path(folder) / "stdin"
            size = await asyncio.to_thread(_spool, stdin, spool)
            with transfer_bar(f"put {key.rsplit('/', 1)[-1]}", size) as progress:
                return await backend.upload_file(key, spool, progress=progress), size

    where, size = run_with_backend(state, action)
    say(f"uploaded {human_size(size)} from standard input -> {where}")


def _spool(stream: BinaryIO, target: Path) -> int:
    size = 0
    with open(target, "wb") as out:
        while chunk := stream.read(STREAM_CHUNK):
            out.write(chunk)
            size += len(chunk)
    return size


# ----------------------------------------------------------------- get -r / get -


def get_tree(state: CliState, prefix: str, folder: Path, rules: PathFilter) -> None:
    """Download every file below ``prefix`` to ``folder/<relative path>``."""

    async def action(backend: StorageBackend) -> tuple[int, int, list[tuple[str, str]]]:
        files = await list_files(backend, prefix, rules)
        if not files:
            raise ObjectNotFoundError(f"nothing under {prefix or 'the root'} to download")

        def job(info: ObjectInfo) -> Callable[[], Awaitable[int]]:
            async def download() -> int:
                # Store paths are validated (no "..", no absolute parts): safe below folder.
                target = folder / relative_to(info.path, prefix)
                await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
                result = await backend.download_file(info.path, target)
                keep_local_mtime(info, target, result is None)
                if result is not None and not result.verified:
                    warn(f"{target} saved, NOT verified: {result.unverified_reason}")
                say(f"get {info.path} -> {target}")
                return info.size

            return download

        total = sum(info.size for info in files)
        return await run_each(
            [(info.path, job(info)) for info in files], f"get {prefix or '/'}", total
        )

    finish("downloaded", *run_with_backend(state, action))


def keep_local_mtime(info: ObjectInfo, target: Path, from_local_store: bool) -> None:
    """A copy out of a local store keeps the file's time (S3 downloads set it themselves)."""
    if from_local_store:
        stamp = round(info.modified.timestamp() * 1_000_000_000)
        os.utime(target, ns=(stamp, stamp))


def get_stream(state: CliState, key: str) -> None:
    """Write ``key`` to standard output in chunks, checked against its recorded SHA-256.

    The bytes are already out when the check runs: a mismatch is an error line and exit 1,
    so a pipeline (``set -o pipefail``) knows not to trust what it received.
    """
    stdout = sys.stdout.buffer

    async def action(backend: StorageBackend) -> None:
        info = await backend.stat(key)
        digest = hashlib.sha256()
        async for chunk in backend.iter_chunks(key, STREAM_CHUNK):
            digest.update(chunk)
            await asyncio.to_thread(stdout.write, chunk)
        await asyncio.to_thread(stdout.flush)
        if info.sha256 and digest.hexdigest() != info.sha256:
            raise ChecksumMismatchError(
                f"{key}: the bytes written to standard output do not match the recorded "
                "SHA-256; do not use them.",
                path=key,
            )
        if not info.sha256:
            say(f"{key}: no recorded SHA-256; the streamed bytes were not verified.", err=True)

    run_with_backend(state, action)


# ----------------------------------------------------------------- rm -r


def rm_tree(
    state: CliState, prefixes: tuple[str, ...], rules: PathFilter, yes: bool, dry_run: bool
) -> None:
    """Delete every file below the prefixes (after a confirmation or ``--yes``)."""

    async def listing(backend: StorageBackend) -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        for prefix in prefixes:
            found += await list_files(backend, prefix, rules)
        return found

    files = run_with_backend(state, listing)
    size = sum(info.size for info in files)
    where = ", ".join(prefix or "(the whole store)" for prefix in prefixes)
    if not files:
        say(f"nothing to remove under {where}")
        return
    if dry_run:
        for info in files:
            click.echo(f"would remove {info.path}")
        say(f"dry run: {len(files)} file(s), {human_size(size)} would be removed")
        return
    if not yes:
        if not sys.stdin.isatty():
            fail(
                f"rm -r would delete {len(files)} file(s) ({human_size(size)}) under {where}; "
                "add --yes to confirm (standard input is not a terminal)"
            )
        click.confirm(
            f"Delete {len(files)} file(s) ({human_size(size)}) under {where}?", abort=True
        )

    async def delete(backend: StorageBackend) -> int:
        return await backend.delete_files(files)

    count = run_with_backend(state, delete)
    say(f"removed {count} file(s), {human_size(size)} under {where}")


# ----------------------------------------------------------------- cp / mv

EPILOG_CP = """\b
Examples:
  leap-storage cp users/u1/recordings/r1/source.mp4 users/u1/recordings/r2/
  leap-storage cp -r users/u1/recordings/r1 users/u1/recordings/r1-backup
  leap-storage cp s3://media/storage/a.mp4 s3://media/storage/b.mp4
"""

EPILOG_MV = """\b
Examples:
  leap-storage mv users/u1/recordings/r1/video.mp4 users/u1/recordings/r1/old.mp4
  leap-storage mv -r users/u1/recordings/draft users/u1/recordings/final
"""


def _plan_copy(
    backend_files: list[ObjectInfo], source: str, target: str
) -> list[tuple[ObjectInfo, str]]:
    return [(info, join(target, relative_to(info.path, source))) for info in backend_files]


def copy_or_move(
    state: CliState,
    source: str,
    target: str,
    recursive: bool,
    rules: PathFilter,
    move: bool,
) -> None:
    verb = "moved" if move else "copied"
    source, target = resolve_paths(state, source, target)

    async def action(backend: StorageBackend) -> tuple[int, int, list[tuple[str, str]]]:
        if recursive:
            pairs = _plan_copy(await list_files(backend, source, rules), source, target)
            if not pairs:
                raise ObjectNotFoundError(f"nothing under {source or 'the root'} to copy")
        else:
            info = await backend.stat(source)
            name = source.rsplit("/", 1)[-1]
            pairs = [(info, f"{target}{name}" if target.endswith("/") or not target else target)]

        def job(info: ObjectInfo, destination: str) -> Callable[[], Awaitable[int]]:
            async def copy() -> int:
                if destination == info.path:
                    raise StorageError(f"{info.path}: source and target are the same file")
                await backend.copy(info.path, destination)
                if move:
                    await backend.delete(info.path)
                say(f"{'mv' if move else 'cp'} {info.path} -> {destination}")
                return info.size

            return copy

        total = sum(info.size for info, _ in pairs)
        return await run_each(
            [(info.path, job(info, destination)) for info, destination in pairs],
            "mv" if move else "cp",
            total,
        )

    finish(verb, *run_with_backend(state, action))


@click.command("cp", epilog=EPILOG_CP)
@click.argument("source")
@click.argument("target")
@click.option("-r", "--recursive", is_flag=True, help="Copy every file below SOURCE.")
@filter_options
@click.pass_obj
def cp_command(
    state: CliState,
    source: str,
    target: str,
    recursive: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Copy SOURCE to TARGET inside the store (server-side on S3; a TARGET ending in / keeps
    the name). Metadata (SHA-256, original name, mtime) goes with it."""
    copy_or_move(state, source, target, recursive, make_filter(include, exclude), move=False)


@click.command("mv", epilog=EPILOG_MV)
@click.argument("source")
@click.argument("target")
@click.option("-r", "--recursive", is_flag=True, help="Move every file below SOURCE.")
@filter_options
@click.pass_obj
def mv_command(
    state: CliState,
    source: str,
    target: str,
    recursive: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Move SOURCE to TARGET inside the store: a copy (server-side on S3), then the delete of
    the source once the copy succeeded."""
    copy_or_move(state, source, target, recursive, make_filter(include, exclude), move=True)


def register(group: click.Group) -> None:
    """Add ``cp`` and ``mv`` to the ``leap-storage`` group."""
    group.add_command(cp_command)
    group.add_command(mv_command)


__all__ = ["get_stream", "get_tree", "is_quiet", "put_stream", "put_tree", "register", "rm_tree"]
