"""The GUI's one error boundary: any exception becomes a sentence for the user and a log entry.

Storage and credential errors become the sentence of their kind (:func:`app.messages.describe`);
anything else is a bug, shown as "Unexpected error" with the details in the log. qasync sends
exceptions from async slots to ``sys.excepthook`` and asyncio sends unretrieved task errors to
the loop's exception handler; both are routed here so nothing ends up only on stderr.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

from app.messages import describe
from file_storage.errors import StorageError

logger = logging.getLogger("app")

Notify = Callable[[str, str], None]


def describe_error(exc: BaseException) -> str:
    """Return the sentence to show a user for ``exc`` (redacted, in the interface's language).

    Kept for the callers that import it from here; :func:`app.messages.describe` is the one
    implementation.
    """
    return describe(exc)


def install_error_hooks(notify: Notify, loop: asyncio.AbstractEventLoop) -> None:
    """Route uncaught exceptions (sync slots, async slots, tasks) to the log and ``notify``.

    Args:
        notify: Called with ``(level, message)``; level is ``"error"`` here.
        loop: The running qasync loop.
    """

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if isinstance(exc, StorageError):
            logger.error("%s", exc, exc_info=(kind, exc, tb))
        else:
            logger.critical("Uncaught exception", exc_info=(kind, exc, tb))
        notify("error", describe_error(exc))

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is None:
            logger.error("asyncio: %s", context.get("message"))
            return
        excepthook(type(exc), exc, exc.__traceback__)

    sys.excepthook = excepthook
    loop.set_exception_handler(loop_handler)
