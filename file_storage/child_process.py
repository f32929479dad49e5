"""Hooks run in a forked child before ``exec``: tie its life to ours, and lower its priority.

Both are plain syscalls, safe between ``fork`` and ``exec`` (``preexec_fn``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def die_with_parent() -> None:
    """In the child: get SIGKILL when the thread that started us dies (Linux prctl).

    A test run or an app that crashes, or is killed, must not leave servers or encoders behind.
    The signal follows the *thread* that forked, so launch from a long-lived thread (the main
    thread, or the event loop's).
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def background_worker() -> None:
    """In the child: die with the parent, and run at a lower CPU priority (nice 10).

    Encoders use every core they find; at a lower priority they still do, but the desktop and
    the app's own event loop stay responsive while they run.
    """
    die_with_parent()
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
