"""Compare and plan in a short-lived child process, so that the caller's memory stays small.

Why: a compare of 20,000 files makes some 30 MB of small Python objects at once (both listings,
the hash cache, the sync history, the entries). They are freed afterwards, but CPython's
small-object allocator keeps an arena (1 MiB) as long as one object in it lives, and objects
that outlive the compare (caches, interned names, the S3 client's models) are scattered over
those arenas: a long-running app measured 50 MB more after its first background compare, and
~10 MB more after each later one, none of it live (``bench/BACKGROUND_IDLE.md``).
``malloc_trim`` and ``MALLOC_ARENA_MAX`` cannot return that memory; ending a process does.

So :func:`plan_in_child` runs ``compare`` -> ``build_plan`` in a fresh interpreter
(``python -m file_storage.sync.isolated``) that builds its own stores from the same settings and
opens the same sync index (SQLite, WAL: the hash cache and the history it writes are shared).
The plan comes back pickled through a pipe, carrying only the entries its actions need; the
copies still run in the caller (its queue, its limits). A child that fails is an error of the
run (:class:`~file_storage.errors.StorageError` with the child's message), never a silent empty
plan; a cancelled run kills the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from file_storage.child_process import die_with_parent
from file_storage.errors import StorageError
from file_storage.settings import StorageSettings
from file_storage.sync.compare import CompareResult
from file_storage.sync.plan import SyncMode, SyncPlan

#: The last bytes of a failed child's stderr quoted in the error.
STDERR_TAIL = 2000


@dataclass(frozen=True)
class PlanRequest:
    """What the child needs: the settings to build both stores, and what to plan."""

    settings: StorageSettings
    index_path: Path
    folder: str
    mode: SyncMode
    max_delete_percent: float


async def plan_in_child(request: PlanRequest) -> SyncPlan:
    """Compare and plan ``request.folder`` in a child process (see the module docstring).

    Raises:
        StorageError: The compare failed (either side unreachable, the index unusable), with
            the child's message; or the child died without an answer.
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "file_storage.sync.isolated",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    try:
        out, err = await proc.communicate(pickle.dumps(request))
    except BaseException:
        # Cancelled (or the pipe broke): the child must not outlive the run.
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(ProcessLookupError, OSError):
            await asyncio.shield(proc.wait())  # bounded: it was just killed
        raise
    answer: Any = None
    if out:
        with contextlib.suppress(Exception):
            answer = pickle.loads(out)  # noqa: S301 (our own child, over a private pipe)
    if proc.returncode == 0 and isinstance(answer, SyncPlan):
        return answer
    if isinstance(answer, str):
        raise StorageError(answer)
    tail = err.decode(errors="replace")[-STDERR_TAIL:].strip()
    raise StorageError(
        f"The compare of {request.folder or 'the store'} failed in its worker process "
        f"(exit code {proc.returncode}): {tail or 'no output'}"
    )


def _slim(plan: SyncPlan) -> SyncPlan:
    """The plan with only the entries its actions use (what crosses the pipe)."""
    full = plan.comparison
    plan.comparison = CompareResult(
        full.prefix,
        full.pair,
        entries=[action.entry for action in plan.actions],
        skipped=full.skipped,
        stats=full.stats,
    )
    return plan


async def _child(request: PlanRequest) -> SyncPlan:
    from file_storage.backends.local import LocalStorageBackend
    from file_storage.factory import create_s3_backend
    from file_storage.sync.compare import compare
    from file_storage.sync.index import SyncIndex
    from file_storage.sync.plan import build_plan

    settings = request.settings
    local = LocalStorageBackend(settings.local_path, max_size_gb=settings.local_max_size_gb)
    remote = create_s3_backend(settings)
    try:
        async with SyncIndex(request.index_path) as index:
            comparison = await compare(local, remote, index, request.folder)
        plan = build_plan(comparison, request.mode, max_delete_percent=request.max_delete_percent)
    finally:
        await remote.aclose()
    return _slim(plan)


def main() -> None:
    """The child: read a :class:`PlanRequest` on stdin, write the pickled plan (or the error
    message of a :class:`StorageError`) on stdout; anything else is a crash (stderr)."""
    request = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 (from our parent only)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # stray prints must not corrupt the answer
    try:
        answer: SyncPlan | str = asyncio.run(_child(request))
        code = 0
    except StorageError as exc:
        answer, code = str(exc), 1
    with out:
        out.write(pickle.dumps(answer))
    sys.exit(code)


if __name__ == "__main__":
    main()
