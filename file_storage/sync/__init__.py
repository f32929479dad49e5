"""Compare, sync and migrate between the local store and S3 (Qt-free).

The flow is ``compare`` -> ``build_plan`` -> ``SyncExecutor.execute``:

* :func:`compare` lists both sides once (paged) and classifies every file
  (:class:`FileState`), deciding "identical" by content: SHA-256, MD5 ETags or recomputed
  multipart ETags, with local hashes cached in the :class:`SyncIndex`.
* :func:`build_plan` turns a comparison into actions for a :class:`SyncMode`, with counts,
  bytes and safety checks; a dry run stops there.
* :class:`SyncExecutor` runs a plan through an injectable runner (the app's job queue, or
  :func:`direct_runner`), verifies every copy, moves what it replaces or deletes to
  ``temp/.trash/<timestamp>/`` and records the sync history.
* :func:`migrate` copies a whole store across, resumably, and reports per user.
"""

from file_storage.sync.compare import CompareResult, Entry, FileState, LocalFile, compare
from file_storage.sync.execute import (
    Runner,
    StepWork,
    SyncExecutor,
    SyncReport,
    conflict_path,
    direct_runner,
)
from file_storage.sync.index import SyncIndex, default_data_dir, default_index_path, pair_id
from file_storage.sync.migrate import MigrationProgress, MigrationReport, migrate
from file_storage.sync.plan import Action, ActionKind, SyncMode, SyncPlan, build_plan
from file_storage.sync.trash import purge_trash

__all__ = [
    "Action",
    "ActionKind",
    "CompareResult",
    "Entry",
    "FileState",
    "LocalFile",
    "MigrationProgress",
    "MigrationReport",
    "Runner",
    "StepWork",
    "SyncExecutor",
    "SyncIndex",
    "SyncMode",
    "SyncPlan",
    "SyncReport",
    "build_plan",
    "compare",
    "conflict_path",
    "default_data_dir",
    "default_index_path",
    "direct_runner",
    "migrate",
    "pair_id",
    "purge_trash",
]
