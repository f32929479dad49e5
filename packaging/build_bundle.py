"""Build the one-folder bundle ``leap-sync/`` with PyInstaller, unless an up-to-date one exists.

``make package`` runs ``python packaging/build_bundle.py`` (into ``dist/``); the bundle tests run
it into ``build/bundle/dist`` with ``--reuse dist``. A bundle is up to date when the hash of
everything that goes into it (the app's sources and resources, the spec, the desktop files, the
pinned and the installed package versions, the Python version) matches the hash written beside it
when it was built. The last line printed is the bundle's folder.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "leap-sync.spec"
NAME = "leap-sync"
#: Folders and files whose content goes into the bundle.
INPUTS = (
    "app",
    "file_storage",
    "resources",
    "packaging/leap-sync.spec",
    "packaging/launcher.py",
    "packaging/linux",
    "pyproject.toml",
    "requirements.lock",
)


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for item in sorted(path.rglob("*")):
        if item.is_file() and "__pycache__" not in item.parts:
            yield item


def source_hash() -> str:
    """Hash everything the bundle is made from."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version} {platform.machine()}\n".encode())
    versions = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    digest.update("\n".join(versions).encode())
    for entry in INPUTS:
        for file in _files(ROOT / entry):
            digest.update(f"\n{file.relative_to(ROOT).as_posix()}\n".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def stamp_path(dist: Path) -> Path:
    """Where the hash of the bundle in ``dist`` is kept (beside the bundle, not in it)."""
    return dist / f"{NAME}.source-hash"


def is_up_to_date(dist: Path, digest: str) -> bool:
    """True if ``dist`` holds a complete bundle built from sources with hash ``digest``."""
    stamp = stamp_path(dist)
    executable = dist / NAME / NAME
    return (
        executable.is_file()
        and stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == digest
    )


def folder_size(folder: Path) -> tuple[int, int]:
    """Return (bytes, files) of ``folder``, not following symbolic links."""
    total = count = 0
    for item in folder.rglob("*"):
        if item.is_file() and not item.is_symlink():
            total += item.stat().st_size
            count += 1
    return total, count


def build(dist: Path, work: Path) -> float:
    """Run PyInstaller on the spec; return the seconds it took."""
    stamp_path(dist).unlink(missing_ok=True)
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={dist}",
            f"--workpath={work}",
            str(SPEC),
        ],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the bundle and report its size; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--force", action="store_true", help="build even if up to date")
    parser.add_argument(
        "--reuse", type=Path, metavar="DIST", help="use DIST's bundle instead, if up to date"
    )
    args = parser.parse_args(argv)
    if shutil.which("objdump") is None:
        print("PyInstaller needs objdump: apt-get install binutils", file=sys.stderr)
        return 1
    digest = source_hash()
    dist = args.dist.resolve()
    if not args.force and args.reuse and is_up_to_date(args.reuse.resolve(), digest):
        dist = args.reuse.resolve()
        print(f"{dist / NAME}: up to date")
    elif not args.force and is_up_to_date(dist, digest):
        print(f"{dist / NAME}: up to date")
    else:
        seconds = build(dist, args.work.resolve())
        stamp_path(dist).write_text(digest + "\n", encoding="utf-8")
        print(f"built {dist / NAME} in {seconds:.0f} s")
    size, count = folder_size(dist / NAME)
    print(f"bundle size: {size / 2**20:.0f} MiB in {count} files")
    print(dist / NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
