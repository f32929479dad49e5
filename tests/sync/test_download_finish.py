"""The last step of a download-side sync: never replace a local save, and work without hard links.

Case 5 of issue 10: a file saved locally while a replacing download runs keeps its name; the
download takes a conflict name (nothing goes to the trash in its place). Case 6: exFAT/FAT drives
have no hard links; the final steps fall back to no-replace renames. Tested on a real exFAT file
system (exfat-fuse on a loop device) where this machine allows it, and everywhere with ``link``
failing with the errno such drives give (EPERM).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from file_storage import LocalStorageBackend
from file_storage.sync import (
    Action,
    FileState,
    StepWork,
    SyncExecutor,
    SyncIndex,
    SyncMode,
    build_plan,
    compare,
)
from tests.conftest import MakeS3, MiB
from tests.sync.conftest import Pair

pytestmark = pytest.mark.s3

U = "users/user_000009/recordings/rec-1"


async def run(pair: Pair, mode: SyncMode, **kwargs: Any) -> Any:
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), mode)
    return await SyncExecutor(pair.local, pair.remote, pair.index, **kwargs).execute(plan)


def trash_contents(pair: Pair) -> list[bytes]:
    trash = pair.root / "temp" / ".trash"
    return [p.read_bytes() for p in trash.rglob("*") if p.is_file()] if trash.exists() else []


def conflict_copies(pair: Pair, path: str) -> list[Path]:
    full = pair.root / path
    stem = full.name.rsplit(".", 1)[0]
    return sorted(full.parent.glob(f"{stem}.conflict-*"))


@pytest.mark.parametrize("how", ["in-place", "rename-over"])
async def test_local_save_during_replacing_download_keeps_both(pair: Pair, how: str) -> None:
    pair.write_local(f"{U}/a.mp4", b"v1", age=60)
    assert (await run(pair, SyncMode.TWO_WAY)).ok
    await pair.remote.save(f"{U}/a.mp4", b"v2 from the store")
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.TWO_WAY)
    assert [a.kind.value for a in plan.actions] == ["replace-local"]
    saved = False

    async def runner(action: Action, work: StepWork) -> None:
        def progress(done: int) -> None:
            nonlocal saved
            if saved:
                return
            saved = True  # the user saves while the download runs
            full = pair.root / f"{U}/a.mp4"
            if how == "in-place":
                full.write_bytes(b"the user's new save")
            else:
                (full.parent / "a.mp4.tmp").write_bytes(b"the user's new save")
                os.replace(full.parent / "a.mp4.tmp", full)

        await work(progress)

    report = await SyncExecutor(pair.local, pair.remote, pair.index, runner=runner).execute(plan)
    assert saved
    assert report.ok, report.failed
    assert pair.read_local(f"{U}/a.mp4") == b"the user's new save"
    [copy] = conflict_copies(pair, f"{U}/a.mp4")
    assert copy.read_bytes() == b"v2 from the store"
    assert report.conflicts == [(f"{U}/a.mp4", copy.relative_to(pair.root).as_posix())]
    assert b"the user's new save" not in trash_contents(pair)
    assert report.trashed == []
    # Nothing is lost and the next compare still sees the save as a difference to resolve.
    after = await compare(pair.local, pair.remote, pair.index)
    states = {e.path: e.state for e in after.entries}
    assert states[f"{U}/a.mp4"] is not FileState.IDENTICAL


async def download_side_round(pair: Pair) -> None:
    """New download, replacing download and a conflict won by the store, on ``pair``."""
    pair.write_local(f"{U}/kept.mp4", b"v1", age=120)
    pair.write_local(f"{U}/both.mp4", b"v1", age=120)
    assert (await run(pair, SyncMode.TWO_WAY)).ok, "first sync"
    await pair.remote.save(f"{U}/new.mp4", os.urandom(6 * MiB))  # multipart, ranged download
    await pair.remote.save(f"{U}/kept.mp4", b"v2 from the store")
    pair.write_local(f"{U}/both.mp4", b"local edit", age=60)
    await pair.remote.save(f"{U}/both.mp4", b"store edit, newer")
    report = await run(pair, SyncMode.TWO_WAY)
    assert report.ok, report.failed
    assert pair.read_local(f"{U}/kept.mp4") == b"v2 from the store"
    assert (pair.root / f"{U}/new.mp4").stat().st_size == 6 * MiB
    assert pair.read_local(f"{U}/both.mp4") == b"store edit, newer"
    [copy] = conflict_copies(pair, f"{U}/both.mp4")
    assert copy.read_bytes() == b"local edit"
    assert b"v1" in trash_contents(pair)
    assert [e.state for e in (await compare(pair.local, pair.remote, pair.index)).entries] == [
        FileState.IDENTICAL
    ] * 4


async def test_download_side_sync_without_hard_links(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``link`` fails as on exFAT/FAT (EPERM): every download-side step still completes."""
    calls = 0

    def no_links(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    await download_side_round(pair)
    assert calls > 0


# --------------------------------------------------------------------------- real exFAT


@pytest.fixture
def exfat_mount(tmp_path: Path) -> Iterator[Path]:
    """A real exFAT file system (exfat-fuse on a loop device), or skip where none can mount."""
    tools = [shutil.which(t) for t in ("mkfs.exfat", "mount.exfat-fuse", "losetup", "umount")]
    if os.geteuid() != 0 or not all(tools) or not os.path.exists("/dev/fuse"):
        pytest.skip("needs root, exfatprogs, exfat-fuse and /dev/fuse to mount exFAT")
    image, mount = tmp_path / "exfat.img", tmp_path / "exfat"
    with open(image, "wb") as handle:
        handle.truncate(96 * MiB)
    mount.mkdir()
    subprocess.run(["mkfs.exfat", str(image)], check=True, capture_output=True)
    loop = subprocess.run(
        ["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=False
    )
    if loop.returncode != 0:
        pytest.skip(f"no loop device here: {loop.stderr.strip()}")
    device = loop.stdout.strip()
    try:
        mounted = subprocess.run(
            ["mount.exfat-fuse", device, str(mount)], capture_output=True, text=True, check=False
        )
        if mounted.returncode != 0:
            pytest.skip(f"exFAT does not mount here: {mounted.stderr.strip()}")
        try:
            yield mount
        finally:
            subprocess.run(["umount", str(mount)], check=False, capture_output=True)
    finally:
        subprocess.run(["losetup", "-d", device], check=False, capture_output=True)


@pytest.fixture
async def exfat_pair(
    exfat_mount: Path, tmp_path: Path, make_s3: MakeS3, raw_s3: Any
) -> AsyncIterator[Pair]:
    local = LocalStorageBackend(exfat_mount / f"store-{uuid.uuid4().hex[:6]}")
    remote = make_s3()
    index = SyncIndex(tmp_path / "data" / "sync-index.sqlite3")
    async with local, index:
        await remote.ensure_open()
        yield Pair(local, remote, index, raw_s3)


async def test_download_side_sync_on_real_exfat(exfat_pair: Pair) -> None:
    probe = exfat_pair.root / "probe"
    probe.write_bytes(b"x")
    with pytest.raises(OSError, match=r"not permitted|not supported") as refused:
        os.link(probe, exfat_pair.root / "probe2")
    assert refused.value.errno in (errno.EPERM, errno.EOPNOTSUPP)
    probe.unlink()
    await download_side_round(exfat_pair)
