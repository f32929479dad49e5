"""Start one command and report its own peak RSS and wall time (stdlib only, run with -I -S).

Why a launcher: on Linux a child's ``ru_maxrss`` starts from the RSS of the process that forked
it (``exec`` keeps the high-water mark of the memory image it replaces; with ``vfork`` that is
the parent's own peak). Forked straight from the harness, every command would report at least
the harness's ~80-200 MiB. This tiny interpreter forks the command instead, so the floor is its
own few MiB, and ``wait4`` gives the command's true peak.

Usage: ``python -I -S bench/launch.py RESULT.json CMD [ARGS...]``; RESULT.json receives
``{"seconds": ..., "peak_rss": bytes, "returncode": ...}`` and the launcher exits with the
command's code.
"""

import json
import os
import sys
import time


def main() -> int:
    result_path, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)  # noqa: S606 - a fixed argv from the harness
        finally:
            os._exit(127)
    _pid, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as out:
        json.dump({"seconds": seconds, "peak_rss": usage.ru_maxrss * 1024, "returncode": code}, out)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
