"""Running ffmpeg: progress from ``-progress pipe:1``, a clean cancel, and a redacted error tail.

ffmpeg runs as a child process at a lower priority that dies with us, so the event loop only
reads its pipes. Cancelling the awaiting task terminates ffmpeg (SIGTERM, then SIGKILL if it
lingers) before the ``CancelledError`` propagates, so callers can delete its output knowing
nobody writes to it any more (RELIABILITY R7). Command lines and error text can carry presigned
URLs; everything that reaches a log or an exception goes through :func:`redact_media_text`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import shlex
from collections.abc import Callable, Sequence

from file_storage.child_process import background_worker
from file_storage.errors import DiskFullError, MediaProcessingError, MediaToolError
from file_storage.media.tools import INSTALL_HINT
from file_storage.redaction import redact

logger = logging.getLogger(__name__)

#: Seconds ffmpeg gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE = 3.0
#: Lines of stderr kept for the error message.
STDERR_TAIL_LINES = 12
#: What ffmpeg says when the input is not media it can demux.
NOT_MEDIA_MARKERS = ("Invalid data found when processing input", "moov atom not found")

_URL_QUERY = re.compile(r"((?:https?|s3)://[^\s?'\"]+)\?[^\s'\"]*", re.IGNORECASE)


#: ffmpeg's closing lines that only say that something above went wrong.
_GENERIC = (
    "Conversion failed",
    "Error initializing output stream",
    "Error while ",
    "Exiting normally",
    "Error opening output files",
)


def _reason(lines: list[str]) -> str:
    """The most telling line of ffmpeg's error output: the last one that is not a generic
    closing line (``Conversion failed!``), without its location prefix."""
    for line in reversed(lines):
        reason = _strip_location(line)
        if not reason.startswith(_GENERIC):
            return reason
    return _strip_location(lines[-1]) if lines else "no error output"


def _strip_location(line: str) -> str:
    """Drop a leading input location (a redacted URL or a temp path) and a ``[lib @ 0x..]``
    tag, which say nothing to a user: ``[libx264 @ 0x55] height not divisible by 2`` -> the
    reason."""
    line = re.sub(r"^\[[\w:. -]+ @ 0x[0-9a-f]+\]\s*", "", line)
    line = re.sub(r"^(?:https?://\S+|/\S+):\s+", "", line)
    return line.strip() or "no error output"


def redact_media_text(text: str) -> str:
    """Drop URL query strings (presigned signatures, credentials) and known secrets."""
    return redact(_URL_QUERY.sub(r"\1?[REDACTED]", text))


def describe_command(args: Sequence[str]) -> str:
    """A shell-quoted, redacted command line, fit for a log."""
    return redact_media_text(shlex.join(str(a) for a in args))


class ProgressParser:
    """Turns ``-progress`` key=value lines into seconds of output written.

    ffmpeg writes a block of ``key=value`` lines per update, ending with ``progress=continue``
    (or ``progress=end``). ``out_time_us`` is the output timestamp in microseconds; it is
    ``N/A`` before the first frame.
    """

    def __init__(self) -> None:
        self.out_seconds = 0.0
        self.ended = False
        self.speed: str | None = None

    def feed(self, line: str) -> bool:
        """Take one line; return ``True`` when a block ended (time to report progress)."""
        key, sep, value = line.strip().partition("=")
        if not sep:
            return False
        if key in ("out_time_us", "out_time_ms"):  # out_time_ms is microseconds too (sic)
            with contextlib.suppress(ValueError):
                self.out_seconds = max(self.out_seconds, int(value) / 1_000_000)
        elif key == "speed":
            self.speed = value.strip() if value.strip() not in ("N/A", "") else None
        elif key == "progress":
            self.ended = value.strip() == "end"
            return True
        return False


async def _spawn(command: Sequence[str]) -> asyncio.subprocess.Process:
    """Start a media tool with piped output, at low priority, dying with us.

    It gets a session of its own, so Ctrl-C in a terminal reaches only us, and we stop it.
    """
    try:
        return await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=background_worker,
            start_new_session=True,
        )
    except OSError as exc:
        raise MediaToolError(
            f"Cannot start {command[0]} ({exc.strerror or exc}). {INSTALL_HINT}"
        ) from exc


async def _terminate(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, wait a little, then SIGKILL; always reap the child."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), TERMINATE_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _collect_tail(stream: asyncio.StreamReader, tail: collections.deque[str]) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        text = line.decode("utf-8", "replace").rstrip()
        if text:
            tail.append(text)


async def _read_progress(
    stream: asyncio.StreamReader,
    parser: ProgressParser,
    on_progress: Callable[[float], None] | None,
) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        if parser.feed(line.decode("ascii", "replace")) and on_progress is not None:
            on_progress(parser.out_seconds)


def _failure(
    tail: collections.deque[str], returncode: int, what: str, path: str | None
) -> Exception:
    text = redact_media_text("\n".join(tail))
    if "No space left on device" in text:
        return DiskFullError(
            f"The disk filled up while ffmpeg was writing {what}; free some space and retry.",
            path=path,
        )
    lines = text.splitlines()
    logger.warning(
        "ffmpeg failed on %s (exit status %d); its last output:\n%s", what, returncode, text
    )
    # One line for the message (the CLI prints it, the queue shows it); the full tail, already
    # redacted, stays on the exception for logs and tooltips.
    for marker in NOT_MEDIA_MARKERS:
        if any(marker in line for line in lines):
            return MediaProcessingError(
                f"{what} is not a media file ffmpeg can read ({marker}).",
                path=path,
                stderr_tail=text,
                returncode=returncode,
            )
    return MediaProcessingError(
        f"ffmpeg failed on {what} (exit status {returncode}): {_reason(lines)}",
        path=path,
        stderr_tail=text,
        returncode=returncode,
    )


async def run_ffmpeg(
    ffmpeg: str,
    args: Sequence[str],
    *,
    what: str,
    path: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Run ``ffmpeg args...`` with progress reporting; return when it succeeded.

    Args:
        ffmpeg: The binary.
        args: Everything after the binary and our fixed options (inputs, filters, output).
        what: What is being processed, for messages ("users/.../source.mp4").
        path: Storage path for the error's ``path`` attribute.
        on_progress: Called with the output time in seconds after every progress block.

    Raises:
        MediaProcessingError: ffmpeg exited with an error (the message quotes its stderr tail).
        DiskFullError: ffmpeg ran out of disk space.
        asyncio.CancelledError: After ffmpeg was terminated and reaped.
    """
    command = [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "warning",
        "-progress",
        "pipe:1",
        *args,
    ]
    logger.info("ffmpeg: %s", describe_command(command))
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    parser = ProgressParser()
    process = await _spawn(command)
    assert process.stdout is not None
    assert process.stderr is not None
    readers = asyncio.gather(
        _read_progress(process.stdout, parser, on_progress),
        _collect_tail(process.stderr, tail),
    )
    try:
        await readers
        returncode = await process.wait()
    except BaseException:
        readers.cancel()
        await _terminate(process)
        with contextlib.suppress(BaseException):
            await readers
        raise
    if returncode != 0:
        raise _failure(tail, returncode, what, path)


async def capture(
    args: Sequence[str],
    *,
    timeout: float,  # noqa: ASYNC109 - a budget for a child process, enforced with its kill
    what: str,
    path: str | None = None,
) -> tuple[int, str, str]:
    """Run a short command (ffprobe, ``ffmpeg -i``) and return (status, stdout, stderr).

    Raises:
        MediaProcessingError: It did not finish within ``timeout`` seconds.
    """
    logger.debug("media tool: %s", describe_command(args))
    process = await _spawn(args)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError as exc:
        await _terminate(process)
        raise MediaProcessingError(
            f"Reading {what} took longer than {timeout:.0f} s; is the store reachable?", path=path
        ) from exc
    except BaseException:
        await _terminate(process)
        raise
    return (
        process.returncode or 0,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
    )


def failure_from_stderr(stderr: str, returncode: int, what: str, path: str | None) -> Exception:
    """The error for a failed short command, with the same redacted tail as :func:`run_ffmpeg`."""
    tail: collections.deque[str] = collections.deque(
        (line for line in stderr.splitlines() if line.strip()), maxlen=STDERR_TAIL_LINES
    )
    return _failure(tail, returncode, what, path)
