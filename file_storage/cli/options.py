"""Options and arguments several ``leap-storage`` commands share: ``s3://bucket/key`` names,
``--include``/``--exclude`` filters and ``--json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from file_storage.filters import FilterError, PathFilter
from file_storage.settings import StorageSettings

F = TypeVar("F", bound=Callable[..., Any])


def filter_options(func: F) -> F:
    """Add ``--include`` and ``--exclude`` (rclone's glob rules, repeatable)."""
    func = click.option(
        "--exclude",
        multiple=True,
        metavar="GLOB",
        help="Leave out paths matching GLOB (rclone rules; repeatable).",
    )(func)
    return click.option(
        "--include",
        multiple=True,
        metavar="GLOB",
        help="Only paths matching GLOB (rclone rules; repeatable).",
    )(func)


def json_option(func: F) -> F:
    """Add ``--json`` (one JSON document on stdout; shapes in docs/cli.md)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (see docs/cli.md).")(
        func
    )


def make_filter(include: tuple[str, ...], exclude: tuple[str, ...]) -> PathFilter:
    """Build the filter, turning a bad pattern into a usage error (exit 2)."""
    try:
        rules = PathFilter(include, exclude)
    except FilterError as exc:
        raise click.BadParameter(str(exc), param_hint="--include/--exclude") from exc
    if rules.mixed:
        click.echo(
            "leap-storage: warning: --include rules are tried before --exclude rules "
            "(as in rclone), whatever their order on the command line.",
            err=True,
        )
    return rules


def store_path(argument: str, settings: StorageSettings) -> str:
    """The store path an argument names: a store path, or ``s3://BUCKET/PREFIX/path``.

    An ``s3://`` name must be in the configured bucket and under the configured prefix; the
    prefix is removed (``s3://media/storage/users/u/a.mp4`` -> ``users/u/a.mp4``).

    Raises:
        click.BadParameter: Another bucket, outside the prefix, or the store is not S3.
    """
    if not argument.startswith("s3://"):
        return argument
    if settings.storage_type.upper() == "LOCAL":
        raise click.BadParameter(
            f"{argument}: an s3:// name needs STORAGE_TYPE=S3 (the store is a local folder)."
        )
    bucket, _, key = argument[len("s3://") :].partition("/")
    if bucket != settings.s3_bucket:
        raise click.BadParameter(
            f"{argument}: the settings name bucket {settings.s3_bucket!r}, not {bucket!r}."
        )
    prefix = settings.s3_prefix.strip("/")
    if not prefix:
        return key
    if key == prefix or key == prefix + "/":
        return ""
    if not key.startswith(prefix + "/"):
        raise click.BadParameter(
            f"{argument}: outside the store's prefix {prefix!r} (STORAGE_S3_PREFIX)."
        )
    return key[len(prefix) + 1 :]


def is_stream(argument: str | object) -> bool:
    """Whether a local argument is ``-`` (stdin for put, stdout for get)."""
    return str(argument) == "-"


def resolve_paths(state: Any, *arguments: str) -> list[str]:
    """:func:`store_path` for each argument; settings are read only for ``s3://`` names."""
    if not any(argument.startswith("s3://") for argument in arguments):
        return list(arguments)
    from pydantic import ValidationError

    from file_storage.cli.runner import fail
    from file_storage.errors import StorageError
    from file_storage.settings import describe_validation_error

    try:
        settings = state.settings()
    except ValidationError as exc:
        fail(describe_validation_error(exc))
        raise
    except StorageError as exc:
        fail(str(exc))
        raise
    return [store_path(argument, settings) for argument in arguments]
