"""The description of one measured run, shared by the orchestrator and the worker.

A :class:`RunSpec` travels to ``python -m bench.worker`` as JSON on its command line; the S3
credentials travel in the environment (``BENCH_S3_ACCESS_KEY``/``BENCH_S3_SECRET_KEY``) so they
never show in ``ps``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

WORKLOADS = ("big_up", "big_down", "small_up", "small_down", "list", "total", "quota")
LIBRARY_CLIENTS = ("file_storage", "note")
CLI_CLIENTS = ("aws", "s5cmd")
CLIENTS = LIBRARY_CLIENTS + CLI_CLIENTS
PEERS = CLI_CLIENTS
ACCESS_KEY_ENV = "BENCH_S3_ACCESS_KEY"
SECRET_KEY_ENV = "BENCH_S3_SECRET_KEY"


@dataclass(frozen=True)
class RunSpec:
    """One client doing one workload once.

    Attributes:
        workload: One of :data:`WORKLOADS`.
        client: One of :data:`CLIENTS`.
        endpoint: S3 endpoint URL.
        bucket: Bucket name.
        prefix: Top-level folder of the bucket the run works in (the backends' ``prefix``).
        remote: Storage path inside ``prefix`` (a file or a folder, by workload).
        local: Local file or folder the run reads or writes.
        count: Files, objects or saves this run handles.
        size: Bytes per file (small files and saves) or of the one big file.
        concurrency: Operations in flight for the in-process clients.
        max_size_gb: Quota of the backend (the quota workload only).
    """

    workload: str
    client: str
    endpoint: str
    bucket: str
    prefix: str
    remote: str = ""
    local: str = ""
    count: int = 1
    size: int = 0
    concurrency: int = 32
    max_size_gb: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls(**json.loads(text))


def small_name(index: int) -> str:
    """File name of the ``index``-th small file; the same locally and in the bucket."""
    return f"f{index:05d}.bin"
