"""Guard against the PySide6 build that leaks references to None and True.

PySide6 6.12.0 on Python 3.11 takes one reference away from ``None`` on every call that returns
nothing and one from ``True`` on every ``Signal.emit()``; a busy app aborts with
"none_dealloc"/"bool_dealloc" after a few minutes. We pin a version without the bug; this test
fails if an upgrade brings it back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_calls_returning_nothing_keep_none_alive() -> None:
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(1000):
        timer.stop()
    assert sys.getrefcount(None) - before > -50


def test_signal_emit_keeps_true_alive() -> None:
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(1000):
        emitter.fired.emit(1)
    assert sys.getrefcount(True) - before > -50
