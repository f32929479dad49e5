"""What every ``leap-storage`` command shares: settings, one-line failures, and running a
coroutine with Ctrl-C and SIGTERM turned into a clean cancel."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from botocore.exceptions import BotoCoreError
from pydantic import ValidationError

from file_storage.backends.base import StorageBackend
from file_storage.errors import ConfigurationError, StorageError
from file_storage.factory import create_storage_backend
from file_storage.redaction import redact
from file_storage.settings import StorageSettings, describe_validation_error

T = TypeVar("T")

INTERRUPTED = "interrupted; partial transfers were cleaned up."


class CliState:
    """What the group options decided, handed to each command."""

    def __init__(self, env_file: Path | None, *, quiet: bool = False) -> None:
        self.env_file = env_file
        self.quiet = quiet

    def settings(self) -> StorageSettings:
        if self.env_file is not None:
            if not self.env_file.is_file():
                raise ConfigurationError(f"env file not found: {self.env_file}")
            return StorageSettings(_env_file=self.env_file)  # type: ignore[call-arg]
        return StorageSettings()


def is_quiet() -> bool:
    """Whether ``-q`` was given (no progress bars, no summaries; data and errors still print)."""
    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(CliState) if ctx is not None else None
    return bool(state is not None and state.quiet)


def say(message: str, *, err: bool = False) -> None:
    """Print an informational line (a summary, a plan) unless ``-q`` was given."""
    if not is_quiet():
        click.echo(message, err=err)


def warn(message: str) -> None:
    """Print ``leap-storage: warning: ...`` on stderr (also with ``-q``)."""
    click.echo(f"leap-storage: warning: {redact(message)}", err=True)


def print_json(data: object) -> None:
    """Print one JSON document on stdout (the ``--json`` output of every command)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def fail(message: str) -> None:
    click.echo(f"leap-storage: error: {redact(message)}", err=True)
    sys.exit(1)


def run_cli(main: Callable[[], Awaitable[T]], *, interrupted: str = INTERRUPTED) -> T:
    """Run ``main()`` to completion; turn errors into one line (exit 1), Ctrl-C into 130.

    SIGTERM cancels like Ctrl-C does, so multipart uploads are aborted and temp files go.
    """

    async def guarded() -> T:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await main()

    try:
        return asyncio.run(guarded())
    except StorageError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(describe_validation_error(exc))
    except ValueError as exc:
        fail(str(exc))
    except BotoCoreError as exc:  # a safety net: a botocore failure no backend translated
        fail(f"S3 client error: {exc}")
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo(f"leap-storage: {interrupted}", err=True)
        sys.exit(130)
    raise AssertionError("unreachable")


def run_with_backend(state: CliState, action: Callable[[StorageBackend], Awaitable[T]]) -> T:
    """Build the backend the settings select, run ``action`` on it, close it."""

    async def main() -> T:
        backend = create_storage_backend(state.settings())
        async with backend:
            return await action(backend)

    return run_cli(main)
